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
#include "providers/deadline.hpp"
#include "providers/http_transport.hpp"
#include "providers/json_rest.hpp"
#include "providers/oci/private_key.hpp"
#include "providers/retry.hpp"

// The OCI REST client: Core and Identity (20160918) and Resource Search (20180409) over the
// shared HTTP seam, every request signed (providers/oci/signer.hpp), with retries, bounded
// answers, parsed errors, opc-retry-token on creates and opc-next-page pagination. Everything
// the oci provider sends goes through OciClient::send.
namespace labctl::providers::oci {

// The services labctl talks to; each has its regional host and API version:
//   core     https://iaas.<region>.oraclecloud.com/20160918
//   identity https://identity.<region>.oraclecloud.com/20160918
//   search   https://query.<region>.oraclecloud.com/20180409
enum class OciService { core, identity, search };

[[nodiscard]] std::string_view to_string(OciService service);

// The origin ("https://host[:port]", no trailing slash) of each service.
struct OciEndpoints {
  std::string core;
  std::string identity;
  std::string search;
  [[nodiscard]] const std::string& of(OciService service) const;
};

// The endpoints of `region` (checked with check_region first: it becomes part of a host name),
// or, when CE_OCI_ENDPOINT is set and non-empty, that one origin for every service (tests: the
// OCI fake). CE_OCI_ENDPOINT must be "https://host[:port]" (a trailing slash is dropped; no
// path, query, userinfo or fragment): signed requests never go out in clear text. Errors are
// ExitCode::usage naming the variable or the region's source.
[[nodiscard]] Expected<OciEndpoints> resolve_endpoints(const EnvLookup& env,
                                                       std::string_view region);

// transport: no response (refused, DNS, TLS); timeout: none in time (or the deadline passed);
// throttled: HTTP 429; auth: 401/403 (a bad signature, clock skew, a missing policy); conflict:
// 409 (a resource in use, a state that forbids the operation, a reused retry token); not_found:
// 404; service: any other error answer; refused: labctl declined to send (a mutation in dry-run,
// a create without a retry token, a bad path); bad_answer: a 2xx whose body is not the JSON
// shape the operation needs, or a pagination loop.
enum class OciErrorKind {
  transport,
  timeout,
  throttled,
  auth,
  conflict,
  not_found,
  service,
  refused,
  bad_answer
};

[[nodiscard]] std::string_view to_string(OciErrorKind kind);

// The fields (providers/json_rest.hpp): operation "POST core /vcns", "DELETE core
// /subnets/ocid1.subnet..."; code the answer's "code" ("Conflict", "NotAuthorizedOrNotFound");
// message the answer's "message", or the transport's description; request_id the
// opc-request-id header.
struct OciError : rest::RestError<OciErrorKind> {
  // "oci POST core /vcns (HTTP 409 Conflict): <message> (opc-request-id R) after 3 attempts".
  // Every part printable (text::printable) and bounded.
  [[nodiscard]] std::string describe() const;
  // As a labctl Error: refused exits 4, the rest 3.
  [[nodiscard]] Error to_error() const;
};

template <class T>
using OciResult = std::expected<T, OciError>;

// The error in a non-2xx OCI answer: kind from the status (429 throttled, 401/403 auth, 409
// conflict, 404 not_found, else service); code and message from {"code","message"}; request_id
// from opc-request-id. The body is repaired to UTF-8 (U+FFFD) before it is parsed, so hostile
// bytes cannot hide the fields; every text printable and bounded (code 128, message 1024,
// request id 128 bytes); a body that is not such JSON still yields the status.
[[nodiscard]] OciError parse_oci_error(std::string operation, long http_status,
                                       const HttpHeaders& headers, std::string_view body);

// The opc-retry-token of one create: "labctl-" and 40 hex digits of SHA-256 over the run id and
// the logical resource ("vcn", "subnet/public", "instance/r1"). The contract: OCI keeps a
// retry token for 24 hours and answers a repeated create carrying it with the first one's
// result instead of creating again, so the same (run, resource) must always give the same
// token — across retries inside one call (the client resends the same request) and across
// processes (a rerun of `up` after a crash, a second labctl started by mistake). A caller that
// wants a second, distinct resource must name it differently.
[[nodiscard]] std::string retry_token(std::string_view run_id, std::string_view resource);

// One OCI call. `path` is under the service's version ("/vcns", "/instances/ocid1...",
// "/resources"): it starts with '/' and holds only unreserved and sub-delim characters (no
// query, no "." or ".." segment, no '%'); the client adds the endpoint and version, the
// percent-encoded `query`, Content-Type for a body, and the signature.
struct OciRequest {
  OciService service = OciService::core;
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string path;
  std::vector<std::pair<std::string, std::string>> query = {};  // e.g. {"compartmentId", id}
  std::optional<nlohmann::json> body = std::nullopt;
  // Required on every mutating POST (a create, an instance action): sent as opc-retry-token on
  // every attempt; a mutating POST without one is refused unsent. From retry_token().
  std::string retry_token = {};
  // true for a POST that only reads (a Resource Search query): it may be sent in dry-run and
  // needs no retry token. PUT, DELETE and any other POST are mutations.
  bool read_only_post = false;
  // Extra request headers ("if-match"); never one the signer owns.
  HttpHeaders headers = {};
};

struct OciResponse {
  long status = 0;
  HttpHeaders headers;
  nlohmann::json body;  // null for an empty body
};

// Every bound on OCI work, whole seconds from the environment; a value out of range is a usage
// error naming the variable.
struct OciLimits {
  std::chrono::seconds request_timeout{30};    // CE_OCI_REQUEST_TIMEOUT
  std::chrono::seconds stall_timeout{15};      // CE_OCI_STALL_TIMEOUT
  std::chrono::seconds command_timeout{1800};  // CE_OCI_COMMAND_TIMEOUT: one phase
  std::chrono::seconds janitor_timeout{3600};  // CE_JANITOR_TIMEOUT: a whole down --expired
};

[[nodiscard]] Expected<OciLimits> oci_limits_from_env(const EnvLookup& env);

// Who signs: the signature's keyId and the API key (from Credentials).
struct OciSigner {
  std::string key_id;
  PrivateKey key;
};

struct OciClientOptions {
  OciEndpoints endpoints;
  // false (dry-run): every mutation is refused (OciErrorKind::refused) before it is signed or
  // sent; plan_text() shows what it would have been.
  bool live = false;
  RetryPolicy retry;
  OciLimits limits;
  std::chrono::milliseconds connect_timeout{3000};
};

struct OciClientDeps {
  std::shared_ptr<HttpTransport> transport;
  OciSigner signer;
  std::shared_ptr<Clock> clock;                   // the signature's Date, backoff, deadline
  std::function<double()> unit_random = nullptr;  // [0,1) for backoff jitter; null: seeded engine
  std::shared_ptr<const CloudDeadline> deadline = nullptr;  // null: none
};

// Thread-safe OCI client. Each attempt is signed afresh (Date from the Clock). Retries: 429
// (waiting retry-after seconds when given, bounded by the policy's cap), 5xx, timeouts and
// resets, with the shared backoff; 401/403 and 409 are never retried here (a bad signature does
// not heal; a conflict is the caller's to judge). Answers are bounded (16 MiB, depth 64, as for
// ARM) and parsed with core/json_io's bounded reader; every string that reaches an error is
// printable, and an endpoint echoing the signature back finds it redacted.
class OciClient {
 public:
  OciClient(OciClientOptions options, OciClientDeps deps);

