#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/process.hpp"

namespace labctl::evidence {

// The flags of `labctl evidence collect` (the original's, plus --scenarios).
struct CollectOptions {
  std::filesystem::path out_dir;                             // --out (required)
  std::optional<std::string> run_id;                         // --run-id
  std::optional<std::string> scenario;                       // --scenario
  std::optional<std::string> commit;                         // --commit
  std::optional<std::string> result;                         // --result pass|fail
  std::optional<std::filesystem::path> matrix_json;          // --matrix-json (the last given)
  // --matrix-before-json, or the first of two --matrix-json: the smoke before the fault, shown
  // beside the matrix in the views.
  std::optional<std::filesystem::path> matrix_before_json;
  std::optional<std::filesystem::path> cloud_ingress_json;   // --cloud-ingress-matrix-json
  std::optional<std::filesystem::path> provider_state_json;  // --provider-state-json
  std::optional<std::filesystem::path> timing_json;          // --timing-json
  std::optional<std::filesystem::path> protocol_json;        // --protocol-json
  std::optional<std::filesystem::path> l2_loop_json;         // --l2-loop-json
  std::optional<std::filesystem::path> scenarios_file;       // --scenarios
  // The run's providers' own judgements ({"aws": {"providerState", "detail"}, ...}), which
  // labctl/ asks of the providers at collect time; stands in for --provider-state-json when
  // that flag is not given (an explicit file wins) and is copied as provider-state.json.
  std::optional<nlohmann::json> provider_state;
};

struct CollectOutcome {
  std::filesystem::path result_path;  // <out>/result.json
  std::string result;                 // "pass" or "fail"
};

// Collects one evidence bundle:
//   run     --run-id (must match the schema's pattern), else the latest active run in the state
//           store ($CE_STATE_DIR), else a new id from the scenario ("adhoc" by default);
//   scenario --scenario, else the run's scenario, else the run-id text after "-cloudedge-";
//   commit  --commit, else `git rev-parse HEAD` in the working directory, else "unknown";
//   inputs  the given files; with a known run, the store's latest smoke matrix (meta
//           "matrix.latest") and failover timing (meta "failover.timing") fill in for a missing
//           --matrix-json / --timing-json, and its events become timeline.json; the preflight
//           `labctl preflight` stored (meta "preflight") becomes preflight.json and the
//           summary's Preflight section (result.json is unchanged); a live run's `up` and
//           deploy events give qualificationTimings' provisioning and routerd-ready seconds.
//           A run already torn down is collected like any other: its down event and
//           costGuard.teardown show the teardown's result.
// Then assembles (assemble.hpp), validates against the compiled-in schema and writes the bundle
// (bundle.hpp). Errors: usage (bad flag, unreadable or malformed input / scenarios file),
// refused (--result pass the evidence does not support), check_failed (the assembly is invalid:
// every validation error is logged). After a refusal or an invalid assembly nothing is written
// and a result.json left by an earlier collect in --out is removed, so it cannot be mistaken for
// this run's outcome.
[[nodiscard]] Expected<CollectOutcome> collect(const CollectOptions& options,
                                               ProcessRunner& processes, const Clock& clock);

}  // namespace labctl::evidence
