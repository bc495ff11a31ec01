#include "evidence/scenarios.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "evidence/embedded_scenarios.hpp"
#include "core/strcat.hpp"
#include "core/atomic_file.hpp"
#include "core/env.hpp"
#include "core/json_io.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

Expected<Scenario> parse_one(const json& entry, std::size_t index, const std::string& origin) {
  const auto bad = [&](std::string_view what) {
    return fail(ExitCode::usage, cat(origin, ": scenarios[", index, "]: ", what,
                                     " (fix the scenarios file or pass another with --scenarios)"));
  };
  if (!entry.is_object()) return bad("must be an object");
  const auto id = entry.find("id");
  if (id == entry.end() || !id->is_string() || id->get<std::string>().empty()) {
    return bad("\"id\" must be a non-empty string");
  }
  Scenario scenario{.id = id->get<std::string>(), .expected_assertions = {}, .expected_flows = {}};
  if (const auto expected = entry.find("expectedAssertions"); expected != entry.end()) {
    if (!expected->is_array()) return bad("\"expectedAssertions\" must be an array of names");
    for (const json& name : *expected) {
      if (!name.is_string()) return bad("\"expectedAssertions\" must be an array of names");
      scenario.expected_assertions.push_back(name.get<std::string>());
    }
  }
  if (const auto matrix = entry.find("matrix"); matrix != entry.end() && matrix->is_object()) {
    if (const auto flows = matrix->find("expectedDirectedFlows"); flows != matrix->end()) {
      if (!flows->is_number_integer() || flows->get<long long>() < 0) {
        return bad("\"matrix.expectedDirectedFlows\" must be a non-negative integer");
      }
      scenario.expected_flows = flows->get<long long>();
    }
  }
  return scenario;
}

}  // namespace

Expected<ScenarioSet> parse_scenarios(std::string_view text, const std::string& origin) {
  auto parsed = json_io::parse(text, origin);
  if (!parsed) {
    return fail(ExitCode::usage, cat(parsed.error().message,
                                     " (fix the scenarios file or pass another with --scenarios)"));
  }
  const json document = std::move(*parsed);
  const auto list = document.is_object() ? document.find("scenarios") : document.end();
  if (!document.is_object() || list == document.end() || !list->is_array()) {
    return fail(ExitCode::usage, cat(origin, ": expected an object with a \"scenarios\" array"));
  }
  ScenarioSet set{.origin = origin, .scenarios = {}};
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto scenario = parse_one((*list)[i], i, origin);
    if (!scenario) return std::unexpected(scenario.error());
    set.scenarios.push_back(std::move(*scenario));
  }
  return set;
}

Expected<ScenarioSet> load_scenarios(const std::optional<std::filesystem::path>& file) {
  std::filesystem::path path;
  if (file) {
    path = *file;
  } else if (const std::string from_env = env::get_or("CE_ACCEPTANCE_SCENARIOS", "");
             !from_env.empty()) {
    path = from_env;
  } else {
    return parse_scenarios(embedded::k_default_scenarios, "built-in scenarios");
  }
  auto text = read_file(path);
  if (!text) return fail(ExitCode::usage, text.error().message);
  return parse_scenarios(*text, path.string());
}

std::optional<Scenario> find_scenario(const ScenarioSet& set, std::string_view id) {
  const auto it = std::ranges::find(set.scenarios, id, &Scenario::id);
  if (it == set.scenarios.end()) return std::nullopt;
  return *it;
}

}  // namespace labctl::evidence
