#include "providers/oci/oci_client.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <openssl/evp.h>

#include "core/json_fields.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/oci/credentials.hpp"
#include "providers/oci/signer.hpp"
#include "providers/secret.hpp"
#include "providers/url.hpp"

namespace labctl::providers::oci {

namespace {

constexpr std::size_t k_max_pages = 1000;
constexpr std::size_t k_max_page_token_bytes = 4096;
constexpr std::size_t k_max_path_shown = 160;
// OCI accepts retry tokens of up to 64 characters.
constexpr std::size_t k_max_retry_token_bytes = 64;
constexpr long long k_day_s = 86400;

constexpr const char* k_version_core = "20160918";
constexpr const char* k_version_search = "20180409";

std::string_view version_of(OciService service) {
  return service == OciService::search ? k_version_search : k_version_core;
}

bool is_mutation(const OciRequest& request) {
  if (request.method == "GET" || request.method == "HEAD") return false;
  return !(request.method == "POST" && request.read_only_post);
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Our own paths only: nothing that needs escaping, no "." or ".." segment (OCIDs do hold "..",
// "ocid1.vcn.oc1..aaaa", inside a segment), no query; resource ids are checked by the plan,
// this is the last line.
bool oci_path(std::string_view path) {
  constexpr std::string_view k_allowed = "/!$&'()*+,;=:@";
  if (!path.starts_with('/') || !std::ranges::all_of(path, [k_allowed](char c) {
        return unreserved(c) || k_allowed.find(c) != std::string_view::npos;
      })) {
    return false;
  }
  for (std::size_t start = 1; start <= path.size();) {
    const auto slash = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, slash - start);
    if (segment == "." || segment == "..") return false;
    start = slash + 1;
  }
  return true;
}

bool retry_token_shape(std::string_view token) {
  return !token.empty() && token.size() <= k_max_retry_token_bytes &&
         std::ranges::all_of(token, [](char c) { return unreserved(c) && c != '.' && c != '~'; });
}


// The signature="..." value of an Authorization header: what an endpoint could echo back.
std::string signature_of(const HttpHeaders& headers) {
  const auto authorization = find_header(headers, "Authorization").value_or("");
  constexpr std::string_view k_marker = "signature=\"";
  const auto at = authorization.find(k_marker);
  if (at == std::string::npos) return {};
  const auto start = at + k_marker.size();
  return authorization.substr(start, authorization.find('"', start) - start);
}

Expected<std::string> checked_endpoint(std::string_view value) {
  const std::string endpoint = ascii::without_trailing_slash(std::string(value));
  constexpr std::string_view k_https = "https://";
  const auto bad = [&](const std::string& why) -> Expected<std::string> {
    return fail(ExitCode::usage, "CE_OCI_ENDPOINT=\"" + ::labctl::text::printable(value, 256) +
                                     "\" " + why +
                                     "; it must be https://host[:port] (the OCI fake serves TLS; "
                                     "its CA goes in OCI_CA_BUNDLE)");
  };
  if (!endpoint.starts_with(k_https)) return bad("is not an https:// origin");
  if (endpoint.find_first_of("/?#@", k_https.size()) != std::string::npos) {
    return bad("has a path, a query, a fragment or userinfo");
  }
  if (auto host = host_for(endpoint + "/"); !host) return bad("is not a URL");
  return endpoint;
}

}  // namespace

std::string_view to_string(OciService service) {
  switch (service) {
    case OciService::identity:
      return "identity";
    case OciService::search:
      return "search";
    case OciService::core:
      break;
  }
  return "core";
}

const std::string& OciEndpoints::of(OciService service) const {
  switch (service) {
    case OciService::identity:
      return identity;
    case OciService::search:
      return search;
    case OciService::core:
      break;
  }
  return core;
}

Expected<OciEndpoints> resolve_endpoints(const EnvLookup& env, std::string_view region) {
  if (const auto value = env("CE_OCI_ENDPOINT"); value && !value->empty()) {
    auto endpoint = checked_endpoint(*value);
    if (!endpoint) return std::unexpected(endpoint.error());
    return OciEndpoints{*endpoint, *endpoint, *endpoint};
  }
  if (auto shape = check_region(region, "the OCI region"); !shape) {
    return std::unexpected(shape.error());
  }
  const std::string suffix = "." + std::string(region) + ".oraclecloud.com";
  return OciEndpoints{"https://iaas" + suffix, "https://identity" + suffix,
                      "https://query" + suffix};
}

std::string_view to_string(OciErrorKind kind) { return rest::kind_name(kind); }

std::string OciError::describe() const { return describe_as("oci", "opc-request-id"); }

Error OciError::to_error() const {
  return Error{kind == OciErrorKind::refused ? ExitCode::refused : ExitCode::provider, describe()};
}

OciError parse_oci_error(std::string operation, long http_status, const HttpHeaders& headers,
                         std::string_view body) {
  OciError error;
  error.operation = std::move(operation);
  rest::read_error_answer(
      error, http_status, headers, body,
      {"oci error answer", "opc-request-id", [](const nlohmann::json& json) {
         return rest::ErrorFields{fields::text_at(json, "code"), fields::text_at(json, "message")};
       }});
  return error;
}

std::string retry_token(std::string_view run_id, std::string_view resource) {
  // Length-prefixed so ("ab", "c") and ("a", "bc") differ.
  const std::string input =
      std::to_string(run_id.size()) + ":" + std::string(run_id) + std::string(resource);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr);
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out = "labctl-";
  constexpr std::size_t k_hex_bytes = 20;  // 40 hex digits: 160 bits
  for (std::size_t i = 0; i < std::min<std::size_t>(size, k_hex_bytes); ++i) {
    out += k_hex[digest[i] >> 4U];
    out += k_hex[digest[i] & 0x0FU];
  }
  return out;
}

std::string operation_name(const OciRequest& request) {
  return request.method + " " + std::string(to_string(request.service)) + " " +
         ::labctl::text::printable(request.path, k_max_path_shown);
}

Expected<OciLimits> oci_limits_from_env(const EnvLookup& env) {
  OciLimits limits;
  for (auto [name, field] : {std::pair{"CE_OCI_REQUEST_TIMEOUT", &limits.request_timeout},
                             std::pair{"CE_OCI_STALL_TIMEOUT", &limits.stall_timeout},
                             std::pair{"CE_OCI_COMMAND_TIMEOUT", &limits.command_timeout},
                             std::pair{"CE_JANITOR_TIMEOUT", &limits.janitor_timeout}}) {
    auto value = env::whole_number(env, name, field->count(), 1, k_day_s, "seconds");
    if (!value) return std::unexpected(value.error());
    *field = std::chrono::seconds(*value);
  }
  return limits;
}

OciClient::OciClient(OciClientOptions options, OciClientDeps deps)
    : m_options(std::move(options)), m_deps(std::move(deps)) {}

std::string OciClient::url_of(const OciRequest& request) const {
  std::string url = m_options.endpoints.of(request.service) + "/" +
                    std::string(version_of(request.service)) + request.path;
  char separator = '?';
  for (const auto& [key, value] : request.query) {
    url += separator + percent_encode(key) + "=" + percent_encode(value);
    separator = '&';
  }
  return url;
}

std::string OciClient::plan_text(const OciRequest& request) const {
  const std::string url = url_of(request);
  const std::string origin = m_options.endpoints.of(request.service);
  std::string text = request.method + " " + url.substr(origin.size());
  if (request.body) text += "\n" + json_io::dump(*request.body);
  return text;
}

OciResult<OciResponse> OciClient::send(const OciRequest& request) const {
  const std::string operation = operation_name(request);
  if (!oci_path(request.path)) {
    return std::unexpected(error(OciErrorKind::refused, operation,
                                 "\"" + ::labctl::text::printable(request.path, k_max_path_shown) +
                                     "\" is not an OCI API path (starting with '/', no query, no "
                                     "\"..\", nothing to escape); nothing was sent"));
  }
  if (request.method == "POST" && !request.read_only_post &&
      !retry_token_shape(request.retry_token)) {
    return std::unexpected(error(
        OciErrorKind::refused, operation,
        "a mutating POST needs an opc-retry-token (1-64 of A-Z a-z 0-9 - _, from retry_token()) "
        "so that a retried create cannot create twice; nothing was sent"));
  }
  if (!m_options.live && is_mutation(request)) {
    return std::unexpected(
        error(OciErrorKind::refused, operation,
              "refusing to send a mutating request in dry-run mode (nothing was signed or sent; a "
              "live run needs CE_DRY_RUN=0)"));
  }

  const std::string url = url_of(request);
  HttpHeaders own = {{"Accept", "application/json"}, {"User-Agent", "labctl"}};
  own.insert(own.end(), request.headers.begin(), request.headers.end());
  if (!request.retry_token.empty()) own.emplace_back("opc-retry-token", request.retry_token);
  std::string body;
  if (request.body) {
    own.emplace_back("Content-Type", "application/json");
    body = json_io::dump(*request.body);
  }

  for (int attempt = 1;; ++attempt) {
    const auto at = deadline();
    if (at && m_deps.clock->steady_now() >= *at) {
      OciError passed = error(OciErrorKind::timeout, operation,
                              m_deps.deadline->describe() +
                                  "; nothing more is sent (raise it, or run the command again to "
                                  "continue)");
      passed.attempts = std::max(1, attempt - 1);
      return std::unexpected(std::move(passed));
    }
    // Signed afresh each attempt: OCI refuses a Date more than 5 minutes off.
    auto added = sign_request({request.method, url, own, body}, m_deps.signer.key_id,
                              m_deps.signer.key, format_http_date(m_deps.clock->now()));
    if (!added) {
      return std::unexpected(
          error(OciErrorKind::refused, operation,
                "cannot sign the request: " + added.error().message + "; nothing was sent"));
    }
    const std::vector<std::string> secrets{signature_of(*added)};

    HttpRequest http;
    http.method = request.method;
    http.url = url;
    http.headers = own;
    http.headers.insert(http.headers.end(), added->begin(), added->end());
    http.body = body;
    http.connect_timeout = m_options.connect_timeout;
    http.total_timeout = m_options.limits.request_timeout;
    http.stall_timeout = m_options.limits.stall_timeout;
    http.max_response_bytes = rest::k_max_response_bytes;
    if (at) {
      // Never past the deadline: a request sent just before it is cut there (at least 1 ms).
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*at - m_deps.clock->steady_now());
      http.total_timeout = std::clamp(left, std::chrono::milliseconds(1), http.total_timeout);
    }
    auto response = m_deps.transport->send(http);

    OciError failure;
    bool retryable = false;
    if (!response) {
      const TransportError& cause = response.error();
      failure = error(cause.kind == TransportErrorKind::timeout ? OciErrorKind::timeout
                                                                : OciErrorKind::transport,
                      operation, ::labctl::text::printable(scrub(cause.message, secrets), 1024));
      if (cause.kind == TransportErrorKind::connection_reset) {
        failure.message = "connection reset: " + failure.message;
      }
      if (cause.kind == TransportErrorKind::timeout) {
        failure.message += " (bounds: CE_OCI_REQUEST_TIMEOUT, CE_OCI_STALL_TIMEOUT)";
      }
      retryable = cause.kind != TransportErrorKind::transport;
    } else if (response->status >= 200 && response->status < 300) {
      auto parsed = rest::parse_answer(response->status, response->body, "oci answer");
      if (!parsed) {
        OciError malformed = error(OciErrorKind::bad_answer, operation, std::move(parsed.error()));
        malformed.http_status = static_cast<int>(response->status);
        malformed.attempts = attempt;
        return std::unexpected(std::move(malformed));
      }
      return OciResponse{response->status, std::move(response->headers), std::move(*parsed)};
    } else {
      // Scrubbed before parsing: a bounded field could otherwise keep part of an echo.
      HttpHeaders headers = response->headers;
      for (auto& [name, value] : headers) value = scrub(std::move(value), secrets);
      failure = parse_oci_error(operation, response->status, headers,
                                scrub(std::move(response->body), secrets));
      retryable = response->status == 429 || response->status >= 500;
    }
    failure.attempts = attempt;
    const bool throttled = failure.kind == OciErrorKind::throttled;
    if (!rest::should_retry(m_options.retry, retryable, throttled, attempt)) {
      return std::unexpected(std::move(failure));
    }
    const auto delay =
        rest::retry_delay(m_options.retry, attempt, rest::unit_random(m_deps.unit_random),
                          throttled && response ? &response->headers : nullptr, at, *m_deps.clock);
    rest::log_retry("oci.retry", failure, m_options.retry, delay);
    if (!m_deps.clock->sleep_for(delay)) return std::unexpected(std::move(failure));
  }
}

