#include "evidence/collect.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

#include <nlohmann/json.hpp>

#include "evidence/assemble.hpp"
#include "evidence/bundle.hpp"
#include "evidence/inputs.hpp"
#include "evidence/journal.hpp"
#include "evidence/lifecycle.hpp"
#include "evidence/scenarios.hpp"
#include "core/strcat.hpp"
#include "evidence/validate.hpp"
#include "core/env.hpp"
#include "core/log.hpp"
#include "core/run_id.hpp"
#include "core/run_lookup.hpp"
#include "core/state_store.hpp"
#include "core/text.hpp"
#include "core/json_io.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

// A user-given string quoted for an error message: control characters and quotes escaped, so a
// hostile value cannot forge extra log lines.
std::string quote_for_message(const std::string& text) {
  return json_io::dump(json(text::printable(text, 120)));
}

// The longest `--commit` taken (git's own refs and ids stay far below).
constexpr std::size_t k_max_commit_bytes = 255;

// What `git rev-parse HEAD` printed, if it is a commit id or ref: 1 to k_max_commit_bytes of
// [A-Za-z0-9._/@^~+-].
bool is_git_ref(std::string_view commit) {
  if (commit.empty() || commit.size() > k_max_commit_bytes) return false;
  return std::ranges::all_of(commit, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("._/@^~+-").find(c) != std::string_view::npos;
  });
}

// A free-form text flag stored in the bundle as given (the views escape it): not empty, at most
// `max_bytes`, well-formed UTF-8.
Expected<void> check_text_flag(const std::string& value, const char* flag, std::size_t max_bytes) {
  if (value.empty()) return fail(ExitCode::usage, cat("evidence collect: ", flag, " must not be empty"));
  if (value.size() > max_bytes) {
    return fail(ExitCode::usage, cat("evidence collect: ", flag, " is ", value.size(),
                                     " bytes; the limit is ", max_bytes));
  }
  if (!text::is_valid_utf8(value)) {
    return fail(ExitCode::usage, cat("evidence collect: ", flag, " ", quote_for_message(value),
                                     " is not valid UTF-8"));
  }
  return {};
}

// Every flag that is text from outside is checked here, before any input is read.
Expected<void> check_flags(const CollectOptions& options) {
  if (options.out_dir.empty()) return fail(ExitCode::usage, "evidence collect: --out is required");
  if (options.run_id) {
    if (auto ok = check_run_id(*options.run_id, "evidence collect: --run-id"); !ok) return ok;
  }
  if (options.result && *options.result != "pass" && *options.result != "fail") {
    return fail(ExitCode::usage, cat("evidence collect: --result must be pass or fail, not ",
                                     quote_for_message(*options.result)));
  }
  if (options.scenario) {
    if (auto ok = check_text_flag(*options.scenario, "--scenario", k_max_scenario_bytes); !ok) {
      return ok;
    }
  }
  if (options.commit) {
    if (auto ok = check_text_flag(*options.commit, "--commit", k_max_commit_bytes); !ok) return ok;
  }
  return {};
}

Expected<void> load_optional(const std::optional<std::filesystem::path>& path, InputKind kind,
                             const char* flag, std::optional<InputDocument>& into) {
  if (!path) return {};
  TRY_ASSIGN(into, load_input(*path, kind, flag));
  return {};
}

Expected<Inputs> load_inputs(const CollectOptions& options) {
  Inputs inputs;
  for (auto ok :
       {load_optional(options.matrix_json, InputKind::matrix, "--matrix-json", inputs.matrix),
        load_optional(options.matrix_before_json, InputKind::matrix, "--matrix-before-json",
                      inputs.matrix_before),
        load_optional(options.cloud_ingress_json, InputKind::matrix, "--cloud-ingress-matrix-json",
                      inputs.cloud_ingress),
        load_optional(options.provider_state_json, InputKind::provider_state,
                      "--provider-state-json", inputs.provider_state),
        load_optional(options.timing_json, InputKind::timing, "--timing-json", inputs.timing),
        load_optional(options.protocol_json, InputKind::protocol, "--protocol-json",
                      inputs.protocol),
        load_optional(options.l2_loop_json, InputKind::l2_loop, "--l2-loop-json",
                      inputs.l2_loop)}) {
    TRY(ok);
  }
  if (!inputs.provider_state && options.provider_state) {
    TRY_ASSIGN(inputs.provider_state,
               input_from_json(*options.provider_state, InputKind::provider_state,
                               "providers:describe"));
  }
  return inputs;
}

