#include "providers/oci/signer.hpp"

#include <array>
#include <cctype>
#include <ctime>
#include <memory>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/url.hpp"

namespace labctl::providers::oci {

namespace {

constexpr std::array<std::string_view, 3> k_generic_headers = {"date", "(request-target)", "host"};
constexpr std::array<std::string_view, 3> k_body_headers = {"content-length", "content-type",
                                                            "x-content-sha256"};
// Headers whose value the signer decides; a request that brings its own is refused.
constexpr std::array<std::string_view, 5> k_owned_headers = {"authorization", "date", "host",
                                                             "content-length", "x-content-sha256"};
constexpr std::string_view k_default_content_type = "application/json";

// The URL's parts (providers/url.hpp); a fragment is refused: it is never sent, so a signature
// over it would not be what the endpoint verifies.
Expected<UrlParts> signable_url(std::string_view url) {
  auto parts = split_url(url);
  if (parts && parts->fragment) {
    return fail(ExitCode::usage, "oci: cannot sign a request to \"" + text::printable(url, 200) +
                                     "\": a fragment is never sent and cannot be signed");
  }
  if (!parts) {
    return fail(ExitCode::usage, "oci: cannot sign a request to " + parts.error().message);
  }
  return parts;
}

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

bool is_date(std::string_view date) {
  // "Thu, 05 Jan 2014 21:31:40 GMT": fixed length, digits where digits belong.
  constexpr std::string_view k_shape = "Aaa, 00 Aaa 0000 00:00:00 GMT";
  if (date.size() != k_shape.size()) return false;
  for (std::size_t i = 0; i < date.size(); ++i) {
    const auto c = static_cast<unsigned char>(date[i]);
    const bool ok = k_shape[i] == '0'   ? std::isdigit(c) != 0
                    : k_shape[i] == 'A' ? std::isupper(c) != 0
                    : k_shape[i] == 'a' ? std::islower(c) != 0
                                        : date[i] == k_shape[i];
    if (!ok) return false;
  }
  return true;
}

bool is_known_method(std::string_view method) {
  for (const std::string_view known : {"get", "head", "delete", "post", "put", "patch"}) {
    if (ascii::iequals(method, known)) return true;
  }
  return false;
}

Expected<std::string> rsa_sha256_base64(const PrivateKey& key, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t size = 0;
  // RSA's default padding under EVP_DigestSign is PKCS#1 v1.5, which OCI verifies.
  if (!ctx || key.get() == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    ERR_clear_error();
    return fail(ExitCode::provider,
                "oci: signing the request failed (OpenSSL could not use the "
                "API signing key)");
  }
  std::vector<unsigned char> signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    ERR_clear_error();
    return fail(ExitCode::provider,
                "oci: signing the request failed (OpenSSL could not use the "
                "API signing key)");
  }
  return base64(signature.data(), size);
}

}  // namespace

std::string key_id(std::string_view tenancy, std::string_view user, std::string_view fingerprint) {
  std::string out(tenancy);
  out += '/';
  out += user;
  out += '/';
  out += fingerprint;
  return out;
}

std::string format_http_date(SystemTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> buffer{};
  // %a and %b are locale-dependent; labctl never sets a locale, so they are the C names.
  const std::size_t size =
      std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(buffer.data(), size);
}

bool signs_body(std::string_view method) {
  return ascii::iequals(method, "post") || ascii::iequals(method, "put") ||
         ascii::iequals(method, "patch");
}

Expected<std::string> host_for(std::string_view url) {
  auto parts = signable_url(url);
  if (!parts) return std::unexpected(parts.error());
  return parts->host_header();
}

Expected<std::string> request_target(std::string_view method, std::string_view url) {
  auto parts = signable_url(url);
  if (!parts) return std::unexpected(parts.error());
  const std::string& target = parts->path_and_query;
  return ascii::lower(method) + " " +
         (target.empty() || target.front() == '?' ? "/" + target : target);
}

std::string body_sha256_base64(std::string_view body) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest.data());
  return base64(digest.data(), digest.size());
}

