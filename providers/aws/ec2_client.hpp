#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "providers/aws/aws_error.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/http_transport.hpp"
#include "providers/aws/limits.hpp"
#include "providers/aws/query.hpp"
#include "providers/retry.hpp"
#include "providers/aws/token_bucket.hpp"
#include "providers/aws/xml.hpp"

namespace labctl::providers::aws {

inline constexpr const char* k_ec2_api_version = "2016-11-15";

template <class T>
using AwsResult = std::expected<T, AwsError>;

// The endpoint for `region`: AWS_ENDPOINT_URL_EC2, else AWS_ENDPOINT_URL, else
// https://ec2.<region>.amazonaws.com (.com.cn for cn-* regions). No trailing slash.
[[nodiscard]] std::string resolve_ec2_endpoint(const std::string& region, const EnvLookup& env);

// Lower-case letters, digits and '-', 1..32 characters, starting with a letter ("us-east-1").
[[nodiscard]] bool is_region_name(std::string_view region);

struct Ec2ClientOptions {
  std::string region;
  std::string endpoint;  // from resolve_ec2_endpoint()
  // false (dry-run): every mutating action is refused before anything is sent, unless it
  // carries DryRun=true. Defence in depth behind the provider's own dry-run handling.
  bool live = false;
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{30000};
  // Zero: no stall bound beyond request_timeout (see HttpRequest::stall_timeout).
  std::chrono::milliseconds stall_timeout{0};
  // true: log each request at debug level (event aws.request): action, form body and the
  // headers through redacted_headers(), so neither signature nor session token is written.
  bool debug_log = false;
};

using CredentialSource = std::function<Expected<Credentials>()>;

// What a client talks through; all shared, all thread-safe.
struct Ec2ClientDeps {
  std::shared_ptr<HttpTransport> transport;
  CredentialSource credentials;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<RateLimiter> limiter;  // usually region_rate_limiter(region)
  std::function<double()> unit_random;   // [0,1) for backoff jitter; null: a seeded engine
  // After it passes nothing more is sent; requests and backoff waits are cut to it. Null: none.
  std::shared_ptr<const CloudDeadline> deadline = nullptr;
};

// All pages of a paginated describe. The nodes point into `pages`, which keep them alive.
struct Ec2Pages {
  std::vector<Ec2Response> pages;
  std::vector<pugi::xml_node> items;
};

// An EC2 Query API client for one Region: form-encoded POSTs, SigV4-signed, XML responses,
// client-side rate limiting per API category, retries of throttling/5xx/timeouts/resets with
// capped exponential backoff and full jitter. Credentials never appear in errors or logs.
// Thread-safe: one client may serve many threads.
class Ec2Client {
 public:
  Ec2Client(Ec2ClientOptions options, Ec2ClientDeps deps);

  // Sends `action` with `params` (Action and Version are added). Returns the parsed response, or
  // the AWS error after retries. A DryRun=true call that would have succeeded comes back as the
  // error code "DryRunOperation" (HTTP 412), as EC2 sends it.
  [[nodiscard]] AwsResult<Ec2Response> call(std::string_view action, QueryParams params) const;

  // Calls `action` repeatedly, following <nextToken>, collecting the elements at `item_path`
  // ("reservationSet/item") of every page. max_results > 0 sends MaxResults (only for actions
  // that accept it). Stops at the first error; a nextToken seen before in the same listing, or
  // more than k_max_pages pages, is an error (an endpoint that would loop forever).
  [[nodiscard]] AwsResult<Ec2Pages> call_paged(std::string_view action, QueryParams params,
                                               std::string_view item_path,
                                               int max_results = 0) const;

  [[nodiscard]] const std::string& region() const { return m_options.region; }
  [[nodiscard]] bool live() const { return m_options.live; }
  // The instant after which this client sends nothing more (its factory's phase or hard
  // deadline); nullopt when unbounded. Wait loops stop there too.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline() const;