OciResult<std::vector<nlohmann::json>> OciClient::list(const OciRequest& request) const {
  const std::string operation = operation_name(request);
  std::vector<nlohmann::json> items;
  std::set<std::string> seen;
  OciRequest next = request;
  for (std::size_t pages = 1;; ++pages) {
    auto page = send(next);
    if (!page) return std::unexpected(std::move(page.error()));
    const nlohmann::json& body = page->body;
    const nlohmann::json* array = body.is_array() ? &body : nullptr;
    if (body.is_object()) {
      const auto found = body.find("items");
      if (found != body.end() && found->is_array()) array = &*found;
    }
    if (array == nullptr) {
      OciError bad = error(OciErrorKind::bad_answer, operation,
                           "page " + std::to_string(pages) +
                               " is neither a JSON array nor an object with an \"items\" array");
      bad.http_status = static_cast<int>(page->status);
      return std::unexpected(std::move(bad));
    }
    items.insert(items.end(), array->begin(), array->end());
    const std::string token = find_header(page->headers, "opc-next-page").value_or("");
    if (token.empty()) return items;
    const auto stop = [&](const std::string& why) {
      return std::unexpected(
          error(OciErrorKind::bad_answer, operation,
                "page " + std::to_string(pages) + " " + why + "; stopping instead of looping"));
    };
    if (token.size() > k_max_page_token_bytes) {
      return stop("has an opc-next-page token of " + std::to_string(token.size()) +
                  " bytes (the bound is " + std::to_string(k_max_page_token_bytes) + ")");
    }
    if (!seen.insert(token).second) {
      return stop("repeats the opc-next-page token \"" + ::labctl::text::printable(token, 128) +
                  "\" of an earlier page of the same listing");
    }
    if (pages >= k_max_pages) {
      return stop("is the " + std::to_string(k_max_pages) + "th and still has an opc-next-page");
    }
    std::erase_if(next.query, [](const auto& pair) { return pair.first == "page"; });
    next.query.emplace_back("page", token);
  }
}

