#include <memory>

#include "faults/failover.hpp"
#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"

namespace labctl::cli {

void register_failover(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<faults::FailoverOptions>();
  auto* sub = app.add_subcommand("failover", "Inject a fault into the run");
  sub->add_option("--provider", options->providers, "Provider(s), comma-separated");
  sub->add_option("--fault", options->fault,
                  "stop-active|drain|heartbeat-stop|executor-fail|stale-replay|routerd-bgp-stop");
  sub->add_option("--node", options->node, "Target node (default: the active router)");
  sub->add_option("--run-id", options->run_id, "The run (default: the latest active run)")
      ->check(run_id_check());
  sub->add_flag("--measure", options->measure,
                "Time detection, switchover and recovery (failover-timing JSON)");
  sub->add_option("--threshold-seconds", options->threshold_seconds,
                  "Recovery must be faster than this (default 60)");
  sub->add_option("--timeout-seconds", options->timeout_seconds,
                  "How long each stage may take (default 120)");
  sub->add_option("--out", options->out, "Write the timing JSON here (atomically)");
  sub->add_option("--restore-after", options->restore_after_seconds,
                  "Inject, wait SECONDS, then run the fault's restore (node faults)")
      ->check(CLI::Range(0, 86400));
  sub->add_flag("--restore", options->restore,
                "Only restore a fault injected earlier (its restore command)");
  sub->callback([options, &result, seams] {
    result.code = value_or_throw(faults::run_failover(*options, seams));
  });
}

}  // namespace labctl::cli
