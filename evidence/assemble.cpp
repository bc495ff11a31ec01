#include "evidence/assemble.hpp"

#include <algorithm>

#include "evidence/derive.hpp"
#include "core/strcat.hpp"
#include "core/suggest.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

// The original's d3 matrix size, used when no scenario says otherwise.
constexpr long long k_default_expected_flows = 12;

// Appends the reasons the result rule (steps 1-2) gives for fail; none means pass.
std::vector<std::string> rule_failures(const MatrixAssertions& matrix,
                                       const std::vector<Assertion>& judged) {
  std::vector<std::string> reasons;
  if (matrix.overall == k_fail) reasons.emplace_back("connectivity matrix summary.result is fail");
  for (const Assertion& assertion : judged) {
    if (assertion.result == k_fail) reasons.push_back(cat(assertion.name, " is fail"));
  }
  if (!reasons.empty()) return reasons;
  if (matrix.overall != k_pass) {
    reasons.push_back(cat("connectivity matrix summary.result is ", matrix.overall, ", not pass"));
  }
  if (matrix.directed.result != k_pass) {
    reasons.push_back(cat("directed_ping_ssh_matrix is ", matrix.directed.result, ", not pass"));
  }
  return reasons;
}

std::vector<std::string> unmet_expectations(const Scenario& scenario,
                                            const std::vector<Assertion>& assertions) {
  std::vector<std::string> reasons;
  for (const std::string& expected : scenario.expected_assertions) {
    const auto it = std::ranges::find(assertions, expected, &Assertion::name);
    if (it == assertions.end()) {
      reasons.push_back(
          cat("scenario ", scenario.id, " expects ", expected, ", which labctl does not produce"));
    } else if (it->result != k_pass) {
      reasons.push_back(cat("scenario ", scenario.id, " expects ", expected, " to pass; it is ",
                            it->result, " (", it->detail, ")"));
    }
  }
  return reasons;
}

}  // namespace

json to_json(const Assertion& assertion) {
  return {{"name", assertion.name}, {"result", assertion.result}, {"detail", assertion.detail}};
}

Expected<Assembly> assemble(const AssemblyRequest& request) {
  const long long expected_flows = request.scenario_spec && request.scenario_spec->expected_flows
                                       ? *request.scenario_spec->expected_flows
                                       : k_default_expected_flows;
  const MatrixAssertions matrix = derive_matrix(request.inputs.matrix, expected_flows);
  const Assertion recovery = derive_failover_recovery(request.inputs.timing);
  const std::vector<Assertion> protocol = derive_protocol(request.inputs.protocol);
  const std::vector<Assertion> l2 = derive_l2(request.inputs.l2_loop);
  const FencingAssertions& fencing = request.fencing;

  Assembly out;
  out.assertions = {matrix.directed,
                    fencing.ownership_epoch_bumped,
                    fencing.allow_reassignment_maintained_until_success,
                    matrix.source_ip,
                    matrix.default_gateway,
                    matrix.no_nat,
                    recovery};
  out.assertions.insert(out.assertions.end(), protocol.begin(), protocol.end());
  out.assertions.insert(out.assertions.end(), l2.begin(), l2.end());
  out.assertions.push_back(fencing.old_holder_residue_absent);
  out.assertions.push_back(fencing.stale_action_fenced);

  std::vector<Assertion> judged = {matrix.directed, matrix.source_ip, matrix.default_gateway,
                                   matrix.no_nat, recovery};
  judged.insert(judged.end(), protocol.begin(), protocol.end());
  judged.insert(judged.end(), l2.begin(), l2.end());
  std::vector<std::string> reasons = rule_failures(matrix, judged);
  if (reasons.empty() && request.scenario_spec) {
    reasons = unmet_expectations(*request.scenario_spec, out.assertions);
  }

  if (request.requested_result == k_pass && !reasons.empty()) {
    return fail(
        ExitCode::refused,
        cat("evidence collect: --result pass refused: the evidence does not support a pass: ",
            join(reasons, "; "),
            ". Drop --result to record this run as fail, or fix the failing checks and collect "
            "again."));
  }
  if (request.requested_result == k_fail) reasons.emplace_back("--result fail was given");
  out.fail_reasons = reasons;

  json assertions = json::array();
  for (const Assertion& assertion : out.assertions) assertions.push_back(to_json(assertion));
  out.document = {
      {"runId", request.run_id},
      {"commit", request.commit},
      {"scenario", request.scenario},
      {"result", reasons.empty() ? k_pass : k_fail},
      {"providers", derive_providers(request.inputs, request.run)},
      {"assertions", std::move(assertions)},
      {"costGuard", derive_cost_guard(request.run)},
      {"timings", embedded_timings(request.inputs.timing)},
      {"qualificationTimings", derive_qualification_timings(request.inputs, request.run)},
      {"protocols", embedded_protocols(request.inputs.protocol)},
      {"l2Loop", embedded_l2_loop(request.inputs.l2_loop)},
  };
  return out;
}

}  // namespace labctl::evidence
