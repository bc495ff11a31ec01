#include <iomanip>
#include <iostream>
#include <memory>

#include "labctl/cli/checks.hpp"
#include "labctl/cli/commands.hpp"
#include "labctl/cli/table.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/json_io.hpp"
#include "core/state_store.hpp"
#include "core/suggest.hpp"

namespace labctl::cli {
namespace {

struct RunsOptions {
  bool json = false;
  std::string run_id;
};

nlohmann::ordered_json run_json(const state::RunRecord& run) {
  return {{"runId", run.run_id},          {"status", run.status},
          {"profile", run.profile},       {"scenario", run.scenario},
          {"providers", run.providers},   {"providerOrder", run.provider_order},
          {"owner", run.owner},           {"purpose", run.purpose},
          {"ttl", run.ttl_text},          {"ttlSeconds", run.ttl_seconds},
          {"ttlExpiresAt", run.ttl_expires_at}, {"createdAt", run.created_at},
          {"updatedAt", run.updated_at},  {"dryRun", run.dry_run}};
}

std::unique_ptr<state::Store> open_store_or_null() {
  return value_or_throw(state::Store::open_existing(env::state_dir()));
}

void list_runs(const RunsOptions& options) {
  auto store = open_store_or_null();
  std::vector<state::RunRecord> runs;
  if (store) runs = value_or_throw(store->list_runs());
  if (options.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& run : runs) out.push_back(run_json(run));
    std::cout << json_io::dump(out) << '\n';
    return;
  }
  const std::vector<std::string> header{"RUN ID", "STATUS", "PROFILE", "PROVIDERS", "MODE",
                                        "EXPIRES"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs) {
    rows.push_back({run.run_id, run.status, run.profile, join(run.providers, ","),
                    run.dry_run ? "dry" : "live", run.ttl_expires_at});
  }
  print_table(header, rows);
}

void show_run(const RunsOptions& options) {
  auto store = open_store_or_null();
  std::optional<state::RunRecord> run;
  if (store) run = value_or_throw(store->find_run(options.run_id));
  if (!run) {
    throw ErrorException({ExitCode::usage, "runs show: no run " + options.run_id + " in " +
                                               env::state_dir().string() +
                                               " (see labctl runs list)"});
  }
  const auto resources = value_or_throw(store->resources(run->run_id));
  const auto events = value_or_throw(store->events(run->run_id));
  if (options.json) {
    nlohmann::ordered_json out = run_json(*run);
    out["resources"] = nlohmann::ordered_json::array();
    for (const auto& r : resources) {
      out["resources"].push_back({{"id", r.id}, {"provider", r.provider}, {"kind", r.kind},
                                  {"name", r.name}, {"region", r.region},
                                  {"cloudId", r.cloud_id}, {"state", r.state},
                                  {"attrs", r.attrs}, {"error", r.error}});
    }
    out["events"] = nlohmann::ordered_json::array();
    for (const auto& e : events) {
      out["events"].push_back({{"ts", e.ts}, {"kind", e.kind}, {"detail", e.detail}});
    }
    std::cout << json_io::dump(out) << '\n';
    return;
  }
  const auto fields = run_json(*run);
  // Every value below may hold outside text (cloud ids and errors, event details): printable.
  for (const auto& [key, value] : fields.items()) {
    std::cout << std::left << std::setw(14) << key << human_value(value) << '\n';
  }
  std::cout << "\nresources (" << resources.size() << "):\n";
  for (const auto& r : resources) {
    std::cout << "  #" << r.id << "  " << human_text(r.provider) << "  " << human_text(r.kind)
              << "  " << human_text(r.name) << "  "
              << (r.cloud_id.empty() ? "-" : human_text(r.cloud_id)) << "  "
              << human_text(r.state)
              << (r.error.empty() ? "" : "  (" + human_text(r.error) + ")") << '\n';
  }
  std::cout << "\nevents (" << events.size() << "):\n";
  for (const auto& e : events) {
    std::cout << "  " << human_text(e.ts) << "  " << human_text(e.kind) << "  "
              << human_value(e.detail) << '\n';
  }
}

}  // namespace

void register_runs(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<RunsOptions>();
  auto* runs = app.add_subcommand("runs", "List and inspect runs in the state database");
  runs->require_subcommand(1);
  auto* list = runs->add_subcommand("list", "List runs, newest first");
  list->add_flag("--json", options->json, "JSON for agents");
  list->callback([options, &result] {
    list_runs(*options);
    result.code = ExitCode::ok;
  });
  auto* show = runs->add_subcommand("show", "Show one run with its resources and events");
  show->add_option("ID", options->run_id, "Run id")->required()->check(run_id_check());
  show->add_flag("--json", options->json, "JSON for agents");
  show->callback([options, &result] {
    show_run(*options);
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
