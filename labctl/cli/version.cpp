#include <iostream>

#include "core/build_info.hpp"
#include "labctl/cli/commands.hpp"

namespace labctl::cli {

void print_version() {
  std::cout << "labctl/" << build_info::k_version << " (commit " << build_info::k_commit << ")\n";
}

void register_version(CLI::App& app, CommandResult& result) {
  auto* sub = app.add_subcommand("version", "Print the version");
  sub->callback([&result] {
    print_version();
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