std::string commit_under_test(ProcessRunner& processes) {
  auto git = processes.run({.argv = {"git", "rev-parse", "HEAD"},
                            .stdin_data = std::nullopt,
                            .timeout = std::chrono::seconds(10),
                            .extra_env = {},
                            .cwd = {},
                            .inherit_stderr = false});
  if (!git || git->exit_code != 0) return "unknown";
  std::string commit = git->out.substr(0, git->out.find_first_of(" \t\r\n"));
  return is_git_ref(commit) ? commit : "unknown";
}

// Everything the state store knows about the run, plus the inputs it can stand in for.
struct StateView {
  std::optional<RunFacts> facts;
  json timeline_events = json::array();
  std::string scenario;
  std::optional<InputDocument> preflight;  // run meta "preflight", as `labctl preflight` left it
};

// The run's preflight document (run meta "preflight"), if any. It is the lead-in to a live
// mutation, not a probe the result rests on, so a malformed one is reported and left out
// rather than failing the collect.
Expected<std::optional<InputDocument>> read_preflight(state::Store& store,
                                                      const std::string& run_id) {
  auto meta = store.get_meta(run_id, "preflight");
  if (!meta) return std::unexpected(meta.error());
  if (!*meta) return std::optional<InputDocument>();
  if (!(*meta)->is_object()) {
    log::warn("evidence",
              "evidence: the run's stored preflight (meta \"preflight\") is not a "
              "JSON object; preflight.json is left out (re-run `labctl preflight`)");
    return std::optional<InputDocument>();
  }
  std::string text = json_io::dump(**meta, 2) + "\n";
  return std::optional<InputDocument>(InputDocument{
      .value = std::move(**meta), .text = std::move(text), .origin = "state:preflight"});
}

Expected<StateView> read_state(state::Store& store, const state::RunRecord& run, Inputs& inputs) {
  StateView view;
  view.scenario = run.scenario;
  RunFacts facts{.providers = run.providers,
                 .ttl_seconds = run.ttl_seconds,
                 .status = run.status,
                 .dry_run = run.dry_run,
                 .remaining_resources = {},
                 .infra_provision_seconds = std::nullopt,
                 .deploy_ready_seconds = std::nullopt};
  std::vector<state::ResourceRecord> resources;
  TRY_ASSIGN(resources, store.resources(run.run_id));
  for (const state::ResourceRecord& resource : resources) {
    if (resource.state != state::k_res_deleted) {
      facts.remaining_resources.push_back(
          cat(resource.kind, " ", resource.name, " (", resource.state, ")"));
    }
  }
  view.facts = std::move(facts);
  std::vector<state::EventRecord> events;
  TRY_ASSIGN(events, store.events(run.run_id));
  for (const state::EventRecord& event : events) {
    view.timeline_events.push_back(
        {{"ts", event.ts}, {"kind", event.kind}, {"detail", event.detail}});
  }
  if (!run.dry_run) {
    const std::vector<LifecycleStep> steps = lifecycle_steps(view.timeline_events);
    view.facts->infra_provision_seconds = last_passing_seconds(steps, "up");
    view.facts->deploy_ready_seconds = last_passing_seconds(steps, "deploy");
  }
  const std::pair<const char*, std::optional<InputDocument>*> stand_ins[] = {
      {"matrix.latest", &inputs.matrix}, {"failover.timing", &inputs.timing}};
  for (const auto& [key, slot] : stand_ins) {
    if (*slot) continue;  // an explicit flag wins over the store
    auto meta = store.get_meta(run.run_id, key);
    if (!meta) return std::unexpected(meta.error());
    if (!*meta) continue;
    const InputKind kind = slot == &inputs.matrix ? InputKind::matrix : InputKind::timing;
    TRY_ASSIGN(*slot, input_from_json(std::move(**meta), kind, cat("state:", key)));
  }
  TRY_ASSIGN(view.preflight, read_preflight(store, run.run_id));
  return view;
}

