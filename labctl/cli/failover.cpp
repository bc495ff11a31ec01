#include <memory>

#include "faults/failover.hpp"
#include "labctl/cli/commands.hpp"

namespace labctl::cli {

void register_failover(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<faults::FailoverOptions>();
  auto* sub = app.add_subcommand("failover", "Inject a fault into the run");
  sub->add_option("--provider", options->providers, "Provider(s), comma-separated");
  sub->add_option("--fault", options->fault,
                  "stop-active|drain|heartbeat-stop|executor-fail|stale-replay|routerd-bgp-stop");
  sub->add_option("--node", options->node, "Target node (default: the active router)");
  sub->add_option("--run-id", options->run_id, "The run (default: the latest active run)");
  sub->callback([options, &result] {
    value_or_throw(faults::run_failover(*options));
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
