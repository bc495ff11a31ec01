#include "providers/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/text.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers {

namespace {

constexpr std::size_t k_url_shown_bytes = 200;

// A registered name or IPv4 address (RFC 3986 reg-name without percent-encoding or sub-delims,
// which no cloud endpoint uses), or a bracketed IPv6 literal without a zone.
bool is_host(std::string_view host) {
  if (host.starts_with('[')) {
    return host.size() > 2 && host.back() == ']' &&
           std::ranges::all_of(host.substr(1, host.size() - 2), [](char c) {
             return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
           });
  }
  return !host.empty() && std::ranges::all_of(host, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace

int UrlParts::effective_port() const {
  if (port != 0) return port;
  return scheme == "https" ? 443 : 80;
}

std::string UrlParts::host_header() const {
  const bool default_port =
      port == 0 || (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  return default_port ? host : host + ":" + std::to_string(port);
}

std::string_view UrlParts::path() const {
  return std::string_view(path_and_query).substr(0, path_and_query.find('?'));
}

std::string_view UrlParts::query() const {
  const auto question = path_and_query.find('?');
  return question == std::string::npos ? std::string_view{}
                                       : std::string_view(path_and_query).substr(question + 1);
}

Expected<UrlParts> split_url(std::string_view url) {
  const auto bad = [&](const std::string& why) {
    return fail(ExitCode::usage,
                "\"" + ::labctl::text::printable(url, k_url_shown_bytes) + "\": " + why);
  };
  if (url.size() > k_max_url_bytes) {
    return bad("longer than " + std::to_string(k_max_url_bytes) + " bytes");
  }
  if (std::ranges::any_of(url, [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7f;
      })) {
    return bad("a space, control or non-ASCII byte in the URL");
  }
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return bad("not an absolute URL");
  UrlParts parts;
  parts.scheme = ascii::lower(url.substr(0, scheme_end));
  if (parts.scheme != "https" && parts.scheme != "http") return bad("not an http(s) URL");
  std::string_view rest = url.substr(scheme_end + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    parts.fragment = true;
    rest = rest.substr(0, hash);
  }
  const auto path_at = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_at);
  if (path_at != std::string_view::npos) parts.path_and_query = std::string(rest.substr(path_at));
  if (authority.find('@') != std::string_view::npos) return bad("userinfo before the host");
  // The port's colon: the last one, unless it sits inside an IPv6 literal.
  const auto colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos;
  parts.host = ascii::lower(authority.substr(0, has_port ? colon : authority.size()));
  if (!is_host(parts.host)) return bad("no host, or a byte no host name has");
  if (has_port && colon + 1 < authority.size()) {
    const std::string_view text = authority.substr(colon + 1);
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parts.port);
    if (error != std::errc() || end != text.data() + text.size() || parts.port < 1 ||
        parts.port > 65535) {
      return bad("the port is not a number from 1 to 65535");
    }
  }
  return parts;
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

}  // namespace labctl::providers
