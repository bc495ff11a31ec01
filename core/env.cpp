#include "core/env.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>

#include "core/tags.hpp"
#include "core/text.hpp"

namespace labctl::env {

EnvLookup process() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<std::string> get(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string get_or(const char* name, const std::string& fallback) {
  const auto value = get(name);
  return value && !value->empty() ? *value : fallback;
}

Expected<long long> whole_number(const char* name, long long fallback, long long min,
                                 long long max) {
  return whole_number(process(), name, fallback, min, max);
}

Expected<long long> whole_number(const EnvLookup& env, const std::string& name, long long fallback,
                                 long long min, long long max, std::string_view unit) {
  const auto value = env(name);
  if (!value || value->empty()) return fallback;
  long long number = 0;
  const char* end = value->data() + value->size();
  const auto [stop, error] = std::from_chars(value->data(), end, number);
  if (error != std::errc() || stop != end || number < min || number > max) {
    return fail(ExitCode::usage, name + "=\"" + text::printable(*value, 40) +
                                     "\" is not a whole number " +
                                     (unit.empty() ? "" : "of " + std::string(unit) + " ") +
                                     "from " + std::to_string(min) +
                                     " to " + std::to_string(max) +
                                     " (unset it for the default of " + std::to_string(fallback) +
                                     ")");
  }
  return number;
}

bool dry_run() { return get("CE_DRY_RUN").value_or("1") != "0"; }

std::filesystem::path state_dir() {
  if (const auto dir = get("CE_STATE_DIR"); dir && !dir->empty()) return *dir;
  if (const auto xdg = get("XDG_STATE_HOME"); xdg && !xdg->empty()) {
    return std::filesystem::path(*xdg) / "labctl";
  }
  return std::filesystem::path(get_or("HOME", "/root")) / ".local" / "state" / "labctl";
}

std::string owner() { return get_or("CE_OWNER", get_or("USER", "cloudedge-agent")); }

std::string started_by() {
  std::array<char, 256> host{};
  const std::string name = ::gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "";
  return text::printable(get_or("USER", "unknown") + "@" + (name.empty() ? "unknown" : name), 200);
}

std::string purpose() { return get_or("CE_PURPOSE", "cloudedge-sam-failover-lab"); }

Expected<void> check_tag_variables() {
  const char* owner_source = get_or("CE_OWNER", "").empty() ? "USER" : "CE_OWNER";
  if (auto checked = check_tag_value(owner(), owner_source); !checked) return checked;
  return check_tag_value(purpose(), "CE_PURPOSE");
}

}  // namespace labctl::env
