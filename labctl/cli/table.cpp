#include "labctl/cli/table.hpp"

#include <algorithm>
#include <iostream>

#include "core/json_io.hpp"
#include "core/text.hpp"

namespace labctl::cli {
namespace {

// Columns are measured in characters, not bytes, so "…" and non-ASCII names stay aligned.
std::size_t display_width(std::string_view cell) {
  return static_cast<std::size_t>(std::ranges::count_if(
      cell, [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

void print_row(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) {
  for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
    std::cout << cells[i] << std::string(widths[i] + 2 - display_width(cells[i]), ' ');
  }
  std::cout << '\n';
}

template <class Json>
std::string value_text(const Json& value) {
  return human_text(value.is_string() ? value.template get_ref<const std::string&>()
                                      : json_io::dump(value));
}

}  // namespace

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<std::string>> cells{header};
  cells.insert(cells.end(), rows.begin(), rows.end());
  std::vector<std::size_t> widths(header.size(), 0);
  for (auto& row : cells) {
    for (auto& cell : row) cell = text::printable(cell, k_max_cell_bytes);
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  for (const auto& row : cells) print_row(row, widths);
}

std::string human_text(std::string_view text) { return text::printable(text, k_max_field_bytes); }

std::string human_value(const nlohmann::json& value) { return value_text(value); }
std::string human_value(const nlohmann::ordered_json& value) { return value_text(value); }

}  // namespace labctl::cli
