// Scenarios files (evidence/scenarios.hpp: --scenarios, CE_ACCEPTANCE_SCENARIOS). The input is
// "<scenario id>\0<scenarios document>". Properties: parsing never throws; every scenario parsed
// is found again by its id; find_scenario of an arbitrary id returns that id or nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "evidence/scenarios.hpp"
#include "fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using labctl::fuzz::check;
  namespace evidence = labctl::evidence;
  const auto fields = labctl::fuzz::split_fields<2>(labctl::fuzz::as_text(data, size));
  const std::string wanted(fields.parts[0]);

  const auto set = evidence::parse_scenarios(fields.parts[1], "fuzz.json");
  if (!set) {
    check(!set.error().message.empty(), "a refused scenarios file says why");
    return 0;
  }
  for (const auto& scenario : set->scenarios) {
    const auto found = evidence::find_scenario(*set, scenario.id);
    check(found.has_value() && found->id == scenario.id, "every parsed scenario is found by id");
  }
  if (const auto found = evidence::find_scenario(*set, wanted)) {
    check(found->id == wanted, "find_scenario returns the id asked for");
  }
  return 0;
}