 private:
  [[nodiscard]] AwsResult<Ec2Response> attempt(std::string_view action,
                                               const QueryParams& params) const;
  [[nodiscard]] AwsError error(AwsErrorKind kind, std::string_view action,
                               std::string message) const;
  // The timeout error when the deadline has passed (after `attempts` tries); else nullopt.
  [[nodiscard]] std::optional<AwsError> deadline_error(std::string_view action, int attempts) const;
  [[nodiscard]] double next_random() const;

  Ec2ClientOptions m_options;
  Ec2ClientDeps m_deps;
};

// The clients of every region, built from one environment: the curl transport (AWS_CA_BUNDLE),
// the credential chain (with a 1 s-timeout IMDS), CE_AWS_MAX_ATTEMPTS, the bounds of AwsLimits
// (CE_AWS_*_TIMEOUT, CE_JANITOR_TIMEOUT) and the endpoint overrides. `live` must be true only
// when the run is live (CE_DRY_RUN=0); `debug_log` turns on Ec2ClientOptions::debug_log for
// every client.
class Ec2ClientFactory {
 public:
  // The production wiring over the seams given: `env` for every variable (CE_AWS_DEBUG
  // included) and `clock`.
  // `processes` runs a profile's credential_process (null: such a profile is an error).
  [[nodiscard]] static Expected<std::shared_ptr<Ec2ClientFactory>> from_env(
      const EnvLookup& env, std::shared_ptr<Clock> clock, bool live,
      std::shared_ptr<ProcessRunner> processes = nullptr);
  Ec2ClientFactory(EnvLookup env, bool live, RetryPolicy retry, std::shared_ptr<Clock> clock,
                   std::shared_ptr<HttpTransport> transport, bool debug_log = false,
                   AwsLimits limits = {}, std::shared_ptr<ProcessRunner> processes = nullptr);

  // The client for `region`, created on first use and cached; an error if `region` is not a
  // region name (it becomes part of the endpoint host and the signing scope).
  [[nodiscard]] Expected<std::shared_ptr<Ec2Client>> client(const std::string& region);
  // Credentials as the chain resolves them now (fails early with the chain's explanation).
  [[nodiscard]] Expected<Credentials> credentials() const;

  [[nodiscard]] const AwsLimits& limits() const { return m_limits; }
  // Starts a phase of AWS work (bring-up, teardown, discovery, failover): every client of this
  // factory stops sending limits().command_timeout from now.
  void start_phase();
  // Bounds all remaining AWS work of the process by limits().janitor_timeout from now (first
  // call wins; later calls never extend it).
  void start_janitor();

 private:
  EnvLookup m_env;
  bool m_live;
  bool m_debug_log;
  RetryPolicy m_retry;
  AwsLimits m_limits;
  std::shared_ptr<CloudDeadline> m_deadline = std::make_shared<CloudDeadline>("AWS", "CE_AWS_COMMAND_TIMEOUT");
  std::shared_ptr<Clock> m_clock;
  std::shared_ptr<HttpTransport> m_transport;
  std::shared_ptr<CredentialChain> m_chain;
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<Ec2Client>> m_clients;
};

// A process's two client factories, dry (`live` false: every mutating call refused inside the
// client) and live, each built on first use and then shared by every aws provider made with
// this object: a janitor's bound (start_janitor) armed during discovery then also bounds the
// teardowns that follow. labctl/ builds one per command and hands it to the registry.
class Ec2ClientFactories {
 public:
  using Make = std::function<Expected<std::shared_ptr<Ec2ClientFactory>>(bool live)>;
  explicit Ec2ClientFactories(Make make) : m_make(std::move(make)) {}

  // Production factories over the seams (Ec2ClientFactory::from_env with each argument).
  [[nodiscard]] static std::shared_ptr<Ec2ClientFactories> from_env(
      EnvLookup env, std::shared_ptr<Clock> clock,
      std::shared_ptr<ProcessRunner> processes = nullptr);

  // The dry or live factory; the first call's error (a bad CE_AWS_* bound) is returned again
  // on each call until one succeeds.
  [[nodiscard]] Expected<std::shared_ptr<Ec2ClientFactory>> get(bool live);

 private:
  Make m_make;
  std::mutex m_mutex;
  std::map<bool, std::shared_ptr<Ec2ClientFactory>> m_factories;
};

}  // namespace labctl::providers::aws
