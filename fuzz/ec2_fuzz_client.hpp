#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/aws/ec2_client.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

// An Ec2Client whose endpoint answers from the fuzz input: `bodies` in turn (cycling), each with
// `status`. The clock is manual, so backoff never sleeps. Counts requests, so a target can tell a
// pagination loop that never ends from one that stops.
namespace labctl::fuzz {

inline constexpr const char* k_canary_secret = "CANARY-SECRET-0cc175b9";
inline constexpr const char* k_canary_token = "CANARY-TOKEN-92eb5ffe";

struct Ec2Harness {
  Ec2Harness(long status, std::vector<std::string> bodies, int max_attempts = 3)
      : m_bodies(std::move(bodies)) {
    if (m_bodies.empty()) m_bodies.emplace_back();
    transport->set_handler([this, status](const testing::FakeHttpTransport::Request&) {
      const std::size_t n = m_requests.fetch_add(1);
      if (n >= k_max_requests) {
        return testing::FakeHttpTransport::transport_failure(
            providers::TransportErrorKind::transport);
      }
      return testing::FakeHttpTransport::respond(status, m_bodies[n % m_bodies.size()]);
    });
    providers::aws::Ec2ClientOptions options;
    options.region = "us-east-1";
    options.endpoint = "http://127.0.0.1:1";
    options.retry.max_attempts = max_attempts;
    providers::aws::Ec2ClientDeps deps;
    deps.transport = transport;
    deps.credentials = [] {
      return providers::aws::Credentials("AKIATESTKEY00000LAST", k_canary_secret, k_canary_token);
    };
    deps.clock = clock;
    deps.limiter = std::make_shared<providers::aws::RateLimiter>();
    deps.unit_random = [] { return 0.5; };
    client = std::make_unique<providers::aws::Ec2Client>(std::move(options), std::move(deps));
  }

  // More requests than any bounded call could need (a describe of a few pages): a call that
  // gets here is looping. The endpoint then fails every request so the loop can end.
  static constexpr std::size_t k_max_requests = 256;
  [[nodiscard]] bool ran_away() const { return m_requests.load() >= k_max_requests; }

  std::shared_ptr<testing::FakeHttpTransport> transport =
      std::make_shared<testing::FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
  std::unique_ptr<providers::aws::Ec2Client> client;

 private:
  std::vector<std::string> m_bodies;
  std::atomic<std::size_t> m_requests{0};
};

// No credential may appear in anything labctl prints or stores — unless the endpoint's answer
// (`answer`, the fuzz input) quoted it, which the fuzzer learns to do from the comparisons.
inline bool leaks_credentials(std::string_view text, std::string_view answer) {
  for (const std::string_view canary : {k_canary_secret, k_canary_token}) {
    if (answer.find(canary) == std::string_view::npos &&
        text.find(canary) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace labctl::fuzz
