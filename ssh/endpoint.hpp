#pragma once

#include <string>

#include "core/error.hpp"

namespace labctl::ssh {

// An SSH endpoint: `[user@]host[:port]`.
struct Endpoint {
  std::string host;
  int port = 22;
  std::string user;
  [[nodiscard]] bool operator==(const Endpoint&) const = default;
};

// Parses `[user@]host[:port]` (whitespace ignored; a bracketed IPv6 literal keeps its colons:
// [::1]:2222); the user stays empty when not given. Errors (ExitCode::usage) name `what`.
[[nodiscard]] Expected<Endpoint> parse_endpoint(const std::string& text, const std::string& what);

// "user@host:port" for messages.
[[nodiscard]] std::string describe(const Endpoint& endpoint);

}  // namespace labctl::ssh
