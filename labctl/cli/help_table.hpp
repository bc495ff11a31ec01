#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace labctl::cli {

// One environment variable labctl reads. The table in help_table.cpp is the one place a variable
// is documented: `--help` footers, `labctl help CMD`, the man page and the completion scripts all
// render from it, and tests/unit/labctl/cli/test_help_table.cpp fails when a name read anywhere
// in the product source is missing from it (or when the table names one nothing reads).
struct EnvVar {
  // The exact name, or a pattern where <SITE> stands for a site name upper-cased with '-' as
  // '_' (CE_ONPREM_CLIENT_SSH_HOST for site "onprem").
  std::string_view name;
  // The top-level commands that read it, space-separated; "*" for every command.
  std::string_view commands;
  std::string_view text;
};

[[nodiscard]] std::span<const EnvVar> env_table();
// True when `command` (a top-level command name) reads `var`.
[[nodiscard]] bool reads(const EnvVar& var, std::string_view command);

// The documentation of one command or flag, walked from the CLI11 tree: commands and flags are
// declared once, in each command's register_<command>(), and never restated here.
struct OptionDoc {
  std::vector<std::string> flags;  // "-V", "--version"; empty for a positional
  std::string name;                // "--version" or the positional's name ("ID")
  std::string value;               // the value's type name ("TEXT"); empty for a flag
  std::string text;
  std::string default_value;       // CLI11's default string, when one is set
  bool required = false;
};

struct CommandDoc {
  std::string path;  // "runs list"; empty for labctl itself
  std::string text;
  std::vector<OptionDoc> options;
  std::vector<std::string> subcommands;
  std::vector<const EnvVar*> env;  // what the command (its top-level command) reads
};

// Every command, root first, then each command followed by its subcommands.
[[nodiscard]] std::vector<CommandDoc> describe(const CLI::App& app);

// Adds an "Environment:" footer to each subcommand's --help, from env_table().
void add_env_footers(CLI::App& app);

}  // namespace labctl::cli
