#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

// The URL split every cloud client shares: where a request goes (scheme, host, port), what a
// signer signs (Host header, path and query) and what a credential chain compares (origins);
// and the percent-encoding of query and form values.
namespace labctl::providers {

// Longer than any endpoint or paged link a cloud sends; a longer "URL" is refused.
inline constexpr std::size_t k_max_url_bytes = std::size_t{16} << 10U;

struct UrlParts {
  std::string scheme;          // "http" or "https", lower-case
  std::string host;            // lower-case; an IPv6 literal keeps its brackets ("[::1]")
  int port = 0;                // 1..65535 as written; 0 when absent (or empty, "h:")
  std::string path_and_query;  // from the first '/' or '?' up to any '#', as written; may be ""
  bool fragment = false;       // a "#..." followed (never sent; not in path_and_query)

  // The port the request goes to: `port`, else the scheme's default (443, 80).
  [[nodiscard]] int effective_port() const;
  // The Host header value: host, ":port" only when not the scheme's default.
  [[nodiscard]] std::string host_header() const;
  // path_and_query before the first '?' ("" when the URL has no path) and after it.
  [[nodiscard]] std::string_view path() const;
  [[nodiscard]] std::string_view query() const;
};

// Splits an absolute http(s) URL. Refused (ExitCode::usage; the message is
// "\"<url, printable>\": <why>", for the caller to prefix with what it was doing): more than
// k_max_url_bytes, a space, control or non-ASCII byte anywhere (they could split a request line
// or a header), another scheme or none, userinfo ("user@host"), an empty host, a host with a
// byte a host name or an IPv6 literal does not have, a port that is not 1..65535.
[[nodiscard]] Expected<UrlParts> split_url(std::string_view url);

// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) and those in `keep`
// stay, every other byte becomes %XX.
[[nodiscard]] std::string percent_encode(std::string_view text, std::string_view keep = {});

}  // namespace labctl::providers
