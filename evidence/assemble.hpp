#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evidence/journal.hpp"
#include "evidence/model.hpp"
#include "core/error.hpp"

namespace labctl::evidence {

struct AssemblyRequest {
  std::string run_id;
  std::string scenario;
  std::string commit;
  Inputs inputs;
  std::optional<RunFacts> run;                  // the run as the state store knows it
  FencingAssertions fencing;                    // from the action journal (journal.hpp)
  std::optional<Scenario> scenario_spec;        // the scenario's entry in the scenarios file
  std::optional<std::string> requested_result;  // --result pass|fail
};

struct Assembly {
  nlohmann::json document;                // the result.json content (not yet validated)
  std::vector<Assertion> assertions;      // the 21 assertions, in document order
  std::vector<std::string> fail_reasons;  // why result is fail; empty when it is pass
};

// Builds result.json from the inputs (derive.hpp) and decides `result`:
//   1. fail if any of these is fail: the matrix summary, directed_ping_ssh_matrix,
//      source_ip_preserved, default_gateway_unchanged, no_nat, failover_recovery_under_60s,
//      the six protocol and the six L2 assertions;
//   2. else pass if the matrix summary and directed_ping_ssh_matrix both pass; else fail;
//   3. honest pass (not in the original): a pass becomes fail unless every assertion the
//      scenario expects passes. An "na" is not a pass: a d5 run whose journal has no records
//      fails.
// `--result fail` always wins (recording a failure is always safe). `--result pass` is no
// longer taken verbatim: it is accepted only when the rules above give pass; otherwise the
// assembly is refused (ExitCode::refused) with every reason, and nothing may be written.
[[nodiscard]] Expected<Assembly> assemble(const AssemblyRequest& request);

// The schema's JSON form of an assertion: {name, result, detail}.
[[nodiscard]] nlohmann::json to_json(const Assertion& assertion);

}  // namespace labctl::evidence
