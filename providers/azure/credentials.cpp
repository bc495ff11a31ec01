#include "providers/azure/credentials.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/ascii.hpp"
#include "providers/azure/url.hpp"

namespace labctl::providers::azure {

namespace {

constexpr std::size_t k_max_access_token_bytes = std::size_t{16} << 10U;
constexpr int k_max_attempts = 3;
constexpr std::chrono::milliseconds k_first_backoff{200};
constexpr std::chrono::milliseconds k_connect_timeout{3000};
constexpr std::chrono::milliseconds k_total_timeout{10000};
constexpr const char* k_jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr const char* k_set_hint =
    "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or "
    "AZURE_FEDERATED_TOKEN_FILE with AZURE_TENANT_ID and AZURE_CLIENT_ID (workload identity), "
    "or run where a managed identity is available (IDENTITY_ENDPOINT/IDENTITY_HEADER, or IMDS)";

std::optional<std::string> non_empty(const EnvLookup& env, const char* name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

// A tenant is a GUID or a domain name; it becomes part of the token URL's path.
bool tenant_shape(std::string_view tenant) {
  return !tenant.empty() && tenant.size() <= 256 && std::ranges::all_of(tenant, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

// A whole number of seconds from a JSON number or a string of digits.
std::optional<long long> seconds_of(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  long long out = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += percent_encode(key) + '=' + percent_encode(value);
  }
  return out;
}

// One token request, retried (timeouts, resets, 429, 5xx) up to k_max_attempts with doubling
// backoff through `clock`. `probe` (IMDS): a first attempt that reaches nothing, or any 4xx but
// 429 (400: no identity on this host; 403/404: whatever else answers at that address, e.g.
// another cloud's metadata service), sets `*unavailable` to why and returns at once.
Expected<AccessToken> call_token_endpoint(HttpTransport& transport, Clock& clock,
                                          HttpRequest request, const std::string& what,
                                          const std::vector<std::string>& secrets,
                                          const std::string& source,
                                          std::optional<std::string>* unavailable = nullptr) {
  request.max_response_bytes = 2 * k_max_token_answer_bytes;  // headers too; the body is checked
  std::chrono::milliseconds backoff = k_first_backoff;
  Expected<AccessToken> last = fail(ExitCode::provider, what + ": not sent");
  for (int attempt = 1; attempt <= k_max_attempts; ++attempt) {
    if (attempt > 1) {
      if (!clock.sleep_for(backoff)) break;
      backoff *= 2;
    }
    auto response = transport.send(request);
    if (!response) {
      const std::string why =
          std::string(to_string(response.error().kind)) + " (" +
          scrub(::labctl::text::printable(response.error().message, 256), secrets) + ")";
      if (unavailable != nullptr && attempt == 1 &&
          response.error().kind != TransportErrorKind::connection_reset) {
        *unavailable = what + ": " + why;
        return fail(ExitCode::usage, **unavailable);
      }
      last = fail(ExitCode::provider, what + ": " + why);
      if (response.error().kind == TransportErrorKind::transport) break;
      continue;
    }
    last = parse_token_answer(what, response->status, response->body, clock.now(), secrets, source);
    if (last) return last;
    if (unavailable != nullptr && response->status >= 400 && response->status < 500 &&
        response->status != 429) {
      *unavailable = last.error().message;
      return last;
    }
    if (response->status != 429 && response->status < 500) return last;
  }
  if (!last) {
    last.error().message += " (after up to " + std::to_string(k_max_attempts) + " attempts)";
  }
  return last;
}

}  // namespace

std::string AccessToken::describe() const {
  return "ARM token from " + source + ", expires " + format_rfc3339(expires_at);
}

Expected<AccessToken> parse_token_answer(std::string_view what, long http_status,
                                         std::string_view body, SystemTime now,
                                         const std::vector<std::string>& secrets,
                                         std::string source) {
  const std::string where(what);
  if (body.size() > k_max_token_answer_bytes) {
    return fail(ExitCode::provider, where + ": HTTP " + std::to_string(http_status) +
                                        " answer of " + std::to_string(body.size()) +
                                        " bytes (more than " +
                                        std::to_string(k_max_token_answer_bytes) + "); refused");
  }
  if (http_status != 200) {
    // The error's text only, never the body: printable, bounded, every secret cut out.
    const auto json =
        json_io::parse(::labctl::text::to_utf8(body), what, {k_max_token_answer_bytes, 8})
            .value_or(nlohmann::json());
    std::string code;
    std::string description;
    if (json.is_object()) {
      const auto error = json.find("error");
      if (error != json.end() && error->is_string()) {
        code = error->get<std::string>();
        if (const auto found = json.find("error_description");
            found != json.end() && found->is_string()) {
          description = found->get<std::string>();
        }
      } else if (error != json.end() && error->is_object()) {
        if (const auto found = error->find("code"); found != error->end() && found->is_string())
          code = found->get<std::string>();
        if (const auto found = error->find("message");
            found != error->end() && found->is_string()) {
          description = found->get<std::string>();
        }
      }
    }
    code = scrub(::labctl::text::printable(code, 128), secrets);
    std::string message = where + ": HTTP " + std::to_string(http_status) + " " +
                          (code.empty() ? std::string("error") : code);
    if (!description.empty()) {
      message += ": " + ::labctl::text::printable(scrub(description, secrets), 1024);
    }
    if (code == "invalid_client" || code == "unauthorized_client" || http_status == 401) {
      message += "; fix: check AZURE_CLIENT_ID and its secret or federated token";
    }
    return fail(ExitCode::provider, message);
  }
  // Not json_io's message: a parser's message may quote the document, i.e. the token.
  const auto json = json_io::parse(body, what, {k_max_token_answer_bytes, 8});
  if (!json || !json->is_object()) {
    return fail(ExitCode::provider, where + ": the answer is not a JSON object (" +
                                        std::to_string(body.size()) + " bytes)");
  }
  const auto malformed = [&where](const std::string& why) {
    return fail(ExitCode::provider, where + ": the answer " + why);
  };
  const auto token = json->find("access_token");
  if (token == json->end() || !token->is_string()) return malformed("has no access_token");
  const auto& value = token->get_ref<const std::string&>();
  if (value.empty() || value.size() > k_max_access_token_bytes ||
      !std::ranges::all_of(value, [](char c) { return c > ' ' && c < 0x7f; })) {
    return malformed("has an access_token that is not 1.." +
                     std::to_string(k_max_access_token_bytes) + " bytes of printable ASCII");
  }
  if (const auto type = json->find("token_type"); type != json->end()) {
    if (!type->is_string() || !ascii::iequals(type->get<std::string>(), "Bearer")) {
      return malformed("has a token_type that is not Bearer");
    }
  }
  std::optional<SystemTime> expires_at;
  if (const auto in = json->find("expires_in"); in != json->end()) {
    if (const auto seconds = seconds_of(*in); seconds && *seconds > 0 && *seconds <= 86400 * 30) {
      expires_at = now + std::chrono::seconds(*seconds);
    }
  } else if (const auto on = json->find("expires_on"); on != json->end()) {
    if (const auto seconds = seconds_of(*on); seconds && *seconds > 0 && *seconds < (1LL << 40)) {
      expires_at = SystemTime(std::chrono::seconds(*seconds));
    }
  }
  if (!expires_at) {
    return malformed("has neither expires_in (seconds) nor expires_on (Unix seconds)");
  }
  if (*expires_at <= now) {
    return malformed("holds a token that expired at " + format_rfc3339(*expires_at));
  }
  return AccessToken{Secret(value), *expires_at, std::move(source)};
}

struct CredentialChain::Source {
  enum class Kind { client_secret, workload_identity, app_service, imds };
  Kind kind = Kind::imds;
  std::string key;  // the cache key: which source, for which identity, where
  std::string description;
  std::string url;
  std::string client_id;
  std::string tenant;
  Secret secret;  // the client secret, or IDENTITY_HEADER
  std::string token_file;
  std::string imds_endpoint;
};

CredentialChain::CredentialChain(EnvLookup env, std::shared_ptr<HttpTransport> transport,
                                 std::shared_ptr<Clock> clock)
    : m_env(std::move(env)), m_transport(std::move(transport)), m_clock(std::move(clock)) {}

Expected<CredentialChain::Source> CredentialChain::choose_source() {
  const auto tenant = non_empty(m_env, "AZURE_TENANT_ID");
  const auto client = non_empty(m_env, "AZURE_CLIENT_ID");
  const auto secret = non_empty(m_env, "AZURE_CLIENT_SECRET");
  const auto token_file = non_empty(m_env, "AZURE_FEDERATED_TOKEN_FILE");

  if (secret || token_file) {
    const char* what = secret ? "client secret (AZURE_CLIENT_SECRET)"
                              : "workload identity (AZURE_FEDERATED_TOKEN_FILE)";
    std::vector<std::string> missing;
    if (!tenant) missing.emplace_back("AZURE_TENANT_ID");
    if (!client) missing.emplace_back("AZURE_CLIENT_ID");
    if (!missing.empty()) {
      std::string names = missing.front();
      if (missing.size() > 1) names += " and " + missing.back();
      return fail(ExitCode::usage, std::string("azure credentials: ") + what + " is set but " +
                                       names + (missing.size() > 1 ? " are" : " is") +
                                       " not; set " + names + " too, or unset it");
    }
    if (!tenant_shape(*tenant)) {
      return fail(ExitCode::usage, "azure credentials: AZURE_TENANT_ID=\"" +
                                       ::labctl::text::printable(*tenant, 64) +
                                       "\" is not a tenant id (a GUID) or domain name");
    }
    auto authority =
        secure_endpoint(non_empty(m_env, "AZURE_AUTHORITY_HOST").value_or(k_default_authority),
                        "AZURE_AUTHORITY_HOST");
    if (!authority) return std::unexpected(authority.error());
    Source source;
    source.kind = secret ? Source::Kind::client_secret : Source::Kind::workload_identity;
    source.tenant = *tenant;
    source.client_id = *client;
    source.url = *authority + "/" + *tenant + "/oauth2/v2.0/token";
    if (secret) {
      source.secret = Secret(*secret);
      source.description = "client secret of app " + ::labctl::text::printable(*client, 64) +
                           " in tenant " + *tenant;
    } else {
      source.token_file = *token_file;
      source.description = "workload identity of app " + ::labctl::text::printable(*client, 64) +
                           " in tenant " + *tenant;
    }
    source.key = std::string(secret ? "secret\n" : "workload\n") + source.url + "\n" + *client +
                 "\n" + source.token_file;
    return source;
  }
  if (tenant) {
    return fail(ExitCode::usage,
                "azure credentials: AZURE_TENANT_ID is set but neither AZURE_CLIENT_SECRET nor "
                "AZURE_FEDERATED_TOKEN_FILE is; set AZURE_CLIENT_ID and one of them, or unset "
                "AZURE_TENANT_ID to use a managed identity");
  }

  const auto identity_endpoint = non_empty(m_env, "IDENTITY_ENDPOINT");
  const auto identity_header = non_empty(m_env, "IDENTITY_HEADER");
  Source source;
  source.client_id = client.value_or("");
  std::string query = "&resource=" + percent_encode(k_arm_resource);
  if (client) query += "&client_id=" + percent_encode(*client);
  if (identity_endpoint || identity_header) {
    if (!identity_endpoint || !identity_header) {
      return fail(ExitCode::usage,
                  std::string("azure credentials: ") +
                      (identity_endpoint ? "IDENTITY_ENDPOINT" : "IDENTITY_HEADER") +
                      " is set but " +
                      (identity_endpoint ? "IDENTITY_HEADER" : "IDENTITY_ENDPOINT") +
                      " is not; a managed identity endpoint needs both");
    }
    if (!url_origin(*identity_endpoint) ||
        identity_endpoint->find_first_of("?#") != std::string::npos) {
      return fail(ExitCode::usage, "azure credentials: IDENTITY_ENDPOINT=\"" +
                                       ::labctl::text::printable(*identity_endpoint, 256) +
                                       "\" is not an http(s) URL without a query");
    }
    source.kind = Source::Kind::app_service;
    source.secret = Secret(*identity_header);
    source.url = *identity_endpoint + "?api-version=2019-08-01" + query;
    source.description = "managed identity (IDENTITY_ENDPOINT)";
  } else {
    const std::string endpoint = ascii::without_trailing_slash(
        non_empty(m_env, "AZURE_IMDS_ENDPOINT").value_or(k_default_imds_endpoint));
    if (!url_origin(endpoint) || endpoint.find_first_of("?#") != std::string::npos) {
      return fail(ExitCode::usage, "azure credentials: AZURE_IMDS_ENDPOINT=\"" +
                                       ::labctl::text::printable(endpoint, 256) +
                                       "\" is not an http(s) URL without a query");
    }
    source.kind = Source::Kind::imds;
    source.imds_endpoint = endpoint;
    source.url = endpoint + "/metadata/identity/oauth2/token?api-version=2018-02-01" + query;
    source.description = "managed identity (IMDS at " + endpoint + ")";
  }
  source.key = "managed\n" + source.url;
  return source;
}

Error CredentialChain::no_credentials(const std::string& managed_identity) const {
  return Error{
      ExitCode::usage,
      "azure: no credentials (tried: environment client secret "
      "(AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET not set), workload identity "
      "(AZURE_FEDERATED_TOKEN_FILE not set), managed identity (IDENTITY_ENDPOINT not set; " +
          managed_identity + ")); " + k_set_hint};
}

Expected<AccessToken> CredentialChain::token() {
  const std::lock_guard lock(m_mutex);
  auto source = choose_source();
  if (!source) return std::unexpected(source.error());
  const SystemTime now = m_clock->now();
  if (m_token && m_token_key == source->key) {
    const auto margin =
        std::min<SystemTime::duration>(k_refresh_margin, (m_token->expires_at - m_fetched_at) / 2);
    if (now < m_token->expires_at - margin) return *m_token;
  }
  auto fetched = fetch(*source);
  if (fetched) {
    m_token = *fetched;
    m_token_key = source->key;
    m_fetched_at = now;
    return fetched;
  }
  if (m_token && m_token_key == source->key && now < m_token->expires_at) {
    log::warn("azure.credentials.refresh_failed",
              "refreshing the " + m_token->describe() +
                  " failed; using it until it expires: " + fetched.error().message);
    return *m_token;
  }
  return fetched;
}

void CredentialChain::invalidate() {
  const std::lock_guard lock(m_mutex);
  m_token.reset();
}

Expected<AccessToken> CredentialChain::fetch(const Source& source) {
  if (source.kind == Source::Kind::app_service || source.kind == Source::Kind::imds) {
    return fetch_managed_identity(source);
  }
  std::vector<std::pair<std::string, std::string>> form{{"grant_type", "client_credentials"},
                                                        {"client_id", source.client_id}};
  std::vector<std::string> secrets;
  if (source.kind == Source::Kind::client_secret) {
    form.emplace_back("client_secret", source.secret.reveal());
    secrets.push_back(source.secret.reveal());
  } else {
    // Read at every fetch: the file is rotated (Kubernetes projects a new token hourly).
    auto assertion = read_file(source.token_file, k_max_federated_token_bytes);
    if (!assertion) {
      return fail(ExitCode::usage,
                  "azure credentials: AZURE_FEDERATED_TOKEN_FILE: " + assertion.error().message);
    }
    const std::string trimmed(ascii::trim(*assertion));
    if (trimmed.empty()) {
      return fail(ExitCode::usage, "azure credentials: AZURE_FEDERATED_TOKEN_FILE " +
                                       ::labctl::text::printable(source.token_file, 256) +
                                       " is empty");
    }
    form.emplace_back("client_assertion", trimmed);
    form.emplace_back("client_assertion_type", k_jwt_bearer);
    secrets.push_back(trimmed);
  }
  form.emplace_back("scope", k_arm_scope);
  HttpRequest request;
  request.method = "POST";
  request.url = source.url;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"},
                     {"User-Agent", "labctl"}};
  request.body = form_encode(form);
  request.connect_timeout = k_connect_timeout;
  request.total_timeout = k_total_timeout;
  return call_token_endpoint(*m_transport, *m_clock, std::move(request),
                             "azure token (" + source.description + ") at " + source.url, secrets,
                             source.description);
}

Expected<AccessToken> CredentialChain::fetch_managed_identity(const Source& source) {
  if (source.kind == Source::Kind::imds) {
    if (const auto down = m_imds_down.find(source.imds_endpoint); down != m_imds_down.end()) {
      return std::unexpected(no_credentials(down->second));
    }
  }
  HttpRequest request;
  request.method = "GET";
  request.url = source.url;
  request.headers = {{"Accept", "application/json"}, {"User-Agent", "labctl"}};
  std::vector<std::string> secrets;
  if (source.kind == Source::Kind::app_service) {
    request.headers.emplace_back("X-IDENTITY-HEADER", source.secret.reveal());
    secrets.push_back(source.secret.reveal());
    request.connect_timeout = k_connect_timeout;
  } else {
    request.headers.emplace_back("Metadata", "true");
    request.connect_timeout = k_imds_connect_timeout;
  }
  request.total_timeout = k_total_timeout;
  std::optional<std::string> unavailable;
  auto token = call_token_endpoint(
      *m_transport, *m_clock, std::move(request), "azure token (" + source.description + ")",
      secrets, source.description, source.kind == Source::Kind::imds ? &unavailable : nullptr);
  if (!token && unavailable) {
    m_imds_down[source.imds_endpoint] = *unavailable + ": not available";
    return std::unexpected(no_credentials(m_imds_down[source.imds_endpoint]));
  }
  return token;
}

}  // namespace labctl::providers::azure
