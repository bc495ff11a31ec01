#include "labctl/cli/app.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include <unistd.h>

#include "labctl/cli/commands.hpp"
#include "labctl/cli/help_table.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/text.hpp"

namespace labctl::cli {
namespace {

int report(const Error& error) {
  log::error("error", "labctl: error: " + error.message);
  return to_int(error.code);
}

// CE_LOG_FORMAT, when set, must name a format: a typo would otherwise quietly give an agent
// human lines where it parses NDJSON. Checked even when --log-format overrides it.
std::optional<log::Format> env_log_format() {
  const std::string value = env::get_or("CE_LOG_FORMAT", "");
  if (value.empty()) return std::nullopt;
  if (auto format = log::parse_format(value)) return format;
  throw ErrorException({ExitCode::usage, "CE_LOG_FORMAT: unknown log format \"" +
                                             text::printable(value, 40) +
                                             "\" (want human or json, or unset it)"});
}

}  // namespace

void register_commands(CLI::App& app, CommandResult& result, const Seams& seams) {
  register_up(app, result, seams);
  register_deploy(app, result, seams);
  register_smoke(app, result, seams);
  register_failover(app, result, seams);
  register_evidence(app, result, seams);
  register_down(app, result, seams);
  register_runs(app, result, seams);
  register_state(app, result);
  register_iam_policy(app, result, seams);
  register_action(app, result, seams);
  register_executor(app, result, seams);
  register_preflight(app, result, seams);
  register_version(app, result);
  register_help(app, result);
  add_env_footers(app);
}

namespace {

// Parses the command line and runs one command; returns its exit code.
int run_command(int argc, char** argv) {
  CLI::App app{
      "labctl: run cloud-edge failover labs end to end.\n"
      "Lifecycle: up -> deploy -> smoke -> failover -> smoke -> evidence collect -> down.\n"
      "Cloud mutations are DRY unless CE_DRY_RUN=0.",
      "labctl"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(0, 1);
  app.fallthrough();

  std::string log_format;
  app.add_option("--log-format", log_format, "stderr format: human or json (env CE_LOG_FORMAT)")
      ->check(CLI::IsMember({"human", "text", "json"}));
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print the version and exit");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Show the details behind one-line summaries");

  CommandResult result;
  const Seams seams = Seams::system();
  register_commands(app, result, seams);

  // Settings that must be in force before any callback runs.
  app.parse_complete_callback([&] {
    const auto from_env = env_log_format();
    if (auto format = log::parse_format(log_format)) {
      log::set_format(*format);  // flag > env > default
    } else if (from_env) {
      log::set_format(*from_env);
    }
    log::set_verbose(verbose);
    // A live status line and colour only for a person at a terminal (see core/progress.hpp).
    progress::set_terminal({.tty = ::isatty(STDERR_FILENO) == 1,
                            .no_color = env::get("NO_COLOR").has_value()});
  });

  interrupt::install_handlers();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Help requested on a subcommand arrives here too, as CallForHelp from that subcommand.
    if (e.get_exit_code() == 0) {
      std::cout << e.what();
      return 0;
    }
    return report({ExitCode::usage, std::string(e.what()) + " (see labctl --help)"});
  } catch (const ErrorException& e) {
    return report(e.error());
  } catch (const std::exception& e) {
    return report({ExitCode::provider, std::string("unexpected failure: ") + e.what()});
  }
  if (show_version) {
    print_version();
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return report({ExitCode::usage, "no command given (see labctl --help)"});
  }
  return to_int(result.code);
}

// A command's stdout is its answer (a run id, JSON): if it could not be written (a full disk,
// a closed pipe), the command did not succeed, whatever it did otherwise.
int check_stdout(int code) {
  errno = 0;
  std::cout.flush();
  const bool flushed = std::fflush(stdout) == 0;
  const int saved = errno;
  if (flushed && std::ferror(stdout) == 0 && std::cout.good()) return code;
  // errno is known only when this flush is the one that failed (not an earlier std::flush).
  const std::string why = saved != 0 ? std::string(": ") + std::strerror(saved) : "";
  const int reported = report({ExitCode::usage, "cannot write the output to stdout" + why +
                                                    " (check the disk or pipe it goes to)"});
  return code != 0 ? code : reported;
}

}  // namespace

int run(int argc, char** argv) { return check_stdout(run_command(argc, argv)); }

}  // namespace labctl::cli
