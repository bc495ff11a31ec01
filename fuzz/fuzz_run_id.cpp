// Run ids and scenario names (core/run_id.hpp: --scenario, CE_SCENARIO, --run-id, ids read back
// from cloud tags). Properties: a sanitised scenario is non-empty, made only of [A-Za-z0-9._-]
// with no leading, trailing or doubled '-', and sanitising it again changes nothing; for every
// scenario check_scenario accepts, make_run_id builds an id is_valid_run_id accepts; an accepted id
// is printable as is, and check_run_id's refusal of any other shows it escaped.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "core/run_id.hpp"
#include "core/text.hpp"

namespace {

bool allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using labctl::fuzz::check;
  const auto input = labctl::fuzz::as_text(data, size);

  if (labctl::is_valid_run_id(input)) {
    check(labctl::text::printable(input, input.size()) == input,
          "an accepted run id needs no escaping");
    check(labctl::check_run_id(input, "--run-id").has_value(), "check_run_id agrees");
  } else {
    const auto refused = labctl::check_run_id(input, "--run-id");
    check(!refused && refused.error().code == labctl::ExitCode::usage, "a bad id is a usage error");
    check(labctl::text::printable(refused.error().message, std::string::npos) ==
              refused.error().message,
          "the refusal is printable as is");
  }

  const std::string scenario = labctl::sanitize_scenario(input);
  check(!scenario.empty(), "a sanitised scenario is never empty");
  check(scenario.front() != '-' && scenario.back() != '-', "no leading or trailing '-'");
  check(scenario.find("--") == std::string::npos, "no doubled '-'");
  for (const char c : scenario) check(allowed(c), "only [A-Za-z0-9._-]");
  check(labctl::sanitize_scenario(scenario) == scenario, "sanitize_scenario is idempotent");

  // A creation time from the first bytes, 1970..2106 (the run-id format has a 4-digit year).
  std::uint32_t seconds = 1'790'000'000;
  if (size >= sizeof seconds) std::memcpy(&seconds, data, sizeof seconds);
  const labctl::SystemTime now{std::chrono::seconds(seconds)};
  if (labctl::check_scenario(input, "--scenario")) {
    check(labctl::is_valid_run_id(labctl::make_run_id(now, input)),
          "make_run_id builds a valid run id from an accepted scenario");
  }
  return 0;
}
