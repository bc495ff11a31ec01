#include "providers/aws/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <vector>

#include "providers/aws/query.hpp"
#include "providers/ascii.hpp"
#include "providers/url.hpp"

namespace labctl::providers::aws {

namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

// The URL's parts (providers/url.hpp); a fragment is never sent, so it is not signed either.
Expected<UrlParts> signable_url(std::string_view url) {
  auto parts = split_url(url);
  if (!parts) {
    return fail(ExitCode::usage, "aws: cannot sign a request to " + parts.error().message);
  }
  return parts;
}

bool is_unsigned_header(std::string_view lower_name) {
  return lower_name == "user-agent" || lower_name == "expect" || lower_name == "x-amzn-trace-id";
}

// Lower-cased name -> values in order, with whitespace trimmed and runs of spaces collapsed.
std::map<std::string, std::vector<std::string>> headers_to_sign(const HttpHeaders& headers) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [name, value] : headers) {
    std::string key = ascii::lower(name);
    if (is_unsigned_header(key)) continue;
    std::istringstream words(value);
    std::string word, collapsed;
    while (words >> word) collapsed += (collapsed.empty() ? "" : " ") + word;
    out[std::move(key)].push_back(std::move(collapsed));
  }
  return out;
}

// The query as given (it is expected to be encoded already), pairs sorted by key then value.
std::string canonical_query(std::string_view query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view rest = query;
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto equals = pair.find('=');
    pairs.emplace_back(
        std::string(pair.substr(0, equals)),
        equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1)));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  std::ranges::sort(pairs);
  std::string out;
  for (const auto& [key, value] : pairs) out += (out.empty() ? "" : "&") + key + "=" + value;
  return out;
}

std::array<unsigned char, 32> hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string_view as_view(const std::array<unsigned char, 32>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string last4(std::string_view text) {
  return "..." + std::string(text.substr(text.size() - std::min<std::size_t>(4, text.size())));
}

std::string redact_authorization(std::string value) {
  if (const auto cred = value.find("Credential="); cred != std::string::npos) {
    const auto start = cred + std::string_view("Credential=").size();
    const auto slash = value.find('/', start);
    if (slash != std::string::npos) {
      value.replace(start, slash - start,
                    last4(std::string_view(value).substr(start, slash - start)));
    }
  }
  if (const auto sig = value.find("Signature="); sig != std::string::npos) {
    value = value.substr(0, sig) + "Signature=<redacted>";
  }
  return value;
}

}  // namespace

Expected<std::string> host_from_url(std::string_view url) {
  auto parts = signable_url(url);
  if (!parts) return std::unexpected(parts.error());
  return parts->host_header();
}

std::string amz_date(SystemTime time) { return format_compact_utc(time); }

Expected<std::string> canonical_request(const std::string& method, const std::string& url,
                                        const HttpHeaders& headers, std::string_view body) {
  auto parts = signable_url(url);
  if (!parts) return std::unexpected(parts.error());
  std::string out = method + "\n";
  out += (parts->path().empty() ? std::string("/")
                                : uri_encode(parts->path(), /*keep_slash=*/true)) +
         "\n";
  out += canonical_query(parts->query()) + "\n";
  for (const auto& [name, values] : headers_to_sign(headers)) {
    out += name + ":";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ",") + values[i];
    out += "\n";
  }
  out += "\n" + signed_header_names(headers) + "\n" + sha256_hex(body);
  return out;
}

std::string signed_header_names(const HttpHeaders& headers) {
  std::string out;
  for (const auto& [name, values] : headers_to_sign(headers))
    out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string credential_scope(SystemTime time, const SigningScope& scope) {
  return amz_date(time).substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

std::string string_to_sign(SystemTime time, const SigningScope& scope, std::string_view canonical) {
  return std::string(k_algorithm) + "\n" + amz_date(time) + "\n" + credential_scope(time, scope) +
         "\n" + sha256_hex(canonical);
}

std::array<unsigned char, 32> signing_key(std::string_view secret, std::string_view date_stamp,
                                          const SigningScope& scope) {
  const auto date_key = hmac("AWS4" + std::string(secret), date_stamp);
  const auto region_key = hmac(as_view(date_key), scope.region);
  const auto service_key = hmac(as_view(region_key), scope.service);
  return hmac(as_view(service_key), "aws4_request");
}

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += k_digits[data[i] >> 4];
    out += k_digits[data[i] & 0x0F];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return hex(digest.data(), digest.size());
}

Expected<HttpHeaders> sign(const SigningRequest& request, const Credentials& credentials,
                           const SigningScope& scope, SystemTime time) {
  HttpHeaders headers;
  auto host = host_from_url(request.url);
  if (!host) return std::unexpected(host.error());
  for (const auto& header : request.headers) {
    const std::string name = ascii::lower(header.first);
    // Our values for these win, as in botocore: a retry re-signs a request that already has them.
    if (name == "authorization" || name == "x-amz-date" || name == "x-amz-security-token") continue;
    headers.push_back(header);
  }
  if (!find_header(headers, "host")) headers.emplace_back("Host", *host);
  headers.emplace_back("X-Amz-Date", amz_date(time));
  if (!credentials.session_token().empty()) {
    headers.emplace_back("X-Amz-Security-Token", credentials.session_token());
  }
  auto canonical = canonical_request(request.method, request.url, headers, request.body);
  if (!canonical) return std::unexpected(canonical.error());
  const auto key = signing_key(credentials.secret_access_key(), amz_date(time).substr(0, 8), scope);
  const auto signature = hmac(as_view(key), string_to_sign(time, scope, *canonical));
  headers.emplace_back("Authorization",
                       std::string(k_algorithm) + " Credential=" + credentials.access_key_id() +
                           "/" + credential_scope(time, scope) +
                           ", SignedHeaders=" + signed_header_names(headers) +
                           ", Signature=" + hex(signature.data(), signature.size()));
  return headers;
}

std::string redacted_headers(const HttpHeaders& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    const std::string key = ascii::lower(name);
    std::string shown = value;
    if (key == "authorization") shown = redact_authorization(value);
    if (key == "x-amz-security-token") shown = "<redacted>";
    out += (out.empty() ? "" : "\n") + name + ": " + shown;
  }
  return out;
}

}  // namespace labctl::providers::aws
