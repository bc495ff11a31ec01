#include "ssh/endpoint.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace labctl::ssh {

Expected<Endpoint> parse_endpoint(const std::string& text, const std::string& what) {
  Endpoint endpoint;
  std::string rest = text;
  std::erase_if(rest, [](unsigned char c) { return std::isspace(c) != 0; });
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    endpoint.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  std::string port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string::npos) {
      return fail(ExitCode::usage, what + ": unclosed '[' in '" + text + "'");
    }
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
    rest = rest.substr(1, close - 1);
  } else if (const auto colon = rest.find(':');
             colon != std::string::npos && rest.find(':', colon + 1) == std::string::npos) {
    port_text = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  if (!port_text.empty()) {
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), endpoint.port);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || endpoint.port <= 0 ||
        endpoint.port > 65535) {
      return fail(ExitCode::usage, what + ": bad port '" + port_text + "' in '" + text +
                                       "' (want [user@]host[:port])");
    }
  }
  if (rest.empty()) {
    return fail(ExitCode::usage, what + ": empty host in '" + text + "' (want [user@]host[:port])");
  }
  endpoint.host = rest;
  return endpoint;
}

std::string describe(const Endpoint& endpoint) {
  return endpoint.user + "@" + endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace labctl::ssh
