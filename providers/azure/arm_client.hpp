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
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "providers/deadline.hpp"
#include "providers/http_transport.hpp"
#include "providers/json_rest.hpp"
#include "providers/retry.hpp"

// The Azure Resource Manager client: ARM REST over the shared HTTP seam, bearer tokens from the
// Entra ID credential chain (providers/azure/credentials.hpp), retries, long-running operations
// and pagination. Everything the azure provider sends goes through ArmClient::send.
namespace labctl::providers::azure {

// The api-version of each resource provider labctl talks to: the versions whose models Debian's
// python3-azure ships, so the ARM fake validates every body against Microsoft's own models.
inline constexpr const char* k_api_resources = "2022-09-01";      // resource groups, tags
inline constexpr const char* k_api_subscriptions = "2021-01-01";  // GET /subscriptions
inline constexpr const char* k_api_network = "2022-07-01";
inline constexpr const char* k_api_compute = "2022-08-01";
inline constexpr const char* k_api_resource_graph = "2022-10-01";

// transport: no response (refused, DNS, TLS); timeout: none in time (or the deadline passed);
// throttled: HTTP 429; auth: no token, or 401/403; conflict: 409 (a resource in use, an
// operation in progress); not_found: 404; service: any other error answer; refused: labctl
// declined to send (a mutation in dry-run); bad_answer: a 2xx whose body is not the JSON shape
// the operation needs.
enum class ArmErrorKind {
  transport, timeout, throttled, auth, conflict, not_found, service, refused, bad_answer
};

[[nodiscard]] std::string_view to_string(ArmErrorKind kind);

// The fields (providers/json_rest.hpp): operation "PUT virtualNetworks/labctl-vnet", "GET
// resourceGroups/r1"; code error.code ("InUseSubnetCannotBeDeleted"); message error.message, or
// the transport's description; request_id the x-ms-request-id header.
struct ArmError : rest::RestError<ArmErrorKind> {
  // Set when the failure is the credential chain's own error (kind auth, nothing sent): its
  // exit code, ExitCode::usage when no credentials are configured at all.
  std::optional<ExitCode> exit_code = std::nullopt;

