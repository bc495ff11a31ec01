#include "executor/action_commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "executor/aws_runner.hpp"
#include "executor/gate.hpp"
#include "executor/run_lookup.hpp"
#include "labctl/atomic_file.hpp"
#include "labctl/env.hpp"
#include "labctl/log.hpp"

namespace labctl::executor {
namespace {

// The plan document `action import` reads: a file, or "-" for stdin.
Expected<nlohmann::json> read_plan_document(const std::string& file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(file);
    if (!in) {
      return fail(ExitCode::usage, "action import: cannot read " + file +
                                       ": no such file or unreadable (give the file `labctl "
                                       "action plan --out` wrote, or - for stdin)");
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    return fail(ExitCode::usage, "action import: " +
                                     (file == "-" ? std::string("stdin") : file) +
                                     " is not valid JSON");
  }
  return parsed;
}

// The gate on the run's store, live only when CE_DRY_RUN=0.
Gate make_gate(state::Store& store) {
  const bool live = !env::dry_run();
  return Gate(store, make_aws_runner(live), live);
}

// Prints the result document; its exit code is the outcome's.
ExitCode publish(const Outcome& outcome) {
  std::cout << to_json(outcome.result).dump() << '\n';
  return outcome.code;
}

// Runs `body` on the store holding `key`'s run lease.
template <class Body>
Expected<ExitCode> with_action(const std::string& key, const std::string& command, Body body) {
  auto store = open_state(command);
  if (!store) return std::unexpected(store.error());
  auto row = journal::find(**store, key);
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return fail(ExitCode::usage, command + ": no action " + key +
                                     " in the journal (see labctl action list)");
  }
  log::set_run_id((*row)->run_id);
  auto lease = (*store)->acquire_lease((*row)->run_id, command);
  if (!lease) return std::unexpected(lease.error());
  return body(**store);
}

}  // namespace

Expected<ExitCode> run_action_plan(const PlanOptions& options) {
  if (options.eni.empty() || options.address.empty()) {
    return fail(ExitCode::usage, "action plan: --eni and --address are required");
  }
  auto store = open_state("action plan");
  if (!store) return std::unexpected(store.error());
  auto run = resolve_run(**store, options.run_id, "action plan");
  if (!run) return std::unexpected(run.error());
  auto region = eni_region(**store, run->run_id, options.eni, options.region, "action plan");
  if (!region) return std::unexpected(region.error());
  auto plan = plan_capture(**store, {run->run_id, options.eni, options.address, *region,
                                     options.seize_from});
  if (!plan) return std::unexpected(plan.error());
  const auto runner = make_aws_runner(false);
  for (const auto& request : *plan) {
    const auto probe = runner(request, run->run_id, "");
    if (probe.code != ExitCode::ok) {
      return fail(probe.code, "action plan: " + request.action + ": " + probe.result.message);
    }
    log::info("action.plan", request.idempotency_key + ": " + probe.result.message);
  }
  const auto document = plan_document(run->run_id, *plan);
  if (options.out.empty()) {
    std::cout << document.dump(2) << '\n';
    return ExitCode::ok;
  }
  if (auto written = write_file_atomic(options.out, document.dump(2) + "\n"); !written) {
    return std::unexpected(written.error());
  }
  std::cout << options.out << '\n';
  return ExitCode::ok;
}

Expected<ExitCode> run_action_import(const std::string& file, const std::string& run_id,
                                     bool json) {
  auto document = read_plan_document(file);
  if (!document) return std::unexpected(document.error());
  auto requests = read_plan(*document);
  if (!requests) {
    return fail(ExitCode::usage, "action import: " + file + ": " + requests.error().message);
  }
  std::string wanted = run_id;
  if (wanted.empty()) wanted = document->value("runId", "");
  if (wanted.empty() && !requests->empty()) {
    wanted = requests->front().context.value("runId", "");
  }
  auto store = open_state("action import");
  if (!store) return std::unexpected(store.error());
  auto run = resolve_run(**store, wanted, "action import");
  if (!run) return std::unexpected(run.error());
  auto lease = (*store)->acquire_lease(run->run_id, "action import");
  if (!lease) return std::unexpected(lease.error());
  auto gate = make_gate(**store);
  auto reports = gate.import(run->run_id, *requests, "import");
  if (!reports) return std::unexpected(reports.error());
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : *reports) {
      out.push_back({{"idempotencyKey", r.key}, {"outcome", r.outcome}, {"message", r.message}});
    }
    std::cout << out.dump() << '\n';
  } else {
    for (const auto& r : *reports) std::cout << r.key << "  " << r.outcome << "  " << r.message
                                             << '\n';
  }
  return ExitCode::ok;
}

Expected<ExitCode> run_action_approve(const std::string& key, const std::string& by) {
  if (by.empty()) return fail(ExitCode::usage, "action approve: --by NAME is required");
  return with_action(key, "action approve", [&](state::Store& store) -> Expected<ExitCode> {
    auto approved = journal::approve(store, key, by);
    if (!approved) return std::unexpected(approved.error());
    auto row = journal::find(store, key);
    if (!row) return std::unexpected(row.error());
    if (!*approved) {
      return fail(ExitCode::refused, "action approve: " + key + " is " + (*row)->status +
                                         ", not pending; only a pending action can be approved");
    }
    std::cout << key << "  approved by " << by << '\n';
    return ExitCode::ok;
  });
}

Expected<ExitCode> run_action_execute(const std::string& key, bool approved) {
  return with_action(key, "action execute", [&](state::Store& store) -> Expected<ExitCode> {
    auto gate = make_gate(store);
    auto outcome = gate.execute(key, approved);
    if (!outcome) return std::unexpected(outcome.error());
    return publish(*outcome);
  });
}

Expected<ExitCode> run_action_undo(const std::string& key) {
  return with_action(key, "action undo", [&](state::Store& store) -> Expected<ExitCode> {
    auto gate = make_gate(store);
    auto outcome = gate.undo(key);
    if (!outcome) return std::unexpected(outcome.error());
    return publish(*outcome);
  });
}

Expected<std::vector<journal::ActionRow>> action_rows(const std::string& run_id) {
  auto store = state::Store::open_existing(env::state_dir());
  if (!store) return std::unexpected(store.error());
  if (!*store) return std::vector<journal::ActionRow>{};
  return journal::list(**store, run_id);
}

Expected<journal::ActionRow> action_row(const std::string& key) {
  auto store = open_state("action show");
  if (!store) return std::unexpected(store.error());
  auto row = journal::find(**store, key);
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    return fail(ExitCode::usage, "action show: no action " + key +
                                     " in the journal (see labctl action list)");
  }
  return **row;
}

}  // namespace labctl::executor
