#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>

#include "deploy/deploy.hpp"
#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/profile.hpp"
#include "core/run_lookup.hpp"
#include "core/state_store.hpp"

namespace labctl::cli {
namespace {

struct DeployOptions {
  std::string build;
  std::string commit;
  std::string run_id;
};

ExitCode run_deploy(const DeployOptions& options, const Seams& seams) {
  if (options.build.empty() && options.commit.empty()) {
    throw ErrorException(
        {ExitCode::usage, "deploy: one of --build <path> or --commit <ref> is required"});
  }
  if (!options.build.empty() && !std::filesystem::exists(options.build)) {
    throw ErrorException({ExitCode::usage, "deploy: --build path not found: " + options.build});
  }
  if (!options.build.empty() && !std::filesystem::is_regular_file(options.build)) {
    throw ErrorException({ExitCode::usage,
                          "deploy: --build must be a file (an archive or a binary), not a "
                          "directory: " + options.build});
  }
  auto store = value_or_throw(state::Store::open_existing(env::process()));
  if (!store) {
    throw ErrorException({ExitCode::usage, "deploy: no state in " + env::state_dir().string() +
                                               "; bring a run up with `labctl up` first"});
  }
  const auto run = value_or_throw(state::resolve_run(*store, options.run_id, "deploy"));
  const auto profile =
      value_or_throw(profile::load(run.profile_path.empty() ? run.profile : run.profile_path));
  const auto meta =
      value_or_throw(store->get_meta(run.run_id, "ssh")).value_or(nlohmann::json::object());

  const auto resolved = value_or_throw(deploy::ssh_for_run(seams.env, meta));

  deploy::Request request;
  request.settings = profile.deploy;
  request.ssh = resolved.session;
  request.targets = value_or_throw(deploy::run_targets(*store, run.run_id, resolved.user));
  request.artifact = options.build.empty() ? std::filesystem::path(profile.deploy.artifact)
                                           : std::filesystem::path(options.build);
  if (request.targets.empty()) {
    throw ErrorException(
        {ExitCode::provider,
         "deploy: run " + run.run_id + " has no node with an SSH endpoint to deploy to"});
  }
  if (env::dry_run()) {
    auto plan = deploy::plan_json(request);
    plan["runId"] = run.run_id;
    plan["dryRun"] = true;
    if (options.build.empty())
      plan["build"] = {{"commit", options.commit}, {"command", profile.deploy.build_command}};
    std::cout << json_io::dump(plan) << '\n';
    return ExitCode::ok;
  }
  std::optional<deploy::Built> built;
  if (options.build.empty()) {
    built = value_or_throw(deploy::build_commit(*seams.processes, std::filesystem::current_path(),
                                                options.commit, profile.deploy));
    request.artifact = built->artifact;
  }
  std::atomic<std::size_t> done = 0, failed = 0;  // the live status line's counters
  const auto results = [&] {
    progress::Status status("deploy", [&done, &failed, total = request.targets.size()] {
      return "nodes " + std::to_string(done.load()) + "/" + std::to_string(total) + " done, " +
             std::to_string(failed.load()) + " failed";
    });
    return deploy::push_all(request, [&](const deploy::NodeResult& node) {
      if (!node.ok) ++failed;
      ++done;
      status.refresh();
    });
  }();
  built.reset();
  std::cerr << deploy::results_table(results);
  auto summary = deploy::summary_json(request, results);
  summary["runId"] = run.run_id;
  if (!options.commit.empty() && options.build.empty()) summary["commit"] = options.commit;
  for (const auto& node : summary["nodes"]) {
    if (auto added = store->add_event(run.run_id, "deploy", node);
        !added) {
      log::warn("deploy", "deploy: could not record node " + node["node"].get<std::string>() +
                              ": " + added.error().message);
    }
  }
  nlohmann::json event = {{"kind", "summary"},
                          {"result", summary["result"]},
                          {"summary", summary["summary"]},
                          {"artifact", summary["artifact"]}};
  if (auto added = store->add_event(run.run_id, "deploy", event); !added) {
    log::warn("deploy", "deploy: could not record the summary: " + added.error().message);
  }
  summary["dryRun"] = false;
  std::cout << json_io::dump(summary) << '\n';
  if (summary["result"] != "pass") {
    progress::result(false, "deploy",
                     "deploy: " +
                         std::to_string(summary["summary"]["failed"].get<std::size_t>()) +
                         " of " + std::to_string(results.size()) +
                         " node(s) failed (see the table above)",
                     nlohmann::json::object(), log::Level::error);
    return ExitCode::provider;
  }
  progress::result(true, "deploy.done",
                   "deploy: " + std::to_string(results.size()) + " node(s) deployed");
  return ExitCode::ok;
}

}  // namespace

void register_deploy(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<DeployOptions>();
  auto* sub = app.add_subcommand("deploy", "Push a build to the run's nodes");
  sub->add_option("--build", options->build, "A built artifact to push (wins over --commit)");
  sub->add_option("--commit", options->commit, "A git ref to build, then push")
      ->check(stored_text_check());
  sub->add_option("--run-id", options->run_id, "The run (default: the latest active run)")
      ->check(run_id_check());
  sub->callback([options, &result, seams] { result.code = run_deploy(*options, seams); });
}

}  // namespace labctl::cli
