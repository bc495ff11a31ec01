#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "providers/url.hpp"

// URL checks the ARM client and the credential chain share: which endpoints a bearer token or a
// client secret may be sent to. (The URL split and percent_encode are the family's, in
// providers/url.hpp.)
namespace labctl::providers::azure {

// Where a URL sends its request: lower-case scheme and host, the port (80/443 when omitted).
struct UrlOrigin {
  std::string scheme;
  std::string host;
  int port = 0;
  friend bool operator==(const UrlOrigin&, const UrlOrigin&) = default;
};

// The origin of an absolute http(s) URL; nullopt for whatever providers::split_url refuses
// (providers/url.hpp: another scheme, userinfo, a bad host or port, a space, a control or
// non-ASCII byte).
[[nodiscard]] std::optional<UrlOrigin> url_origin(std::string_view url);

// True for "localhost", 127.0.0.0/8 and [::1].
[[nodiscard]] bool is_loopback_host(std::string_view host);

// `value` of the variable `variable` as an endpoint a secret or a token may be sent to:
// https://, or http:// only to a loopback host (tests, local fakes); no userinfo, no query, no
// fragment; trailing slashes stripped. Anything else is a usage error naming the variable.
[[nodiscard]] Expected<std::string> secure_endpoint(std::string_view value,
                                                    std::string_view variable);

}  // namespace labctl::providers::azure
