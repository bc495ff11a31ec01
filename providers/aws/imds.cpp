#include "providers/aws/imds.hpp"

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers::aws {

namespace {

constexpr const char* k_token_ttl_seconds = "21600";
constexpr const char* k_credentials_path = "/latest/meta-data/iam/security-credentials/";

Expected<std::string> imds_call(HttpTransport& transport, const std::string& method,
                                const std::string& url, HttpHeaders headers,
                                const std::string& step) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = std::move(headers);
  request.connect_timeout = k_imds_timeout;
  request.total_timeout = k_imds_timeout;
  request.max_response_bytes = std::size_t{64} << 10U;  // a token, a role name, one JSON document
  auto response = transport.send(request);
  if (!response) {
    return fail(ExitCode::provider, "instance metadata " + step + ": " +
                                        std::string(to_string(response.error().kind)) + " (" +
                                        response.error().message + ")");
  }
  if (response->status != 200) {
    return fail(ExitCode::provider,
                "instance metadata " + step + ": HTTP " + std::to_string(response->status));
  }
  return std::move(response->body);
}

}  // namespace

Expected<Credentials> fetch_imds_credentials(HttpTransport& transport,
                                             const std::string& endpoint) {
  const std::string base = ascii::without_trailing_slash(endpoint);
  auto token = imds_call(transport, "PUT", base + "/latest/api/token",
                         {{"X-aws-ec2-metadata-token-ttl-seconds", k_token_ttl_seconds}},
                         "token (PUT /latest/api/token)");
  if (!token) return std::unexpected(token.error());
  const HttpHeaders auth = {{"X-aws-ec2-metadata-token", *token}};

  auto roles = imds_call(transport, "GET", base + k_credentials_path, auth, "role name");
  if (!roles) return std::unexpected(roles.error());
  const std::string role = roles->substr(0, roles->find('\n'));
  if (role.empty()) {
    return fail(ExitCode::provider,
                "instance metadata: this instance has no IAM role (attach an instance profile)");
  }

  auto body = imds_call(transport, "GET", base + k_credentials_path + role, auth,
                        "credentials of role " + role);
  if (!body) return std::unexpected(body.error());
  const auto json = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  const auto text = [&json](const char* key) -> std::string {
    const auto found = json.find(key);
    return found != json.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  if (!json.is_object() || text("Code") != "Success" || text("AccessKeyId").empty() ||
      text("SecretAccessKey").empty()) {
    return fail(ExitCode::provider, "instance metadata: credentials of role " + role +
                                        " are malformed or not \"Success\"");
  }
  std::optional<SystemTime> expiration;
  if (const std::string expires = text("Expiration"); !expires.empty()) {
    expiration = parse_rfc3339(expires);
    if (!expiration) {
      return fail(ExitCode::provider, "instance metadata: credentials of role " + role +
                                          " have an unreadable Expiration");
    }
  }
  return Credentials(text("AccessKeyId"), text("SecretAccessKey"), text("Token"), expiration,
                     "instance metadata role " + role);
}

}  // namespace labctl::providers::aws
