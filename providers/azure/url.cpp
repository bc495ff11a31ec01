#include "providers/azure/url.hpp"

#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers::azure {

std::optional<UrlOrigin> url_origin(std::string_view url) {
  const auto parts = split_url(url);
  if (!parts) return std::nullopt;
  return UrlOrigin{parts->scheme, parts->host, parts->effective_port()};
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int octets = 0;
  std::size_t start = 0;
  while (start <= host.size()) {
    const auto dot = std::min(host.find('.', start), host.size());
    const std::string_view octet = host.substr(start, dot - start);
    int value = -1;
    const auto [end, error] = std::from_chars(octet.data(), octet.data() + octet.size(), value);
    if (octet.empty() || error != std::errc() || end != octet.data() + octet.size() ||
        value > 255) {
      return false;
    }
    ++octets;
    start = dot + 1;
  }
  return octets == 4;
}

Expected<std::string> secure_endpoint(std::string_view value, std::string_view variable) {
  const std::string shown = ::labctl::text::printable(value, 256);
  const auto bad = [&](const std::string& why) {
    return fail(ExitCode::usage, std::string(variable) + "=\"" + shown + "\" " + why);
  };
  const auto origin = url_origin(value);
  if (!origin) {
    return bad(
        "is not an http(s) URL without user name and password (expected e.g. "
        "https://management.azure.com)");
  }
  if (value.find_first_of("?#") != std::string_view::npos) {
    return bad("has a query or fragment; give the scheme, host and port only");
  }
  if (origin->scheme != "https" && !is_loopback_host(origin->host)) {
    return bad(
        "is plain http to a host that is not loopback; use https:// (a bearer token or "
        "a client secret is sent there)");
  }
  return ascii::without_trailing_slash(std::string(value));
}

}  // namespace labctl::providers::azure