// --scenario (checked by check_flags), else the run's scenario, else the run-id text after
// "-cloudedge-" (a checked run id). A scenario the store holds is outside text too: one that is
// too long or not UTF-8 (an older labctl stored it) is shown escaped and cut.
std::string resolve_scenario(const CollectOptions& options, const StateView& state,
                             const std::string& run_id) {
  constexpr std::string_view k_marker = "-cloudedge-";
  if (options.scenario) return *options.scenario;
  if (!state.scenario.empty()) {
    if (state.scenario.size() <= k_max_scenario_bytes && text::is_valid_utf8(state.scenario)) {
      return state.scenario;
    }
    return text::printable(state.scenario, k_max_scenario_bytes);
  }
  const auto at = run_id.find(k_marker);
  return at == std::string::npos ? "adhoc" : run_id.substr(at + k_marker.size());
}

}  // namespace

Expected<CollectOutcome> collect(const CollectOptions& options, ProcessRunner& processes,
                                 const Clock& clock) {
  TRY(check_flags(options));
  Inputs inputs;
  TRY_ASSIGN(inputs, load_inputs(options));

  auto store = state::Store::open_existing(env::process());
  if (!store) return std::unexpected(store.error());
  // No state, no active run and an unknown --run-id are all fine: the evidence then comes from
  // the given files alone.
  std::optional<state::RunRecord> run;
  if (*store) {
    TRY_ASSIGN(run, state::find_run_or_latest(**store, options.run_id.value_or(""), "evidence",
                                              state::MissingRun::none));
  }
  StateView state_view;
  if (run) {
    TRY_ASSIGN(state_view, read_state(**store, *run, inputs));
  } else if (options.run_id) {
    log::info("evidence",
              "evidence: the run is not in the state store; collecting from the given "
              "files only (no timeline, default TTL)");
  }

  AssemblyRequest request;
  request.run_id = options.run_id ? *options.run_id
                   : run          ? run->run_id
                                  : make_run_id(clock.now(), options.scenario.value_or("adhoc"));
  request.scenario = resolve_scenario(options, state_view, request.run_id);
  request.commit = options.commit ? *options.commit : commit_under_test(processes);
  request.inputs = std::move(inputs);
  request.run = state_view.facts;
  request.fencing = fencing_assertions(store->get(), request.run_id);
  request.requested_result = options.result;

  auto scenarios = load_scenarios(options.scenarios_file);
  if (!scenarios) return std::unexpected(scenarios.error());
  request.scenario_spec = find_scenario(*scenarios, request.scenario);
  if (!request.scenario_spec) {
    log::info("evidence",
              cat("evidence: scenario ", quote_for_message(request.scenario), " is not in ",
                  scenarios->origin, "; no expected assertions are enforced"));
  }

  auto assembly = assemble(request);
  if (!assembly) {
    remove_stale_result(options.out_dir);  // an earlier pass must not stand for this refusal
    return std::unexpected(assembly.error());
  }
  auto errors = validate_result(assembly->document);
  if (!errors) return std::unexpected(errors.error());
  if (!errors->empty()) {
    for (const json_schema::ValidationError& error : *errors) {
      log::error("evidence",
                 cat("evidence: result.json invalid at ", error.path, ": ", error.reason),
                 {{"path", error.path}, {"reason", error.reason}});
    }
    remove_stale_result(options.out_dir);
    return fail(ExitCode::check_failed,
                cat("evidence: result.json failed validation (", errors->size(),
                    " errors above); nothing was written to ", options.out_dir.string()));
  }

  const std::string result = assembly->document["result"].get<std::string>();
  for (const std::string& reason : assembly->fail_reasons) {
    log::info("evidence", cat("evidence: fail because ", reason));
  }
  BundleContents contents{
      .result = std::move(assembly->document),
      .fail_reasons = std::move(assembly->fail_reasons),
      .inputs = std::move(request.inputs),
      .timeline = {{"runId", request.run_id}, {"events", state_view.timeline_events}},
      .preflight = std::move(state_view.preflight)};
  auto path = write_bundle(options.out_dir, contents);
  if (!path) return std::unexpected(path.error());
  log::info("evidence", cat("evidence: wrote ", path->string(), " (result=", result, ")"));
  return CollectOutcome{.result_path = *path, .result = result};
}

}  // namespace labctl::evidence
