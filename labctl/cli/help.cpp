// `labctl help [CMD...]`, `labctl man` and `labctl completion SHELL`: every one renders the
// command tree the register_<command>() functions built, plus the env table (help_table.hpp).
#include <iostream>
#include <memory>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "core/text.hpp"
#include "labctl/cli/commands.hpp"
#include "labctl/cli/help_render.hpp"
#include "labctl/cli/help_table.hpp"

namespace labctl::cli {
namespace {

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// The help of the command `words` names ("runs list"), as `labctl runs list --help` prints it.
std::string help_for(const CLI::App& root, const std::vector<std::string>& words) {
  const CLI::App* app = &root;
  std::string path = "labctl";
  for (const auto& word : words) {
    const auto names = subcommand_names(*app);
    if (std::ranges::find(names, word) == names.end()) {
      throw ErrorException(
          {ExitCode::usage, "help: " + path + " has no command \"" + text::printable(word, 40) +
                                "\"" + did_you_mean(word, names) +
                                (names.empty() ? "" : "; its commands: " + join(names, ", "))});
    }
    app = app->get_subcommand(word);
    path += " " + word;
  }
  return app->get_formatter()->make_help(app, path, CLI::AppFormatMode::Normal);
}

}  // namespace

void register_help(CLI::App& app, CommandResult& result) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* help = app.add_subcommand("help", "Show help for labctl or a command: help [CMD [SUB]]");
  help->add_option("command", *words, "A command, and a subcommand (runs list)");
  help->callback([&app, words, &result] {
    std::cout << help_for(app, *words);
    result.code = ExitCode::ok;
  });

  auto* man = app.add_subcommand("man", "Print the labctl(1) man page (roff) on stdout");
  man->callback([&app, &result] {
    std::cout << man_page(app);
    result.code = ExitCode::ok;
  });

  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand(
      "completion", "Print a shell completion script: source <(labctl completion bash)");
  std::vector<std::string> shells(std::begin(k_completion_shells), std::end(k_completion_shells));
  completion->add_option("shell", *shell, join(shells, "|"))
      ->required()
      ->check(CLI::IsMember(shells));
  completion->callback([&app, shell, &result] {
    std::cout << completion_script(app, *shell);
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