std::string signed_header_names(std::string_view method) {
  std::string out;
  for (const auto name : k_generic_headers) out += (out.empty() ? "" : " ") + std::string(name);
  if (signs_body(method)) {
    for (const auto name : k_body_headers) out += " " + std::string(name);
  }
  return out;
}

Expected<std::string> signing_string(std::string_view method, std::string_view url,
                                     const HttpHeaders& headers) {
  std::vector<std::string_view> names(k_generic_headers.begin(), k_generic_headers.end());
  if (signs_body(method)) names.insert(names.end(), k_body_headers.begin(), k_body_headers.end());
  std::string out;
  for (const auto name : names) {
    if (!out.empty()) out += '\n';
    if (name == "(request-target)") {
      auto target = request_target(method, url);
      if (!target) return std::unexpected(target.error());
      out += "(request-target): " + *target;
      continue;
    }
    const auto value = find_header(headers, name);
    if (!value) {
      return fail(ExitCode::usage, "oci: cannot sign the request: it has no " + std::string(name) +
                                       " header, which OCI requires to be signed");
    }
    out += std::string(name) + ": " + *value;
  }
  return out;
}

Expected<HttpHeaders> sign_request(const SignableRequest& request, std::string_view key_id,
                                   const PrivateKey& key, std::string_view date) {
  if (!is_known_method(request.method)) {
    return fail(ExitCode::usage, "oci: cannot sign a request with method \"" +
                                     text::printable(request.method, 16) +
                                     "\"; OCI's methods are GET, HEAD, DELETE, POST, PUT, PATCH");
  }
  if (!signs_body(request.method) && !request.body.empty()) {
    return fail(ExitCode::usage, "oci: a " + ascii::lower(request.method) +
                                     " request carries a body, which OCI would receive unsigned");
  }
  if (!is_date(date)) {
    return fail(ExitCode::usage, "oci: cannot sign with date \"" + text::printable(date, 40) +
                                     "\"; expected the form \"Thu, 05 Jan 2014 21:31:40 GMT\"");
  }
  for (const char c : key_id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte >= 0x7f || c == '"' || c == '\\') {
      return fail(ExitCode::usage,
                  "oci: the keyId has a quote, space, control or non-ASCII "
                  "byte; check the tenancy, user and fingerprint settings");
    }
  }
  for (const auto& [name, value] : request.headers) {
    for (const auto owned : k_owned_headers) {
      if (ascii::iequals(name, owned)) {
        return fail(ExitCode::usage, "oci: the request already has a " + std::string(owned) +
                                         " header; the signer sets it (sign the unsigned request)");
      }
    }
  }
  auto host = host_for(request.url);
  if (!host) return std::unexpected(host.error());

  HttpHeaders added;
  added.emplace_back("Date", std::string(date));
  added.emplace_back("Host", *host);
  if (signs_body(request.method)) {
    added.emplace_back("Content-Length", std::to_string(request.body.size()));
    if (!find_header(request.headers, "content-type")) {
      added.emplace_back("Content-Type", std::string(k_default_content_type));
    }
    added.emplace_back("x-content-sha256", body_sha256_base64(request.body));
  }
  HttpHeaders all = request.headers;
  all.insert(all.end(), added.begin(), added.end());
  auto text = signing_string(request.method, request.url, all);
  if (!text) return std::unexpected(text.error());
  auto signature = rsa_sha256_base64(key, *text);
  if (!signature) return std::unexpected(signature.error());
  added.emplace_back("Authorization",
                     "Signature version=\"1\",headers=\"" + signed_header_names(request.method) +
                         "\",keyId=\"" + std::string(key_id) +
                         "\",algorithm=\"rsa-sha256\",signature=\"" + *signature + "\"");
  return added;
}

HttpHeaders redacted(const HttpHeaders& headers) {
  HttpHeaders out = headers;
  for (auto& [name, value] : out) {
    if (!ascii::iequals(name, "authorization")) continue;
    const auto at = value.find("signature=\"");
    if (at != std::string::npos) value = value.substr(0, at) + "signature=\"<redacted>\"";
  }
  return out;
}

}  // namespace labctl::providers::oci
