#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/time.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/http_transport.hpp"

namespace labctl::providers::aws {

// What SigV4 signs: the request as it will be sent (minus the headers sign() adds).
struct SigningRequest {
  std::string method;
  std::string url;      // absolute URL; path and query are canonicalised from it
  HttpHeaders headers;  // e.g. Content-Type; Host, X-Amz-Date, X-Amz-Security-Token are added
  std::string body;
};

struct SigningScope {
  std::string region;
  std::string service;  // "ec2"
};

// The host header value for `url`: lower-case host, port only when not the scheme's default. A
// URL providers::split_url refuses (providers/url.hpp) is a usage error.
[[nodiscard]] Expected<std::string> host_from_url(std::string_view url);

// "20261124T091500Z" and "20261124".
[[nodiscard]] std::string amz_date(SystemTime time);

// The canonical request of AWS Signature Version 4 over `headers` (which must already include
// host and x-amz-date). Every header is signed except user-agent, expect and x-amzn-trace-id,
// matching botocore. Paths are percent-encoded per segment; "" becomes "/".
[[nodiscard]] Expected<std::string> canonical_request(const std::string& method,
                                                      const std::string& url,
                                                      const HttpHeaders& headers,
                                                      std::string_view body);
// "host;x-amz-date" for the same header set.
[[nodiscard]] std::string signed_header_names(const HttpHeaders& headers);

[[nodiscard]] std::string credential_scope(SystemTime time, const SigningScope& scope);
[[nodiscard]] std::string string_to_sign(SystemTime time, const SigningScope& scope,
                                         std::string_view canonical_request);
[[nodiscard]] std::array<unsigned char, 32> signing_key(std::string_view secret,
                                                        std::string_view date_stamp,
                                                        const SigningScope& scope);

[[nodiscard]] std::string hex(const unsigned char* data, std::size_t size);
[[nodiscard]] std::string sha256_hex(std::string_view data);

// Signs the request at `time` (a pure function of its inputs). Returns the headers to send:
// the request's own plus Host, X-Amz-Date, X-Amz-Security-Token (when the credentials carry a
// session token; it is signed) and Authorization.
[[nodiscard]] Expected<HttpHeaders> sign(const SigningRequest& request,
                                         const Credentials& credentials, const SigningScope& scope,
                                         SystemTime time);

// The headers for a debug log: the Authorization signature and the security token replaced by
// "<redacted>". The credential scope's key id is reduced to its last 4 characters.
[[nodiscard]] std::string redacted_headers(const HttpHeaders& headers);

}  // namespace labctl::providers::aws