std::optional<std::chrono::steady_clock::time_point> OciClient::deadline() const {
  if (!m_deps.deadline) return std::nullopt;
  return m_deps.deadline->at();
}

OciError OciClient::error(OciErrorKind kind, const std::string& operation,
                          std::string message) const {
  OciError out;
  out.kind = kind;
  out.operation = operation;
  out.message = std::move(message);
  return out;
}

std::shared_ptr<OciClientFactory> OciClientFactory::from_env(
    EnvLookup env, std::shared_ptr<Clock> clock, std::shared_ptr<HttpTransport> transport) {
  if (!transport) transport = make_curl_transport(curl_options_from_env(env, "OCI_CA_BUNDLE"));
  return std::make_shared<OciClientFactory>(std::move(env), std::move(clock), std::move(transport));
}

OciClientFactory::OciClientFactory(EnvLookup env, std::shared_ptr<Clock> clock,
                                   std::shared_ptr<HttpTransport> transport)
    : m_env(std::move(env)), m_clock(std::move(clock)), m_transport(std::move(transport)) {}

Expected<std::shared_ptr<OciClient>> OciClientFactory::client(bool live) {
  return make_client(live, false);
}

Expected<std::shared_ptr<OciClient>> OciClientFactory::writer(bool live) {
  return make_client(live, true);
}

