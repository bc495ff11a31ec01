#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/model.hpp"
#include "core/error.hpp"

namespace labctl::evidence {

// Acceptance scenarios in the original's scenarios-file format ({"scenarios":[{id,
// expectedAssertions, matrix:{expectedDirectedFlows}}, ...]}); other keys are ignored here.
struct ScenarioSet {
  std::string origin;  // the file, or "built-in scenarios"
  std::vector<Scenario> scenarios;
};

// Parses a scenarios document. Errors (exit usage) name `origin` and the offending entry.
[[nodiscard]] Expected<ScenarioSet> parse_scenarios(std::string_view text,
                                                    const std::string& origin);

// The scenarios to judge against: `file` (--scenarios), else $CE_ACCEPTANCE_SCENARIOS, else the
// copy of evidence/scenarios.json compiled into labctl (the original's nine and
// scripts/demo.sh's local-demo).
[[nodiscard]] Expected<ScenarioSet> load_scenarios(
    const std::optional<std::filesystem::path>& file);

[[nodiscard]] std::optional<Scenario> find_scenario(const ScenarioSet& set, std::string_view id);

}  // namespace labctl::evidence