  // One call, retried as above. A non-2xx answer is an OciError (parse_oci_error).
  [[nodiscard]] OciResult<OciResponse> send(const OciRequest& request) const;

  // send(), then again with page=<opc-next-page> while the answer carries that header,
  // collecting the items: a JSON array answer (Core and Identity lists) or the "items" array of
  // an object (Resource Search collections). A page token seen twice, or more than 1000 pages,
  // is bad_answer.
  [[nodiscard]] OciResult<std::vector<nlohmann::json>> list(const OciRequest& request) const;

  // The dry-run plan line of `request`: "POST /20160918/vcns?compartmentId=...", then the body
  // as JSON on the next line when there is one. No host, no header, no signature.
  [[nodiscard]] std::string plan_text(const OciRequest& request) const;

  [[nodiscard]] bool live() const { return m_options.live; }
  [[nodiscard]] const OciLimits& limits() const { return m_options.limits; }
  [[nodiscard]] Clock& clock() const { return *m_deps.clock; }

 private:
  [[nodiscard]] std::string url_of(const OciRequest& request) const;
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline() const;
  [[nodiscard]] OciError error(OciErrorKind kind, const std::string& operation,
                               std::string message) const;

  OciClientOptions m_options;
  OciClientDeps m_deps;
};

// "POST core /vcns", "GET core /instances/ocid1.instance..." (path bounded, printable).
[[nodiscard]] std::string operation_name(const OciRequest& request);

// The process's OCI clients, built from one environment: the curl transport (OCI_CA_BUNDLE),
// the API-key credentials (resolve_credentials), CE_OCI_MAX_ATTEMPTS, OciLimits and the
// endpoints of the credentials' region (or CE_OCI_ENDPOINT). One dry and one live client, built
// on first use and shared by every oci provider of the command, so a janitor's bound also
// bounds the teardowns that follow.
class OciClientFactory {
 public:
  // `transport` null: the curl transport with OCI_CA_BUNDLE.
  [[nodiscard]] static std::shared_ptr<OciClientFactory> from_env(
      EnvLookup env, std::shared_ptr<Clock> clock,
      std::shared_ptr<HttpTransport> transport = nullptr);

