#include "providers/aws/sts.hpp"

#include <algorithm>

#include <pugixml.hpp>

#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/aws/query.hpp"
#include "providers/aws/sigv4.hpp"
#include "providers/ascii.hpp"
#include "providers/aws/xml.hpp"
#include "providers/secret.hpp"

namespace labctl::providers::aws {

namespace {

constexpr const char* k_content_type = "application/x-www-form-urlencoded; charset=utf-8";
constexpr int k_max_attempts = 3;
constexpr std::chrono::milliseconds k_first_backoff{200};
constexpr std::size_t k_max_secret_bytes = 1024;
constexpr std::size_t k_max_token_bytes = 16384;

// What one attempt gave: credentials, or an error and whether another attempt may help.
struct Attempt {
  Expected<Credentials> credentials;
  bool retryable = false;
};

bool printable_ascii(std::string_view value, std::size_t max_bytes) {
  return !value.empty() && value.size() <= max_bytes &&
         std::ranges::all_of(value, [](char c) { return c > ' ' && c < 0x7f; });
}

bool key_id_shape(std::string_view value) {
  return value.size() >= 16 && value.size() <= 128 && std::ranges::all_of(value, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

// The model's `[\w<extra>]{min,max}` patterns, checked without a regex engine.
bool word_chars(std::string_view value, std::string_view extra, std::size_t min, std::size_t max) {
  return value.size() >= min && value.size() <= max && std::ranges::all_of(value, [extra](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || extra.find(c) != std::string_view::npos;
         });
}

bool throttling(std::string_view code) {
  return code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded" ||
         code == "IDPCommunicationError";
}

Attempt parse(std::string_view action, long status, std::string_view body, SystemTime now,
              const std::vector<std::string>& secrets, std::string source) {
  const std::string what = "aws sts " + std::string(action);
  if (body.size() > k_max_sts_answer_bytes) {
    return {fail(ExitCode::provider, what + ": HTTP " + std::to_string(status) + " answer of " +
                                         std::to_string(body.size()) + " bytes (more than " +
                                         std::to_string(k_max_sts_answer_bytes) + "); refused"),
            status >= 500};
  }
  pugi::xml_document document;
  const bool parsed = static_cast<bool>(document.load_buffer(body.data(), body.size()));
  const pugi::xml_node root = document.document_element();
  if (status != 200) {
    const pugi::xml_node error = root.child("Error");
    const std::string code =
        scrub(::labctl::text::printable(error.child_value("Code"), 128), secrets);
    std::string message = what + ": HTTP " + std::to_string(status) + " " +
                          (code.empty() ? std::string("error") : code);
    if (const std::string text = error.child_value("Message"); !text.empty()) {
      message += ": " + scrub(::labctl::text::printable(text, 1024), secrets);
    }
    if (const std::string id = text_of_any(root, {"RequestId"}); !id.empty()) {
      message += " (request id " + scrub(::labctl::text::printable(id, 128), secrets) + ")";
    }
    if (code == "ExpiredToken" || code == "InvalidIdentityToken" || code == "AccessDenied") {
      message += "; fix: check the role's trust policy and the source credentials or token";
    }
    return {fail(ExitCode::provider, message), status >= 500 || status == 429 || throttling(code)};
  }
  const std::string expected_root = std::string(action) + "Response";
  if (!parsed || expected_root != root.name()) {
    return {fail(ExitCode::provider, what + ": the answer is not an <" + expected_root +
                                         "> document (" + std::to_string(body.size()) + " bytes)"),
            false};
  }
  const pugi::xml_node credentials =
      root.child((std::string(action) + "Result").c_str()).child("Credentials");
  const std::string key_id = credentials.child_value("AccessKeyId");
  const std::string secret = credentials.child_value("SecretAccessKey");
  const std::string token = credentials.child_value("SessionToken");
  const std::string expires = credentials.child_value("Expiration");
  const auto malformed = [&what](const std::string& why) {
    return Attempt{fail(ExitCode::provider, what + ": the answer's Credentials " + why), false};
  };
  if (!key_id_shape(key_id)) return malformed("have no AccessKeyId of 16..128 letters/digits");
  if (!printable_ascii(secret, k_max_secret_bytes)) {
    return malformed("have no SecretAccessKey of printable ASCII");
  }
  if (!printable_ascii(token, k_max_token_bytes)) {
    return malformed("have no SessionToken of printable ASCII (at most " +
                     std::to_string(k_max_token_bytes) + " bytes)");
  }
  const auto expiration = parse_rfc3339(expires);
  if (!expiration) return malformed("have no RFC 3339 Expiration");
  if (*expiration <= now) {
    return malformed("expired at " + format_rfc3339(*expiration) + " (clock says " +
                     format_rfc3339(now) + ")");
  }
  return {Credentials(key_id, secret, token, expiration, std::move(source)), false};
}

// Sends `params` to STS, retrying what is worth it; `sign_with` null: unsigned.
Expected<Credentials> call(HttpTransport& transport, Clock& clock, const StsTarget& target,
                           std::string_view action, const QueryParams& params,
                           const Credentials* sign_with, const std::vector<std::string>& secrets,
                           const std::string& source) {
  const std::string what = "aws sts " + std::string(action) + " at " + target.endpoint;
  std::chrono::milliseconds backoff = k_first_backoff;
  Expected<Credentials> last = fail(ExitCode::provider, what + ": not sent");
  for (int attempt = 1; attempt <= k_max_attempts; ++attempt) {
    if (attempt > 1) {
      if (!clock.sleep_for(backoff)) break;  // interrupted: report what we have
      backoff *= 2;
    }
    HttpRequest request;
    request.method = "POST";
    request.url = target.endpoint + "/";
    request.body = params.form_encode();
    request.headers = {{"Content-Type", k_content_type}, {"User-Agent", "labctl"}};
    request.connect_timeout = target.connect_timeout;
    request.total_timeout = target.total_timeout;
    // Headers included, so twice the body's own bound, which parse_sts_answer then checks.
    request.max_response_bytes = 2 * k_max_sts_answer_bytes;
    if (sign_with != nullptr) {
      auto headers = sign(SigningRequest{"POST", request.url, request.headers, request.body},
                          *sign_with, SigningScope{target.region, "sts"}, clock.now());
      if (!headers) return fail(ExitCode::usage, what + ": " + headers.error().message);
      request.headers = std::move(*headers);
    }
    auto response = transport.send(request);
    if (!response) {
      last = fail(ExitCode::provider,
                  what + ": " + std::string(to_string(response.error().kind)) + " (" +
                      ::labctl::text::printable(response.error().message, 256) + ")");
      if (response.error().kind == TransportErrorKind::transport) break;
      continue;
    }
    Attempt result = parse(action, response->status, response->body, clock.now(), secrets, source);
    if (result.credentials || !result.retryable) return std::move(result.credentials);
    last = std::move(result.credentials);
  }
  if (!last)
    last.error().message += " (after up to " + std::to_string(k_max_attempts) + " attempts)";
  return last;
}

QueryParams common_params(std::string_view action, const AssumeRoleParams& params) {
  QueryParams query{{"Action", std::string(action)},
                    {"Version", k_sts_api_version},
                    {"RoleArn", params.role_arn},
                    {"RoleSessionName", params.role_session_name}};
  if (params.duration_seconds) {
    query.add("DurationSeconds", std::to_string(*params.duration_seconds));
  }
  return query;
}

}  // namespace

std::string resolve_sts_endpoint(const std::string& region, const EnvLookup& env) {
  for (const char* variable : {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}) {
    if (const auto value = env(variable); value && !value->empty()) {
      return ascii::without_trailing_slash(*value);
    }
  }
  const char* suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://sts." + region + suffix;
}

Expected<void> check_assume_role_params(const AssumeRoleParams& params) {
  const auto bad = [&params](const std::string& what) {
    return fail(ExitCode::usage, params.where + ": " + what);
  };
  if (!params.role_arn.starts_with("arn:") || params.role_arn.size() < 20 ||
      params.role_arn.size() > 2048) {
    return bad("role_arn \"" + ::labctl::text::printable(params.role_arn, 128) +
               "\" is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
  }
  if (!word_chars(params.role_session_name, "+=,.@-", 2, 64)) {
    return bad("role_session_name \"" + ::labctl::text::printable(params.role_session_name, 80) +
               "\" must be 2..64 characters of letters, digits and +=,.@_-");
  }
  if (params.duration_seconds &&
      (*params.duration_seconds < 900 || *params.duration_seconds > 43200)) {
    return bad("duration_seconds " + std::to_string(*params.duration_seconds) +
               " is outside 900..43200");
  }
  if (!params.external_id.empty() && !word_chars(params.external_id, "+=,.@:/-", 2, 1224)) {
    return bad("external_id must be 2..1224 characters of letters, digits and +=,.@:/_-");
  }
  return {};
}

Expected<Credentials> sts_assume_role(HttpTransport& transport, Clock& clock,
                                      const StsTarget& target, const AssumeRoleParams& params,
                                      const Credentials& source) {
  TRY(check_assume_role_params(params));
  QueryParams query = common_params("AssumeRole", params);
  if (!params.external_id.empty()) query.add("ExternalId", params.external_id);
  return call(transport, clock, target, "AssumeRole", query, &source,
              {source.secret_access_key(), source.session_token()},
              "role " + params.role_arn + " assumed for " + params.where);
}

Expected<Credentials> sts_assume_role_with_web_identity(HttpTransport& transport, Clock& clock,
                                                        const StsTarget& target,
                                                        const AssumeRoleParams& params,
                                                        const std::string& web_identity_token) {
  TRY(check_assume_role_params(params));
  if (web_identity_token.size() < 4 || web_identity_token.size() > k_max_web_identity_token_bytes) {
    return fail(ExitCode::usage, params.where + ": the web identity token is " +
                                     std::to_string(web_identity_token.size()) +
                                     " bytes; STS takes 4.." +
                                     std::to_string(k_max_web_identity_token_bytes));
  }
  QueryParams query = common_params("AssumeRoleWithWebIdentity", params);
  query.add("WebIdentityToken", web_identity_token);
  return call(transport, clock, target, "AssumeRoleWithWebIdentity", query, nullptr,
              {web_identity_token},
              "web identity role " + params.role_arn + " for " + params.where);
}

Expected<Credentials> parse_sts_answer(std::string_view action, long http_status,
                                       std::string_view body, SystemTime now,
                                       const std::vector<std::string>& secrets,
                                       std::string source) {
  return parse(action, http_status, body, now, secrets, std::move(source)).credentials;
}

}  // namespace labctl::providers::aws
