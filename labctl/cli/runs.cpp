#include <algorithm>
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
#include "core/time.hpp"

namespace labctl::cli {
namespace {

struct RunsOptions {
  std::string output = "table";  // table|json; --json is the original spelling of json
  std::string run_id;
};

// What a person or an agent should read as the run's status: a dry run that reached "up"
// created nothing, so it is "planned".
std::string shown_status(const state::RunRecord& run) {
  return run.dry_run && run.status == state::k_run_up ? "planned" : run.status;
}

// user@host that ran `up` (run meta "startedBy", recorded since schema 2's runs), else the
// owner tag.
std::string started_by(state::Store& store, const state::RunRecord& run) {
  const auto meta = store.get_meta(run.run_id, "startedBy");
  if (meta && *meta && (**meta).is_string()) return (**meta).get<std::string>();
  return run.owner;
}

nlohmann::ordered_json run_json(const state::RunRecord& run, const std::string& owner) {
  return {{"runId", run.run_id},          {"status", shown_status(run)},
          {"profile", run.profile},       {"scenario", run.scenario},
          {"providers", run.providers},   {"providerOrder", run.provider_order},
          {"owner", run.owner},           {"startedBy", owner},
          {"machine", run.machine},       {"purpose", run.purpose},
          {"ttl", run.ttl_text},          {"ttlSeconds", run.ttl_seconds},
          {"ttlExpiresAt", run.ttl_expires_at}, {"createdAt", run.created_at},
          {"updatedAt", run.updated_at},  {"dryRun", run.dry_run}};
}

// "3m", "2h5m", "1d4h": the two largest units of a non-negative span.
std::string short_span(std::chrono::seconds span) {
  const long long total = span.count();
  if (total < 60) return std::to_string(total) + "s";
  const long long days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60;
  if (days > 0) return std::to_string(days) + "d" + (hours > 0 ? std::to_string(hours) + "h" : "");
  if (hours > 0) return std::to_string(hours) + "h" + (minutes > 0 ? std::to_string(minutes) + "m" : "");
  return std::to_string(minutes) + "m";
}

// Age of `since` at `now`; "-" when the recorded time does not parse.
std::string age(const std::string& since, SystemTime now) {
  const auto at = parse_rfc3339(since);
  if (!at) return "-";
  return short_span(std::max(std::chrono::seconds(0),
                             std::chrono::duration_cast<std::chrono::seconds>(now - *at)));
}

// Time left before the TTL; "expired" once past, "-" for a run that no longer holds anything.
std::string expires_in(const state::RunRecord& run, SystemTime now) {
  if (run.status == state::k_run_down) return "-";
  const auto at = parse_rfc3339(run.ttl_expires_at);
  if (!at) return "-";
  if (*at <= now) return "expired";
  return short_span(std::chrono::duration_cast<std::chrono::seconds>(*at - now));
}

std::string text_at(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The run's nodes as the providers recorded them (a resource whose attrs hold "node"): name,
// role, site, provider and every address known, empty ones left out.
nlohmann::ordered_json nodes_json(const std::vector<state::ResourceRecord>& resources) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto& r : resources) {
    if (r.state == state::k_res_deleted || !r.attrs.is_object()) continue;
    const auto node = r.attrs.find("node");
    if (node == r.attrs.end() || !node->is_object()) continue;
    nlohmann::ordered_json addresses = nlohmann::ordered_json::object();
    const auto add = [&addresses](const char* name, const std::string& value) {
      if (!value.empty()) addresses[name] = value;
    };
    add("logical", text_at(*node, "logical_address"));
    add("lan", text_at(*node, "lan_address"));
    add("transit", text_at(*node, "transit_address"));
    add("private", text_at(r.attrs, "privateIp"));
    add("public", text_at(r.attrs, "publicIp"));
    if (const auto ssh = node->find("ssh"); ssh != node->end() && ssh->is_object()) {
      add("ssh", text_at(*ssh, "host"));
    }
    const std::string name = text_at(*node, "name");
    nodes.push_back({{"name", name.empty() ? r.name : name},
                     {"role", text_at(*node, "role")},
                     {"site", text_at(*node, "site")},
                     {"provider", r.provider},
                     {"addresses", std::move(addresses)}});
  }
  return nodes;
}

std::unique_ptr<state::Store> open_store_or_null() {
  return value_or_throw(state::Store::open_existing(env::process()));
}

void list_runs(const RunsOptions& options, SystemTime now) {
  auto store = open_store_or_null();
  std::vector<state::RunRecord> runs;
  if (store) runs = value_or_throw(store->list_runs());
  if (options.output == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& run : runs) out.push_back(run_json(run, started_by(*store, run)));
    std::cout << json_io::dump(out) << '\n';
    return;
  }
  const std::vector<std::string> header{"RUN ID",     "STATUS",  "OWNER",    "MACHINE", "AGE",
                                        "EXPIRES IN", "PROFILE", "PROVIDERS"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs) {
    rows.push_back({run.run_id, shown_status(run), started_by(*store, run),
                    run.machine.empty() ? "-" : run.machine, age(run.created_at, now),
                    expires_in(run, now), run.profile, join(run.providers, ",")});
  }
  print_table(header, rows);
}

