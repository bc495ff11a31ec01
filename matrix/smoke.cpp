#include "matrix/smoke.hpp"

#include <atomic>
#include <chrono>
#include <optional>
#include <ostream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "matrix/external_runner.hpp"
#include "matrix/plan.hpp"

namespace labctl::matrix {
namespace {

// Writes the table as plain lines (human) or as one event whose fields are the table's
// columns and rows (json) on stderr.
void log_table(const std::vector<FlowResult>& results, const std::vector<Site>& sites) {
  if (log::format() == log::Format::json) {
    log::info("matrix.table", "truth table", truth_table_fields(results, sites));
    return;
  }
  std::istringstream lines(truth_table(results, sites));
  for (std::string line; std::getline(lines, line);) log::info("matrix.table", line);
}

// Stores the baseline (first smoke of a run), the smoke event and the latest matrix. Failures
// are warnings: the matrix result stands on its own.
void record(RunContext& run, const MatrixPlan& plan, const MatrixOutcome& outcome,
            const std::string& out) {
  auto& store = *run.store;
  const std::string& id = run.run.run_id;
  const auto warn_on = [&](const Expected<void>& done, const char* what) {
    if (!done) log::warn("matrix.state", std::string("could not record ") + what + ": " + done.error().message);
  };
  if (plan.record_baseline && plan.gateway.value == "unchanged") {
    nlohmann::json baseline = nlohmann::json::object();
    for (const auto& [site, gw] : plan.gateway.baseline) baseline[site] = gw;
    for (const FlowResult& r : outcome.results) {
      const std::string& site = plan.sites.at(r.flow.src).name;
      if (!baseline.contains(site) && !r.seen.default_gw.empty()) baseline[site] = r.seen.default_gw;
    }
    warn_on(store.set_meta(id, "matrix.default_gw_baseline", baseline), "the gateway baseline");
  }
  const Summary& s = outcome.summary;
  warn_on(store.add_event(id, "smoke",
                          {{"phase", s.phase}, {"total", s.total}, {"passed", s.passed},
                           {"failed", s.failed()}, {"result", s.pass() ? "pass" : "fail"},
                           {"elapsedSeconds", outcome.json["summary"]["elapsedSeconds"]},
                           {"out", out}}),
          "the smoke event");
  if (auto latest = json_io::parse(json_io::dump(outcome.json), "the matrix result")) {
    warn_on(store.set_meta(id, "matrix.latest", *latest), "the latest matrix");
  } else {
    log::warn("matrix.state", "could not record the latest matrix: " + latest.error().message);
  }
}

}  // namespace

MatrixOutcome run_matrix(const MatrixPlan& plan, FlowRunner& runner) {
  const auto flows = plan_flows(plan.sites.size());
  const int parallelism = plan.parallelism.value_or(static_cast<int>(std::max<std::size_t>(flows.size(), 1)));
  const auto start = std::chrono::steady_clock::now();
  std::vector<FlowResult> results(flows.size());
  std::atomic<std::size_t> done = 0, failed = 0;  // the live status line's counters
  std::optional<progress::Status> status;
  status.emplace("smoke", [&done, &failed, total = flows.size()] {
    return "flows " + std::to_string(done.load()) + "/" + std::to_string(total) + ", " +
           std::to_string(failed.load()) + " failed";
  });
  std::ignore = runner.run(plan.sites, flows, parallelism, [&](std::size_t i, Observation seen) {
    make_printable(seen);
    results[i] = evaluate(flows[i], std::move(seen), plan.sites, plan.gateway);
    log::info("matrix.flow", flow_line(results[i], plan.sites),
              flow_fields(results[i], plan.sites));
    ++done;
    if (!results[i].result) ++failed;
    status->refresh();
  });
  status.reset();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MatrixOutcome outcome{.results = std::move(results),
                        .summary = {},
                        .json = {}};
  outcome.summary = summarize(outcome.results, plan.phase, parallelism, elapsed);
  outcome.json = to_json(outcome.results, plan.sites, outcome.summary);
  log_table(outcome.results, plan.sites);
  progress::result(outcome.summary.pass(), "matrix.summary", summary_line(outcome.summary),
                   summary_fields(outcome.summary));
  return outcome;
}

Expected<ExitCode> smoke(const SmokeOptions& options, const EnvLookup& env,
                         const std::shared_ptr<ProcessRunner>& processes, std::ostream& out_stream) {
  auto run = find_run(options, env);
  if (!run) return std::unexpected(run.error());
  RunContext* context = *run ? &**run : nullptr;
  auto plan = resolve_plan(options, env, context);
  if (!plan) return std::unexpected(plan.error());

  std::unique_ptr<FlowRunner> runner;
  if (!plan->runner.empty()) {
    runner = std::make_unique<ExternalRunner>(plan->runner, processes);
  } else {
    runner = std::make_unique<SshRunner>(plan->ssh);
  }
  const MatrixOutcome outcome = run_matrix(*plan, *runner);
  const std::string line = json_io::dump(outcome.json);
  out_stream << line << '\n' << std::flush;
  if (!options.out.empty()) {
    if (auto written = write_file_atomic(options.out, line + "\n"); !written) {
      return std::unexpected(written.error());
    }
  }
  if (context != nullptr) record(*context, *plan, outcome, options.out);
  return outcome.summary.pass() ? ExitCode::ok : ExitCode::check_failed;
}

}  // namespace labctl::matrix
