// The two answers a temporary credential comes in, and the command line that asks for one
// (providers/aws/sts.hpp, credentials.hpp, shared_config.hpp). The first input byte picks the
// parser (0: an STS answer, 1: a credential_process's stdout, 2: a credential_process command
// line), the second the HTTP status of an STS answer; the rest is the text.
// Properties: no crash; no error carries the secret this call holds (STS) or a secret in the
// process's output (credential_process), and every error names where it came from; accepted credentials have a
// key id and a secret and, when they expire, expire after `now`; a command line splits into
// non-empty argv whose words together are no longer than the line.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/ec2_fuzz_client.hpp"
#include "fuzz/fuzz_check.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/aws/shared_config.hpp"
#include "providers/aws/sts.hpp"

namespace {

namespace aws = labctl::providers::aws;
using labctl::fuzz::check;

constexpr long k_statuses[] = {200, 400, 403, 500, 503};

void check_accepted(const aws::Credentials& credentials, labctl::SystemTime now) {
  check(!credentials.access_key_id().empty() && !credentials.secret_access_key().empty(),
        "accepted credentials have a key id and a secret");
  check(!credentials.expiration() || *credentials.expiration() > now,
        "accepted credentials are not already expired");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string text(labctl::fuzz::as_text(data + 2, size - 2));
  const labctl::SystemTime now{std::chrono::seconds(1780000000)};
  switch (data[0] % 3) {
    case 0: {
      const long status = k_statuses[data[1] % std::size(k_statuses)];
      const auto parsed = aws::parse_sts_answer("AssumeRole", status, text, now,
                                                {labctl::fuzz::k_canary_secret}, "fuzz role");
      if (parsed) {
        check(status == 200, "only a 200 answer carries credentials");
        check_accepted(*parsed, now);
      } else {
        check(parsed.error().message.find(labctl::fuzz::k_canary_secret) == std::string::npos,
              "an STS error never carries the caller's secret");
      }
      break;
    }
    case 1: {
      const auto parsed = aws::parse_process_output(text, now, "credential_process", "fuzz");
      if (parsed) {
        check_accepted(*parsed, now);
      } else {
        const auto& message = parsed.error().message;
        check(message.starts_with("credential_process"), "the error names its source");
        check(message.find(labctl::fuzz::k_canary_secret) == std::string::npos,
              "the error never quotes the process's output (a secret in it)");
      }
      break;
    }
    default: {
      const auto words = aws::split_command_line(text);
      if (words) {
        std::size_t total = 0;
        for (const auto& word : *words) total += word.size();
        check(!words->empty(), "a command line that splits has a program");
        check(total <= text.size(), "splitting never adds characters");
      }
      break;
    }
  }
  return 0;
}
