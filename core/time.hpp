#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace labctl {

using SystemTime = std::chrono::system_clock::time_point;

// "2026-11-24T09:15:00Z": RFC3339 in UTC, whole seconds (the tag and manifest format).
[[nodiscard]] std::string format_rfc3339(SystemTime t);
// "2026-11-24T09:15:00.123Z": with milliseconds (events, logs).
[[nodiscard]] std::string format_rfc3339_ms(SystemTime t);
// "20261124T091500Z": the run-id timestamp.
[[nodiscard]] std::string format_compact_utc(SystemTime t);
// "09:15:00Z": the human log prefix.
[[nodiscard]] std::string format_clock_utc(SystemTime t);
// Parses RFC3339 with a "Z" or a numeric offset and optional fraction; nullopt if malformed.
[[nodiscard]] std::optional<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace labctl
