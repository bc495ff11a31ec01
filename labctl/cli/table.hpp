#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace labctl::cli {

// Prints `rows` under `header` on stdout, each column as wide as its widest cell plus two. Every
// cell goes through text::printable (at most k_max_cell_bytes), so a value holding a newline or
// an escape sequence cannot forge a row or drive the terminal.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

inline constexpr std::size_t k_max_cell_bytes = 512;
// Longer values (an error message) in the one-record views (`runs show`, `action show`).
inline constexpr std::size_t k_max_field_bytes = 4096;

// Outside text for a human view: printable, at most k_max_field_bytes.
[[nodiscard]] std::string human_text(std::string_view text);
// A JSON value for a human view: a string as its text, anything else serialised; printable.
[[nodiscard]] std::string human_value(const nlohmann::json& value);
[[nodiscard]] std::string human_value(const nlohmann::ordered_json& value);

}  // namespace labctl::cli
