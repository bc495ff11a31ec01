#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace labctl {

// Parses a TTL: "N" (seconds), "Ns", "Nm", "Nh", "Nd" and compounds of those in any order
// without repeats, e.g. "1h30m", "2d12h". Whitespace around it is ignored. Zero, negative
// ("-1h"), overflow (> 100 years) and garbage are usage errors that quote the input.
[[nodiscard]] Expected<std::chrono::seconds> parse_duration(std::string_view text);

// Formats seconds as the shortest compound: 5400 -> "1h30m", 0 -> "0s".
[[nodiscard]] std::string format_duration(std::chrono::seconds duration);

}  // namespace labctl