Expected<std::shared_ptr<OciClient>> OciClientFactory::make_client(bool live, bool writer) {
  const std::lock_guard lock(m_mutex);
  if (m_error) return std::unexpected(*m_error);
  const auto key = std::pair{live, writer};
  if (auto found = m_clients.find(key); found != m_clients.end()) return found->second;
  const auto failed = [this](const Error& error) {
    m_error = error;
    return std::unexpected(error);
  };
  auto retry = retry_policy_from_env(m_env, "CE_OCI_MAX_ATTEMPTS");
  if (!retry) return failed(retry.error());
  retry->throttling_only = writer;
  auto limits = oci_limits_from_env(m_env);
  if (!limits) return failed(limits.error());
  auto credentials = resolve_credentials(m_env);
  if (!credentials) return failed(credentials.error());
  auto endpoints = resolve_endpoints(m_env, credentials->region);
  if (!endpoints) return failed(endpoints.error());
  OciClientOptions options;
  options.endpoints = *endpoints;
  options.live = live;
  options.retry = *retry;
  options.limits = *limits;
  m_account = Account{credentials->tenancy, credentials->region};
  OciClientDeps deps{m_transport, OciSigner{credentials->key_id(), credentials->key}, m_clock,
                     nullptr, m_deadline};
  auto client = std::make_shared<OciClient>(std::move(options), std::move(deps));
  m_clients[key] = client;
  return client;
}

Expected<OciClientFactory::Account> OciClientFactory::account() {
  if (auto built = client(false); !built) return std::unexpected(built.error());
  const std::lock_guard lock(m_mutex);
  return m_account;
}

void OciClientFactory::start_phase() {
  auto limits = oci_limits_from_env(m_env);
  const auto budget = limits ? limits->command_timeout : OciLimits{}.command_timeout;
  m_deadline->arm_phase(m_clock->steady_now() + budget, budget);
}

void OciClientFactory::start_janitor() {
  auto limits = oci_limits_from_env(m_env);
  const auto budget = limits ? limits->janitor_timeout : OciLimits{}.janitor_timeout;
  m_deadline->arm_hard(m_clock->steady_now() + budget, budget);
}

}  // namespace labctl::providers::oci