  // "azure PUT virtualNetworks/v (HTTP 409 AnotherOperationInProgress): <message> (request id R)
  // after 3 attempts". Every part printable (text::printable) and bounded.
  [[nodiscard]] std::string describe() const;
  // As a labctl Error: refused exits 4, the credential chain's errors keep its code (usage:
  // no credentials), the rest exit 3.
  [[nodiscard]] Error to_error() const;
};

template <class T>
using ArmResult = std::expected<T, ArmError>;

// The error in a non-2xx ARM answer: kind from the status (429 throttled, 401/403 auth, 409
// conflict, 404 not_found, else service); code and message from {"error":{"code","message"}},
// a top-level {"code","message"} or OAuth's {"error","error_description"}; request_id from
// x-ms-request-id. Every text printable and bounded (code 128, message 1024, request id 128
// bytes); a body that is not such JSON (even ill-formed UTF-8) still yields the status.
[[nodiscard]] ArmError parse_arm_error(std::string operation, long http_status,
                                       const HttpHeaders& headers, std::string_view body);

// One ARM call. `path` starts with "/subscriptions/" or "/providers/" (no host, no query); the
// client adds the endpoint, api-version and `query` (percent-encoded), the bearer token and, with
// a body, Content-Type: application/json.
struct ArmRequest {
  std::string method = "GET";  // GET, PUT, PATCH, POST, DELETE
  std::string path;
  std::string api_version;
  // e.g. {"$filter", "tagName eq 'x'"}
  std::vector<std::pair<std::string, std::string>> query = {};
  std::optional<nlohmann::json> body = std::nullopt;
  // false for a POST that only reads (Resource Graph queries): it may be sent in dry-run.
  // PUT, PATCH, DELETE and any other POST are mutations.
  bool read_only_post = false;
};

struct ArmResponse {
  long status = 0;
  HttpHeaders headers;
  nlohmann::json body;  // null for an empty body
};

// Every bound on Azure work, whole seconds from the environment (README, "Limits"); a value out
// of range is a usage error naming the variable.
struct AzureLimits {
  std::chrono::seconds request_timeout{30};   // CE_AZURE_REQUEST_TIMEOUT
  std::chrono::seconds stall_timeout{15};     // CE_AZURE_STALL_TIMEOUT
  std::chrono::seconds wait_timeout{900};     // CE_AZURE_WAIT_TIMEOUT: one LRO or provisioning
  std::chrono::seconds command_timeout{1800}; // CE_AZURE_COMMAND_TIMEOUT: one phase
  std::chrono::seconds janitor_timeout{3600}; // CE_JANITOR_TIMEOUT: a whole down --expired
  int conflict_retries = 8;                   // CE_AZURE_CONFLICT_RETRIES: 409s retried
};

[[nodiscard]] Expected<AzureLimits> azure_limits_from_env(const EnvLookup& env);

// The ARM endpoint: CE_AZURE_ARM_ENDPOINT (tests, sovereign clouds), else
// https://management.azure.com. No trailing slash; must be https:// unless it is a loopback
// http:// address.
[[nodiscard]] Expected<std::string> resolve_arm_endpoint(const EnvLookup& env);

// True for 8-4-4-4-12 hex digits (subscription, tenant and client ids).
[[nodiscard]] bool is_guid(std::string_view text);

// The subscription id in an ARM resource id ("/subscriptions/<id>/..."), nullopt if `id` is not
// one (case-insensitive "subscriptions" segment; the id must be a GUID).
[[nodiscard]] std::optional<std::string> subscription_in_id(std::string_view id);

// A bearer token source: the credential chain's current token for the ARM scope (cached,
// refreshed before expiry). The token is a secret: it never reaches a log or an error.
using TokenSource = std::function<Expected<std::string>()>;

struct ArmClientOptions {
  std::string endpoint;  // from resolve_arm_endpoint()
  // false (dry-run): every mutation is refused (ArmErrorKind::refused) before anything is sent.
  bool live = false;
  RetryPolicy retry;
  AzureLimits limits;
  std::chrono::milliseconds connect_timeout{3000};
  // CE_AZURE_DEBUG=1: log each request's method, URL and body and each answer's
  // x-ms-ratelimit-remaining-* headers at debug level; never a request header or a token.
  bool debug_log = false;
};

struct ArmClientDeps {
  std::shared_ptr<HttpTransport> transport;
  TokenSource token;
  std::shared_ptr<Clock> clock;
  std::function<double()> unit_random;  // [0,1) for backoff jitter; null: a seeded engine
  std::shared_ptr<const CloudDeadline> deadline;  // null: none
  // Drops the cached token (the credential chain's invalidate()), so a 401 is retried once
  // with a fresh one; null: a 401 is final.
  std::function<void()> refresh_token = nullptr;
};

// Thread-safe ARM client. Retries: 429 (waiting Retry-After when given, bounded by the policy's
// cap), 5xx, timeouts and resets, with the shared backoff; 409 is NOT retried here (the caller
// decides, bounded by limits.conflict_retries). Answers are bounded (16 MiB) and parsed with
// core/json_io's bounded reader; every string that reaches an error or log is printable.
class ArmClient {
 public:
  ArmClient(ArmClientOptions options, ArmClientDeps deps);

  // One call, retried as above. A non-2xx answer is an ArmError with error.code/message parsed
  // from the body ({"error":{"code","message"}}) and x-ms-request-id.
  [[nodiscard]] ArmResult<ArmResponse> send(const ArmRequest& request) const;

  // send(), then, for 201/202 answers carrying Azure-AsyncOperation (preferred) or Location,
  // polls that URL (it must have the ARM endpoint's scheme, host and port, so a hostile
  // endpoint cannot send our bearer token elsewhere; anything else is bad_answer) every
  // Retry-After seconds (default 2 s, at least 0.2 s, at most 30 s, through the Clock) until the
  // operation's status is Succeeded (returns the final resource: a GET of request.path for
  // PUT/PATCH; otherwise the last poll's answer: the operation status, or Location's result),
  // Failed or Canceled (an ArmError carrying the operation's error), or limits.wait_timeout
  // (CE_AZURE_WAIT_TIMEOUT) / the deadline passes (timeout). A PUT/PATCH answered 200/201
  // without those headers whose properties.provisioningState is not terminal is polled by GET
  // of request.path the same way. `progress` (may be null) is called after each poll.
  [[nodiscard]] ArmResult<ArmResponse> send_and_wait(
      const ArmRequest& request, const std::function<void()>& progress = nullptr) const;

  // GET `path` and every nextLink after it (on the endpoint's host only), collecting the
  // "value" arrays. A nextLink seen twice, or more than 1000 pages, is bad_answer.
  [[nodiscard]] ArmResult<std::vector<nlohmann::json>> list(const ArmRequest& request) const;

