#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// Text that came from outside the process (cloud answers, SSH output, files, flags, env vars)
// is bytes, not UTF-8. These helpers make it safe to log, store, serialise and print.
namespace labctl::text {

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view bytes);

// `bytes` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
// Idempotent; valid UTF-8 comes back unchanged. Use where outside text enters a string that
// will be serialised (JSON, state rows, evidence).
[[nodiscard]] std::string to_utf8(std::string_view bytes);

// to_utf8(), then C0/C1 control characters and DEL shown as visible escapes (\n, \t, \x1b,
// \u0085), so a value cannot forge a table row, a log line or a terminal escape sequence.
// Cut to at most `max_bytes` bytes (on a character boundary) with "…" appended when cut.
[[nodiscard]] std::string printable(std::string_view bytes, std::size_t max_bytes = 512);

}  // namespace labctl::text
