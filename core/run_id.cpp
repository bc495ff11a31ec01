#include "core/run_id.hpp"

#include <cctype>

#include "core/text.hpp"

namespace labctl {
namespace {

bool allowed(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

// "what: ", or nothing when the caller (a CLI11 validator) names the flag itself.
std::string prefix(std::string_view what) {
  return what.empty() ? std::string() : std::string(what) + ": ";
}

}  // namespace

std::string sanitize_scenario(std::string_view scenario) {
  // `tr -cs 'A-Za-z0-9._-' '-'`: others become '-', and runs of '-' are squeezed to one.
  std::string out;
  for (const char c : scenario) {
    const char mapped = allowed(c) ? c : '-';
    if (mapped == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(mapped);
  }
  if (!out.empty() && out.front() == '-') out.erase(out.begin());
  if (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "adhoc" : out;
}

std::string make_run_id(SystemTime now, std::string_view scenario) {
  return format_compact_utc(now) + "-cloudedge-" + sanitize_scenario(scenario);
}

bool is_valid_run_id(std::string_view id) {
  constexpr std::string_view marker = "-cloudedge-";
  if (id.size() < 16 + marker.size() + 1 || id.size() > k_max_run_id_bytes) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = id[i];
    if (i == 8) {
      if (c != 'T') return false;
    } else if (i == 15) {
      if (c != 'Z') return false;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  if (id.substr(16, marker.size()) != marker) return false;
  for (const char c : id.substr(16 + marker.size())) {
    if (!allowed(c)) return false;
  }
  return true;
}

Expected<void> check_run_id(std::string_view run_id, std::string_view what) {
  if (is_valid_run_id(run_id)) return {};
  return fail(ExitCode::usage,
              prefix(what) + "\"" + text::printable(run_id, 80) +
                  "\" is not a run id (want YYYYMMDDTHHMMSSZ-cloudedge-<scenario> of at most " +
                  std::to_string(k_max_run_id_bytes) +
                  " characters, as printed by `labctl up`; see `labctl runs list`)");
}

Expected<void> check_scenario(std::string_view scenario, std::string_view what) {
  if (scenario.size() <= k_max_scenario_bytes) return {};
  return fail(ExitCode::usage,
              prefix(what) + std::to_string(scenario.size()) +
                  " bytes; the limit is " + std::to_string(k_max_scenario_bytes) +
                  " (the scenario becomes part of the run id, an EC2 tag value)");
}

}  // namespace labctl
