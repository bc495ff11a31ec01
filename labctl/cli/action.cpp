#include <iostream>
#include <memory>

#include "executor/action_commands.hpp"
#include "executor/plugin.hpp"
#include "executor/preflight.hpp"
#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "labctl/cli/table.hpp"
#include "core/error.hpp"
#include "core/json_io.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::cli {
namespace {

struct ActionOptions {
  executor::PlanOptions plan;
  std::string file;
  std::string run_id;
  std::string key;
  std::string by;
  bool approved = false;
  bool json = false;
};

void list_actions(const ActionOptions& options) {
  const auto rows = value_or_throw(executor::action_rows(options.run_id));
  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& row : rows) out.push_back(journal::to_json(row));
    std::cout << json_io::dump(out) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    cells.push_back({row.idempotency_key, row.action, row.status,
                     row.epoch ? std::to_string(*row.epoch) : "-",
                     row.approved_by.empty() ? "-" : row.approved_by,
                     row.executed_at.empty() ? "-" : row.executed_at, row.result_message});
  }
  print_table({"KEY", "ACTION", "STATUS", "EPOCH", "APPROVED BY", "EXECUTED AT", "RESULT"}, cells);
}

void show_action(const ActionOptions& options) {
  const auto row = value_or_throw(executor::action_row(options.key));
  const auto document = journal::to_json(row);
  if (options.json) {
    std::cout << json_io::dump(document) << '\n';
    return;
  }
  for (const auto& [field, value] : document.items()) {
    std::cout << field << ": " << human_value(value) << '\n';
  }
}

}  // namespace

void register_action(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<ActionOptions>();
  auto* action = app.add_subcommand(
      "action", "The gated provider-action journal: plan, import, approve, execute, undo");
  action->require_subcommand(1);

  auto* plan = action->add_subcommand(
      "plan", "Plan capturing an address on a NIC (dry-run: describes only)");
  plan->add_option("--run-id", options->plan.run_id, "The run (default: the latest active run)")
      ->check(run_id_check());
  plan->add_option("--eni", options->plan.eni,
                   "The NIC that captures the address (an ENI id, an Azure NIC's ARM id)")
      ->required();
  plan->add_option("--address", options->plan.address, "The /32 to capture")->required();
  plan->add_option("--region", options->plan.region, "Default: the run's region for the NIC");
  plan->add_option("--seize-from", options->plan.seize_from,
                   "The NIC holding the address now: a seize (AWS: AllowReassignment; Azure: "
                   "removed from it first)");
  plan->add_option("--out", options->plan.out, "Write the ActionPlan here instead of stdout");
  plan->callback([options, seams, &result] {
    result.code =
        value_or_throw(executor::run_action_plan(options->plan, providers::provider_seams(seams)));
  });

  auto* import = action->add_subcommand(
      "import", "Import an ActionPlan or one ExecuteActionRequest into the journal as pending");
  import->add_option("file", options->file, "The plan file, or - for stdin")->required();
  import->add_option("--run-id", options->run_id, "Default: the plan's runId")
      ->check(run_id_check());
  import->add_flag("--json", options->json, "JSON for agents");
  import->callback([options, seams, &result] {
    result.code = value_or_throw(executor::run_action_import(
        options->file, options->run_id, options->json, providers::provider_seams(seams)));
  });

  auto* approve = action->add_subcommand("approve", "Approve a pending action");
  approve->add_option("key", options->key, "The idempotency key")->required();
  approve->add_option("--by", options->by, "Who approves (recorded in the journal)")
      ->required()
      ->check(stored_text_check());
  approve->callback([options, &result] {
    result.code = value_or_throw(executor::run_action_approve(options->key, options->by));
  });

  auto* execute = action->add_subcommand(
      "execute", "Execute an approved action (needs --approved; mutates only with CE_DRY_RUN=0)");
  execute->add_option("key", options->key, "The idempotency key")->required();
  execute->add_flag("--approved", options->approved,
                    "Confirm the action was reviewed and approved (a bare execute is refused)");
  execute->callback([options, seams, &result] {
    result.code = value_or_throw(executor::run_action_execute(options->key, options->approved,
                                                              providers::provider_seams(seams)));
  });

  auto* undo = action->add_subcommand(
      "undo", "Undo a succeeded action, restoring only the prior state it recorded");
  undo->add_option("key", options->key, "The idempotency key")->required();
  undo->callback([options, seams, &result] {
    result.code =
        value_or_throw(executor::run_action_undo(options->key, providers::provider_seams(seams)));
  });

  auto* list = action->add_subcommand("list", "List the journal (a table; --json for agents)");
  list->add_option("--run-id", options->run_id, "Only this run's actions")->check(run_id_check());
  list->add_flag("--json", options->json, "JSON for agents");
  list->callback([options, &result] {
    list_actions(*options);
    result.code = ExitCode::ok;
  });

  auto* show = action->add_subcommand("show", "Show one journal row");
  show->add_option("key", options->key, "The idempotency key")->required();
  show->add_flag("--json", options->json, "JSON for agents");
  show->callback([options, &result] {
    show_action(*options);
    result.code = ExitCode::ok;
  });
}

void register_executor(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto provider = std::make_shared<std::string>();
  auto* executor = app.add_subcommand(
      "executor", "routerd provider-action executor plugin: one ExecuteActionRequest on stdin, "
                  "one ExecuteActionResult on stdout");
  executor->add_option("provider", *provider, "aws")->required();
  executor->callback([provider, seams, &result] {
    result.code =
        executor::run_plugin(*provider, std::cin, std::cout, providers::provider_seams(seams));
  });
}

void register_preflight(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<executor::PreflightOptions>();
  auto* preflight = app.add_subcommand(
      "preflight", "Read-only preflight of an ENI and address before a capture (preflight.json)");
  preflight->add_option("--run-id", options->run_id, "The run (default: the latest active run)")
      ->check(run_id_check());
  preflight->add_option("--eni", options->eni, "The target NIC (an ENI id, an Azure NIC's ARM id)")
      ->required();
  preflight->add_option("--address", options->address, "The address to capture")->required();
  preflight->add_option("--region", options->region, "Default: the run's region for the NIC");
  preflight->add_option("--out", options->out,
                        "Default: $CE_STATE_DIR/runs/<run>/preflight.json");
  preflight->callback([options, seams, &result] {
    result.code =
        value_or_throw(executor::run_preflight(*options, providers::provider_seams(seams)));
  });
}

}  // namespace labctl::cli
