#pragma once

#include <CLI/CLI.hpp>

#include "core/exit_code.hpp"
#include "core/seams.hpp"

namespace labctl::cli {

// Where a command's callback leaves its exit code for labctl::run. A command either returns
// normally having set `code`, or throws ErrorException (turned into "labctl: error: ..." + code).
struct CommandResult {
  ExitCode code = ExitCode::ok;
};

// One function per command file (labctl/cli/<command>.cpp). Each adds its subcommand to `app`,
// fills a plain options struct from the flags, and calls one core function from its callback.
// A command that needs time, child processes or the environment takes the `seams` labctl::run
// built once (Seams::system()) and hands them down; nothing below labctl/ reaches for a global.
void register_up(CLI::App& app, CommandResult& result, const Seams& seams);
void register_down(CLI::App& app, CommandResult& result, const Seams& seams);
void register_runs(CLI::App& app, CommandResult& result, const Seams& seams);
void register_state(CLI::App& app, CommandResult& result);
void register_deploy(CLI::App& app, CommandResult& result, const Seams& seams);
void register_smoke(CLI::App& app, CommandResult& result, const Seams& seams);
void register_failover(CLI::App& app, CommandResult& result, const Seams& seams);
void register_evidence(CLI::App& app, CommandResult& result, const Seams& seams);
void register_version(CLI::App& app, CommandResult& result);
// Every command above, then help/man/completion and the --help footers: the whole tree that
// --help, `labctl help`, the man page and the completion scripts render.
void register_commands(CLI::App& app, CommandResult& result, const Seams& seams);
// `help [CMD...]`, `man` and `completion SHELL`: renderings of the whole tree, so registered last.
void register_help(CLI::App& app, CommandResult& result);
void register_iam_policy(CLI::App& app, CommandResult& result, const Seams& seams);
void register_action(CLI::App& app, CommandResult& result, const Seams& seams);
void register_executor(CLI::App& app, CommandResult& result, const Seams& seams);
void register_preflight(CLI::App& app, CommandResult& result, const Seams& seams);

}  // namespace labctl::cli

namespace labctl::cli {
// "labctl/<version> (commit <git describe>)" on stdout.
void print_version();
}  // namespace labctl::cli