  OciClientFactory(EnvLookup env, std::shared_ptr<Clock> clock,
                   std::shared_ptr<HttpTransport> transport);

  // The dry (`live` false) or live client; the first error (no or bad credentials, a bad
  // CE_OCI_* value or endpoint) is returned again on each call. A dry client needs credentials
  // too: its reads are signed.
  [[nodiscard]] Expected<std::shared_ptr<OciClient>> client(bool live);

  // The same client, except that it retries nothing but throttling (RetryPolicy::
  // throttling_only): the provider actions' mutations go through it, since a PUT or DELETE
  // without a clear answer (a reset, a timeout, a 5xx) may have been applied, and resending it
  // would be a blind retry of an ambiguous result (runbook §8).
  [[nodiscard]] Expected<std::shared_ptr<OciClient>> writer(bool live);

  // The tenancy and region of the credentials the clients sign with (the janitor searches the
  // tenancy; a lab's region must be this one: the endpoints are regional). Builds the dry
  // client if none exists yet, so it fails as client() does.
  struct Account {
    std::string tenancy;
    std::string region;
  };
  [[nodiscard]] Expected<Account> account();

  // Starts a phase (every client stops sending limits().command_timeout from now) / bounds all
  // remaining OCI work of the process by limits().janitor_timeout (first call wins).
  void start_phase();
  void start_janitor();

  [[nodiscard]] Clock& clock() const { return *m_clock; }

 private:
  EnvLookup m_env;
  std::shared_ptr<Clock> m_clock;
  std::shared_ptr<HttpTransport> m_transport;
  std::shared_ptr<CloudDeadline> m_deadline =
      std::make_shared<CloudDeadline>("OCI", "CE_OCI_COMMAND_TIMEOUT");
  [[nodiscard]] Expected<std::shared_ptr<OciClient>> make_client(bool live, bool writer);

  std::mutex m_mutex;
  std::map<std::pair<bool, bool>, std::shared_ptr<OciClient>> m_clients;  // (live, writer)
  std::optional<Error> m_error;
  Account m_account;
};

}  // namespace labctl::providers::oci
