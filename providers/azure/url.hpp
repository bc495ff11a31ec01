#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

// URL checks the ARM client and the credential chain share: which endpoints a bearer token or a
// client secret may be sent to, and the encoding of query and form values.
namespace labctl::providers::azure {

// Where a URL sends its request: lower-case scheme and host, the port (80/443 when omitted).
struct UrlOrigin {
  std::string scheme;
  std::string host;
  int port = 0;
  friend bool operator==(const UrlOrigin&, const UrlOrigin&) = default;
};

// The origin of an absolute http(s) URL; nullopt for anything else: another scheme, userinfo
// ("user@host"), an empty host or a bad port, or any byte that is a space, a control character
// or not ASCII (which could split a request line or a header).
[[nodiscard]] std::optional<UrlOrigin> url_origin(std::string_view url);

// True for "localhost", 127.0.0.0/8 and [::1].
[[nodiscard]] bool is_loopback_host(std::string_view host);

// `value` of the variable `variable` as an endpoint a secret or a token may be sent to:
// https://, or http:// only to a loopback host (tests, local fakes); no userinfo, no query, no
// fragment; trailing slashes stripped. Anything else is a usage error naming the variable.
[[nodiscard]] Expected<std::string> secure_endpoint(std::string_view value,
                                                    std::string_view variable);

// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) and those in `keep`
// stay, every other byte becomes %XX.
[[nodiscard]] std::string percent_encode(std::string_view text, std::string_view keep = {});

}  // namespace labctl::providers::azure