  [[nodiscard]] bool live() const { return m_options.live; }
  [[nodiscard]] const AzureLimits& limits() const { return m_options.limits; }
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline() const;
  [[nodiscard]] Clock& clock() const { return *m_deps.clock; }

 private:
  struct Poll;
  // One call to an absolute `url` (an endpoint path, a nextLink, a poll URL), retried.
  [[nodiscard]] ArmResult<ArmResponse> send_url(const std::string& method, const std::string& url,
                                                const std::string& operation,
                                                const std::optional<nlohmann::json>& body) const;
  [[nodiscard]] ArmResult<ArmResponse> wait_for(const ArmRequest& request,
                                                const std::string& operation, Poll poll,
                                                const std::function<void()>& progress) const;
  [[nodiscard]] std::string url_of(const ArmRequest& request) const;
  // `url` is on the endpoint's origin; else the bad_answer error naming `what` it is.
  [[nodiscard]] std::optional<ArmError> foreign_url(const std::string& url,
                                                    const std::string& operation,
                                                    std::string_view what) const;
  [[nodiscard]] ArmError error(ArmErrorKind kind, const std::string& operation,
                               std::string message) const;
  // The timeout error when the deadline has passed (after `attempts` tries); else nullopt.
  [[nodiscard]] std::optional<ArmError> deadline_error(const std::string& operation,
                                                       int attempts) const;

  ArmClientOptions m_options;
  ArmClientDeps m_deps;
};

// "PUT virtualNetworks/v" for a path ending .../virtualNetworks/v: the method and the path's
// last type/name pair (with a trailing action: ".../virtualMachines/vm/powerOff").
[[nodiscard]] std::string operation_name(std::string_view method, std::string_view path);

// The process's ARM clients, built from one environment: the curl transport (AZURE_CA_BUNDLE),
// the credential chain, CE_AZURE_MAX_ATTEMPTS, AzureLimits and the endpoint. One dry and one
// live client, built on first use and shared by every azure provider of the command (as
// Ec2ClientFactories is for aws), so a janitor's bound also bounds the teardowns that follow.
class ArmClientFactory {
 public:
  // `transport` null: the curl transport with AZURE_CA_BUNDLE.
  [[nodiscard]] static std::shared_ptr<ArmClientFactory> from_env(
      EnvLookup env, std::shared_ptr<Clock> clock,
      std::shared_ptr<HttpTransport> transport = nullptr);

  ArmClientFactory(EnvLookup env, std::shared_ptr<Clock> clock,
                   std::shared_ptr<HttpTransport> transport);

  // The dry (`live` false) or live client; the first error (a bad CE_AZURE_* value, a bad
  // endpoint) is returned again on each call. Credentials are not needed to get a client: the
  // chain (providers/azure/credentials.hpp) runs at each call's token, and without any
  // credentials that call fails with kind auth and exit code usage ("azure: no credentials").
  // CE_AZURE_DEBUG=1 turns on ArmClientOptions::debug_log.
  [[nodiscard]] Expected<std::shared_ptr<ArmClient>> client(bool live);
  // The client of the executor's mutations: the same endpoint, token and deadline, but it
  // retries nothing but throttling (a mutation that got no clear answer may have happened, and
  // resending it would be a blind retry of an ambiguous result).
  [[nodiscard]] Expected<std::shared_ptr<ArmClient>> writer(bool live);

  // The subscription `up`/`down --run-id` work in: AZURE_SUBSCRIPTION_ID, else `from_profile`;
  // an error naming both when neither is a GUID.
  [[nodiscard]] Expected<std::string> subscription(const std::string& from_profile) const;

  // Starts a phase (every client stops sending limits().command_timeout from now) / bounds all
  // remaining Azure work of the process by limits().janitor_timeout (first call wins).
  void start_phase();
  void start_janitor();

  [[nodiscard]] Clock& clock() const { return *m_clock; }

 private:
  EnvLookup m_env;
  std::shared_ptr<Clock> m_clock;
  std::shared_ptr<HttpTransport> m_transport;
  std::shared_ptr<CloudDeadline> m_deadline =
      std::make_shared<CloudDeadline>("Azure", "CE_AZURE_COMMAND_TIMEOUT");
  std::mutex m_mutex;
  TokenSource m_token;  // the credential chain, built with the first client
  std::function<void()> m_refresh_token;
  [[nodiscard]] Expected<std::shared_ptr<ArmClient>> make_client(bool live, bool writer);

  std::map<std::pair<bool, bool>, std::shared_ptr<ArmClient>> m_clients;  // (live, writer)
  std::optional<Error> m_error;
};

}  // namespace labctl::providers::azure
