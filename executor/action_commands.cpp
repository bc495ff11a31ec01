#include "executor/action_commands.hpp"

#include <iostream>

#include "executor/action_provider.hpp"
#include "executor/gate.hpp"
#include "executor/run_lookup.hpp"
#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "core/json_io.hpp"

namespace labctl::executor {
namespace {

// The text of the plan `action import` reads: a file (bounded, regular files only), or "-" for
// stdin (bounded).
Expected<std::string> read_plan_text(const std::string& file) {
  if (file == "-") return read_stream(std::cin, "action import: stdin");
  auto text = read_file(file);
  if (!text) {
    return fail(text.error().code,
                "action import: " + text.error().message +
                    " (give the file `labctl action plan --out` wrote, or - for stdin)");
  }
  return text;
}

// The gate on the run's store, live only when CE_DRY_RUN=0.
Gate make_gate(state::Store& store, const providers::ProviderSeams& seams) {
  const bool live = !env::dry_run();
  return Gate(store, registry_runners(live, seams), live, *seams.seams.clock);
}

// Prints the result document; its exit code is the outcome's.
ExitCode publish(const Outcome& outcome) {
  std::cout << json_io::dump(providers::to_json(outcome.result)) << '\n';
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

Expected<ExitCode> run_action_plan(const PlanOptions& options,
                                   const providers::ProviderSeams& seams) {
  if (options.eni.empty() || options.address.empty()) {
    return fail(ExitCode::usage, "action plan: --eni and --address are required");
  }
  auto store = open_state("action plan");
  if (!store) return std::unexpected(store.error());
  auto run = resolve_run(**store, options.run_id, "action plan");
  if (!run) return std::unexpected(run.error());
  auto region = eni_region(**store, run->run_id, options.eni, options.region, "action plan");
  if (!region) return std::unexpected(region.error());
  auto provider = action_provider(*run, "action plan", seams);
  if (!provider) return std::unexpected(provider.error());
  auto plan = plan_capture(**store, {run->run_id, options.eni, options.address, *region,
                                     options.seize_from, std::string((*provider)->name())});
  if (!plan) return std::unexpected(plan.error());
  const auto runner = (*provider)->action_runner(false);
  if (!runner) return std::unexpected(runner.error());
  for (const auto& request : *plan) {
    const auto probe = (*runner)(request, run->run_id, "");
    if (probe.code != ExitCode::ok) {
      return fail(probe.code, "action plan: " + request.action + ": " + probe.result.message);
    }
    log::info("action.plan", request.idempotency_key + ": " + probe.result.message);
  }
  const auto document = plan_document(run->run_id, *plan);
  if (options.out.empty()) {
    std::cout << json_io::dump(document, 2) << '\n';
    return ExitCode::ok;
  }
  if (auto written = write_file_atomic(options.out, json_io::dump(document, 2) + "\n"); !written) {
    return std::unexpected(written.error());
  }
  std::cout << options.out << '\n';
  return ExitCode::ok;
}

Expected<ExitCode> run_action_import(const std::string& file, const std::string& run_id,
                                     bool json, const providers::ProviderSeams& seams) {
  auto text = read_plan_text(file);
  if (!text) return std::unexpected(text.error());
  const std::string what =
      "action import: " + (file == "-" ? std::string("stdin") : text::printable(file, 256));
  // Everything is checked before the state is opened: a bad plan stores nothing.
  auto plan = providers::read_plan(*text, what);
  if (!plan) return std::unexpected(plan.error());
  std::string wanted = run_id;
  if (wanted.empty()) wanted = plan->run_id;
  if (wanted.empty() && !plan->actions.empty()) {
    wanted = plan->actions.front().context.value("runId", "");
  }
  auto store = open_state("action import");
  if (!store) return std::unexpected(store.error());
  auto run = resolve_run(**store, wanted, "action import");
  if (!run) return std::unexpected(run.error());
  auto lease = (*store)->acquire_lease(run->run_id, "action import");
  if (!lease) return std::unexpected(lease.error());
  auto gate = make_gate(**store, seams);
  auto reports = gate.import(run->run_id, plan->actions, "import");
  if (!reports) return std::unexpected(reports.error());
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& r : *reports) {
      out.push_back({{"idempotencyKey", r.key}, {"outcome", r.outcome}, {"message", r.message}});
    }
    std::cout << json_io::dump(out) << '\n';
  } else {
    for (const auto& r : *reports) {
      std::cout << text::printable(r.key) << "  " << r.outcome << "  "
                << text::printable(r.message, 2048) << '\n';
    }
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

Expected<ExitCode> run_action_execute(const std::string& key, bool approved,
                                      const providers::ProviderSeams& seams) {
  return with_action(key, "action execute", [&](state::Store& store) -> Expected<ExitCode> {
    auto gate = make_gate(store, seams);
    auto outcome = gate.execute(key, approved);
    if (!outcome) return std::unexpected(outcome.error());
    return publish(*outcome);
  });
}

Expected<ExitCode> run_action_undo(const std::string& key,
                                   const providers::ProviderSeams& seams) {
  return with_action(key, "action undo", [&](state::Store& store) -> Expected<ExitCode> {
    auto gate = make_gate(store, seams);
    auto outcome = gate.undo(key);
    if (!outcome) return std::unexpected(outcome.error());
    return publish(*outcome);
  });
}

Expected<std::vector<journal::ActionRow>> action_rows(const std::string& run_id) {
  auto store = state::Store::open_existing(env::process());
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
