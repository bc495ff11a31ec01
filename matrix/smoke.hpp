#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/process.hpp"
#include "matrix/flow.hpp"
#include "matrix/report.hpp"
#include "matrix/ssh_runner.hpp"

namespace labctl::matrix {

// `labctl smoke` flags; nullopt/empty = not given.
struct SmokeOptions {
  std::string matrix;  // "d3" or a profile matrix name; empty = all sites of the source
  std::string out;     // --out file, written atomically
  std::optional<std::string> sites;
  std::optional<std::string> parallel;  // validated here: "bad --parallel: X (want positive integer)"
  std::optional<std::string> phase;
  std::optional<std::string> expect_default_gw;
  std::string run_id;
};

// Everything a matrix run needs, resolved from flags, env, the run's state and defaults
// (flag > env > state > default).
struct MatrixPlan {
  std::vector<Site> sites;
  std::optional<int> parallelism;  // nullopt: all flows at once
  std::string phase = "matrix";
  GatewayExpectation gateway;
  std::string runner;  // MATRIX_RUNNER; empty: the libssh engine
  SshRunnerOptions ssh;
  std::string run_id;  // the run the result is recorded in; empty: none
  bool record_baseline = false;  // no baseline was stored yet: store the one observed now
};

// The outcome of one matrix run.
struct MatrixOutcome {
  std::vector<FlowResult> results;
  Summary summary;
  nlohmann::ordered_json json;
};

// Runs every flow of `plan` with `runner`, logging a line per flow, the truth table and the
// summary line to stderr. Nothing goes to stdout.
[[nodiscard]] MatrixOutcome run_matrix(const MatrixPlan& plan, FlowRunner& runner);

// The whole `labctl smoke`: resolve the plan, run it, print the JSON (one line) to `out_stream`,
// write --out, record the run's baseline/event/latest matrix. Returns ok when every flow passed,
// check_failed otherwise; usage errors (ExitCode::usage) before anything runs.
[[nodiscard]] Expected<ExitCode> smoke(const SmokeOptions& options, const EnvLookup& env,
                                       const std::shared_ptr<ProcessRunner>& processes,
                                       std::ostream& out_stream);

}  // namespace labctl::matrix
