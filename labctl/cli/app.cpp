#include "labctl/cli/app.hpp"

#include <iostream>

#include "labctl/cli/commands.hpp"
#include "labctl/env.hpp"
#include "labctl/error.hpp"
#include "labctl/interrupt.hpp"
#include "labctl/log.hpp"

namespace labctl::cli {
namespace {

int report(const Error& error) {
  log::error("error", "labctl: error: " + error.message);
  return to_int(error.code);
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "labctl: run cloud-edge failover labs end to end.\n"
      "Lifecycle: up -> deploy -> smoke -> failover -> smoke -> evidence collect -> down.\n"
      "Cloud mutations are DRY unless CE_DRY_RUN=0.",
      "labctl"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(0, 1);
  app.fallthrough();

  std::string log_format = env::get_or("CE_LOG_FORMAT", "human");
  app.add_option("--log-format", log_format, "stderr format: human or json (env CE_LOG_FORMAT)")
      ->check(CLI::IsMember({"human", "text", "json"}));
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print the version and exit");

  CommandResult result;
  register_up(app, result);
  register_deploy(app, result);
  register_smoke(app, result);
  register_failover(app, result);
  register_evidence(app, result);
  register_down(app, result);
  register_runs(app, result);
  register_iam_policy(app, result);
  register_action(app, result);
  register_executor(app, result);
  register_preflight(app, result);
  register_version(app, result);
  auto* help = app.add_subcommand("help", "Show this help");
  help->callback([&app] {
    // app.help() would describe the selected subcommand ("help"); format the top level.
    std::cout << app.get_formatter()->make_help(&app, "labctl", CLI::AppFormatMode::Normal);
  });

  // Settings that must be in force before any callback runs.
  app.parse_complete_callback([&] {
    if (auto format = log::parse_format(log_format)) log::set_format(*format);
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

}  // namespace labctl::cli
