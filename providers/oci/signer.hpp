#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "providers/http_transport.hpp"
#include "providers/oci/private_key.hpp"

// OCI request signing, version 1: draft-cavage-http-signatures-08 as Oracle's "Request
// Signatures" page specifies it.
namespace labctl::providers::oci {

// What is signed: the request as it will be sent, before the headers sign_request() adds.
struct SignableRequest {
  std::string method;   // GET, HEAD, DELETE, POST, PUT, PATCH (any case)
  std::string url;      // absolute http(s)://host[:port]/path[?query], already percent-encoded
  HttpHeaders headers;  // the request's own (Content-Type, opc-retry-token, ...)
  std::string body;
};

// "<tenancy OCID>/<user OCID>/<key fingerprint>", the keyId of every signature.
[[nodiscard]] std::string key_id(std::string_view tenancy, std::string_view user,
                                 std::string_view fingerprint);

// "Thu, 05 Jan 2014 21:31:40 GMT" (RFC 7231 IMF-fixdate) for a time the caller took from its
// Clock; the signer itself never reads a clock.
[[nodiscard]] std::string format_http_date(SystemTime time);

// True for POST, PUT and PATCH (any case): the methods whose body is signed.
[[nodiscard]] bool signs_body(std::string_view method);

// The Host value for `url`: lower-case host, ":port" only when not the scheme's default. Errors
// (what providers::split_url refuses, providers/url.hpp, and a fragment) are ExitCode::usage and
// name the URL printable.
[[nodiscard]] Expected<std::string> host_for(std::string_view url);

// "(request-target)": the lower-case method, a space, the path ("/" when empty) and "?query"
// exactly as they appear in `url` (never re-encoded).
[[nodiscard]] Expected<std::string> request_target(std::string_view method, std::string_view url);

// base64(SHA-256(body)), the x-content-sha256 value.
[[nodiscard]] std::string body_sha256_base64(std::string_view body);

// The signed header names, in order: "date (request-target) host", plus "content-length
// content-type x-content-sha256" for methods that sign their body (the order of Oracle's example
// and SDKs; the order is part of what is signed).
[[nodiscard]] std::string signed_header_names(std::string_view method);

// The signing string: one "name: value" line per signed header, joined by "\n" (no trailing
// newline). `headers` must hold every signed header but (request-target) (matched
// case-insensitively); a missing one is an error naming it.
[[nodiscard]] Expected<std::string> signing_string(std::string_view method, std::string_view url,
                                                   const HttpHeaders& headers);

// Signs `request` as of `date` (an RFC 7231 date from format_http_date) with `key`
// (RSASSA-PKCS1-v1_5 over SHA-256). Returns the headers to add to the request's own, in this
// order: Date, Host, and for POST/PUT/PATCH Content-Length, Content-Type ("application/json",
// only when the request has none) and x-content-sha256; then Authorization:
//   Signature version="1",headers="...",keyId="...",algorithm="rsa-sha256",signature="..."
// A request that already carries one of the headers the signer owns (Authorization, Date, Host,
// Content-Length, x-content-sha256), a body on a method that does not sign one, an unknown
// method, a malformed URL or date, or a key_id with a quote or a control byte is an error
// (ExitCode::usage), never a half-signed request. A pure function of its inputs.
[[nodiscard]] Expected<HttpHeaders> sign_request(const SignableRequest& request,
                                                 std::string_view key_id, const PrivateKey& key,
                                                 std::string_view date);

// The headers for a debug log or a dry-run plan: the Authorization signature replaced by
// "<redacted>" (keyId and the signed header list stay).
[[nodiscard]] HttpHeaders redacted(const HttpHeaders& headers);

}  // namespace labctl::providers::oci
