#include "providers/azure/url.hpp"

#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers::azure {

std::optional<UrlOrigin> url_origin(std::string_view url) {
  if (std::ranges::any_of(url, [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7f;
      })) {
    return std::nullopt;
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  UrlOrigin origin;
  origin.scheme = ascii::lower(url.substr(0, scheme_end));
  if (origin.scheme != "http" && origin.scheme != "https") return std::nullopt;
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    origin.host = ascii::lower(authority.substr(0, close + 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::nullopt;
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    origin.host = ascii::lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (origin.host.empty()) return std::nullopt;
  origin.port = origin.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return std::nullopt;
    }
    origin.port = port;
  }
  return origin;
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

std::string percent_encode(std::string_view text, std::string_view keep) {
  constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || keep.find(c) != std::string_view::npos;
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += k_hex[byte >> 4U];
      out += k_hex[byte & 0x0FU];
    }
  }
  return out;
}

}  // namespace labctl::providers::azure
