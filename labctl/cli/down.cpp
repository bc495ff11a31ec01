#include <iostream>
#include <memory>

#include "core/env.hpp"
#include "core/json_io.hpp"
#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "labctl/lifecycle/down.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::cli {

void register_down(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<lifecycle::DownOptions>();
  auto* sub = app.add_subcommand(
      "down", "Tear down a run (idempotent); --expired is the janitor for runs past their TTL");
  sub->add_option("--run-id", options->run_id, "The run to tear down")->check(run_id_check());
  sub->add_flag("--expired", options->expired,
                "Every run past its TTL, from state and from provider tags");
  sub->add_flag("--force", options->force, "Without --run-id: the latest active run");
  sub->callback([options, &result, seams] {
    // stdout: one JSON result, also when a run it reached failed (then the error and its code
    // follow); an error before any run was reached (a usage error) leaves stdout empty.
    lifecycle::DownOutcome outcome;
    const auto done = lifecycle::run_down(*options, providers::provider_seams(seams), outcome);
    if (done || !outcome.empty()) {
      std::cout << json_io::dump(outcome.to_json(env::dry_run())) << '\n';
    }
    value_or_throw(done);
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