void show_run(const RunsOptions& options) {
  auto store = open_store_or_null();
  std::optional<state::RunRecord> run;
  if (store) run = value_or_throw(store->find_run(options.run_id));
  if (!run) {
    const auto where = value_or_throw(state::StateLocation::from(env::process())).describe();
    throw ErrorException({ExitCode::usage, "runs show: no run " + options.run_id + " in " +
                                               where + " (see labctl runs list)"});
  }
  const auto resources = value_or_throw(store->resources(run->run_id));
  const auto events = value_or_throw(store->events(run->run_id));
  const auto nodes = nodes_json(resources);
  if (options.output == "json") {
    nlohmann::ordered_json out = run_json(*run, started_by(*store, *run));
    out["nodes"] = nodes;
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
  const auto fields = run_json(*run, started_by(*store, *run));
  // Every value below may hold outside text (cloud ids and errors, event details): printable.
  for (const auto& [key, value] : fields.items()) {
    std::cout << std::left << std::setw(14) << key << human_value(value) << '\n';
  }
  std::cout << "\nnodes (" << nodes.size() << "):\n";
  for (const auto& node : nodes) {
    std::cout << "  " << human_value(node["name"]) << "  " << human_value(node["role"]) << "  "
              << human_value(node["site"]) << "  " << human_value(node["provider"]) << "  "
              << human_value(node["addresses"]) << '\n';
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

// --output table|json, and --json, its original spelling, as an alias of --output json.
void add_output_flags(CLI::App& command, const std::shared_ptr<RunsOptions>& options) {
  auto* output = command.add_option("--output", options->output, "table (default) or json")
                     ->check(CLI::IsMember({"table", "json"}));
  command.add_flag_callback("--json", [options] { options->output = "json"; },
                            "JSON for agents (same as --output json)")
      ->excludes(output);
}

}  // namespace

void register_runs(CLI::App& app, CommandResult& result, const Seams& seams) {
  auto options = std::make_shared<RunsOptions>();
  auto* runs = app.add_subcommand("runs", "List and inspect runs in the state database");
  runs->require_subcommand(1);
  auto* list = runs->add_subcommand(
      "list",
      "List runs, newest first: status (planned for a dry run), owner, the machine that started "
      "it, age, expires in");
  add_output_flags(*list, options);
  list->callback([options, &result, clock = seams.clock] {
    list_runs(*options, clock->now());
    result.code = ExitCode::ok;
  });
  auto* show = runs->add_subcommand(
      "show", "Show one run with its nodes, resources and events");
  show->add_option("ID", options->run_id, "Run id")->required()->check(run_id_check());
  add_output_flags(*show, options);
  show->callback([options, &result] {
    show_run(*options);
    result.code = ExitCode::ok;
  });
}

}  // namespace labctl::cli
