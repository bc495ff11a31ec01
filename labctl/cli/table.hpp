#pragma once

#include <string>
#include <vector>

namespace labctl::cli {

// Prints `rows` under `header` on stdout, each column as wide as its widest cell plus two.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace labctl::cli
