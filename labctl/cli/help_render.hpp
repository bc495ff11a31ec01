#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace labctl::cli {

// Renderers of describe() (labctl/cli/help_table.hpp) for `labctl man` and `labctl completion`.

// labctl.1 in man(7) roff.
[[nodiscard]] std::string man_page(const CLI::App& app);

// The shells `labctl completion` serves.
inline constexpr std::string_view k_completion_shells[] = {"bash", "zsh", "fish"};
// A completion script for `shell` (one of k_completion_shells; anything else is empty).
[[nodiscard]] std::string completion_script(const CLI::App& app, std::string_view shell);

}  // namespace labctl::cli
