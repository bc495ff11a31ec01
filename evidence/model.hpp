#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace labctl::evidence {

// The four check states of the evidence schema.
inline constexpr const char* k_pass = "pass";
inline constexpr const char* k_fail = "fail";
inline constexpr const char* k_skip = "skip";
inline constexpr const char* k_na = "na";

// The CloudEdge providers, in the order the bundle reports them.
inline const std::vector<std::string> k_providers{"aws", "oci", "azure", "onprem"};

struct Assertion {
  std::string name;
  std::string result;  // one of the check states
  std::string detail;  // the facts the result rests on; never empty in our output
};

// One input file as given (or taken from the state store), parsed and as raw text. The raw text
// is what the bundle copies, so its digest matches the file the caller produced.
struct InputDocument {
  nlohmann::json value;  // always a JSON object
  std::string text;
  std::string origin;  // the path, or "state:<meta key>" when it came from the store
};

struct Inputs {
  std::optional<InputDocument> matrix;          // --matrix-json / run meta matrix.latest
  // The matrix of the smoke before the fault (--matrix-before-json, or the first of two
  // --matrix-json): shown beside `matrix` in the views; the assertions judge `matrix` alone.
  std::optional<InputDocument> matrix_before;
  std::optional<InputDocument> cloud_ingress;   // --cloud-ingress-matrix-json
  std::optional<InputDocument> provider_state;  // --provider-state-json
  std::optional<InputDocument> timing;          // --timing-json / run meta failover.timing
  std::optional<InputDocument> protocol;        // --protocol-json
  std::optional<InputDocument> l2_loop;         // --l2-loop-json
};

// What the state store knows about the run; absent when collecting for an unknown run-id.
struct RunFacts {
  std::vector<std::string> providers;  // the providers the run brought up
  long long ttl_seconds = 0;
  std::string status;  // state::k_run_* value
  bool dry_run = true;
  // Resources that are not confirmed deleted ("kind name (state)"): a run that says "down"
  // while any remain has not completed its teardown.
  std::vector<std::string> remaining_resources;
  // From the run's events (lifecycle.hpp): the live `up`'s provisioning time and the last
  // passing deploy's time until routerd was restarted on every node.
  std::optional<double> infra_provision_seconds;
  std::optional<double> deploy_ready_seconds;
};

// An acceptance scenario as far as evidence needs it.
struct Scenario {
  std::string id;
  std::vector<std::string> expected_assertions;
  std::optional<long long> expected_flows;  // matrix.expectedDirectedFlows
};

}  // namespace labctl::evidence
