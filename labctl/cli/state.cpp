#include <iostream>
#include <memory>

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/state_copy.hpp"
#include "labctl/cli/commands.hpp"
#include "labctl/cli/table.hpp"

namespace labctl::cli {
namespace {

struct StateOptions {
  std::string to;
  bool json = false;
};

// Copies the state this environment selects (CE_STATE_URL, else CE_STATE_DIR) into --to and
// prints what each table holds on both sides: a table, or one JSON object for agents.
void migrate(const StateOptions& options) {
  const auto from = value_or_throw(state::StateLocation::from(env::process()));
  const auto to = value_or_throw(state::target_location(options.to, from));
  const auto report = value_or_throw(state::copy_state(from, to));
  if (report.leases > 0) {
    log::warn("state.migrate",
              "state migrate: " + std::to_string(report.leases) + " run(s) held a lease in " +
                  report.from +
                  " while it was copied; what their labctl writes from now on stays there");
  }
  const std::string use = to.url.empty() ? "unset CE_STATE_URL and set CE_STATE_DIR=" + report.to
                                         : "set CE_STATE_URL to that database";
  log::info("state.migrate", "state migrate: copied " + report.from + " to " + report.to +
                                 " (the same row counts on both sides); to use it, " + use +
                                 ". The source is left as it was.");
  if (options.json) {
    nlohmann::ordered_json tables = nlohmann::ordered_json::object();
    for (const auto& t : report.tables) tables[t.table] = t.rows;
    const nlohmann::ordered_json out{{"from", report.from}, {"to", report.to}, {"tables", tables}};
    std::cout << json_io::dump(out) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : report.tables) rows.push_back({t.table, std::to_string(t.rows)});
  print_table({"TABLE", "ROWS"}, rows);
}

}  // namespace

void register_state(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<StateOptions>();
  auto* state = app.add_subcommand("state", "Manage the state database itself");
  state->require_subcommand(1);
  auto* migrate_command = state->add_subcommand(
      "migrate",
      "Copy the whole state (CE_STATE_URL, else CE_STATE_DIR) into an empty other store, "
      "verified by row counts; leases are not copied");
  migrate_command
      ->add_option("--to", options->to,
                   "postgresql://user@host:port/db (a team's shared state; the password from "
                   "~/.pgpass or PGPASSWORD, not the command line) or a state directory "
                   "(SQLite)")
      ->required();
  migrate_command->add_flag("--json", options->json, "JSON for agents");
  migrate_command->callback([options, &result] {
    migrate(*options);
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
