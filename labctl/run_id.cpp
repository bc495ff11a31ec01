#include "labctl/run_id.hpp"

#include <cctype>

namespace labctl {
namespace {

bool allowed(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
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
  if (id.size() < 16 + marker.size() + 1) return false;
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

}  // namespace labctl
