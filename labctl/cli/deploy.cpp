#include <filesystem>
#include <memory>

#include "labctl/cli/commands.hpp"
#include "labctl/error.hpp"

namespace labctl::cli {
namespace {

struct DeployOptions {
  std::string build;
  std::string commit;
  std::string run_id;
};

// Validates as the original did; pushing to nodes lands with the local-lab issue.
void run_deploy(const DeployOptions& options) {
  if (options.build.empty() && options.commit.empty()) {
    throw ErrorException(
        {ExitCode::usage, "deploy: one of --build <path> or --commit <ref> is required"});
  }
  if (!options.build.empty() && !std::filesystem::exists(options.build)) {
    throw ErrorException({ExitCode::usage, "deploy: --build path not found: " + options.build});
  }
  throw ErrorException({ExitCode::provider,
                        "deploy: pushing a build to lab nodes is not available in this build "
                        "yet"});
}

}  // namespace

void register_deploy(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<DeployOptions>();
  auto* sub = app.add_subcommand("deploy", "Push a build to the run's nodes");
  sub->add_option("--build", options->build, "A built artifact to push (wins over --commit)");
  sub->add_option("--commit", options->commit, "A git ref to build, then push");
  sub->add_option("--run-id", options->run_id, "The run (default: the latest active run)");
  sub->callback([options, &result] {
    run_deploy(*options);
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
