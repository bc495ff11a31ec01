#include "labctl/cli/table.hpp"

#include <algorithm>
#include <iomanip>
#include <iostream>

namespace labctl::cli {
namespace {

void print_row(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    std::cout << std::left << std::setw(static_cast<int>(widths[i]) + 2) << cells[i];
  }
  std::cout << '\n';
}

}  // namespace

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& h : header) widths.push_back(h.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  print_row(header, widths);
  for (const auto& row : rows) print_row(row, widths);
}

}  // namespace labctl::cli
