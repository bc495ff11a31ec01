#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace labctl {

// The environment seam: reads one variable, nullopt when unset (an empty value is a value).
// Code below labctl/ takes one of these from its caller instead of calling getenv, so a test
// decides the environment it sees.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

}  // namespace labctl

namespace labctl::env {

// The process environment (getenv), the EnvLookup labctl/ passes down.
[[nodiscard]] EnvLookup process();

// The value of an environment variable; nullopt when unset (an empty value is a value).
[[nodiscard]] std::optional<std::string> get(const char* name);
// The value, or `fallback` when unset or empty.
[[nodiscard]] std::string get_or(const char* name, const std::string& fallback);

// `name` as a whole number in [min, max]; `fallback` when unset or empty. Anything else is a
// usage error naming the variable — never silently replaced by the default.
[[nodiscard]] Expected<long long> whole_number(const char* name, long long fallback,
                                               long long min, long long max);
// The same check over `env` (the seam passed down) instead of the process environment; a
// non-empty `unit` ("seconds") is named in the error: "... is not a whole number of seconds ...".
[[nodiscard]] Expected<long long> whole_number(const EnvLookup& env, const std::string& name,
                                               long long fallback, long long min, long long max,
                                               std::string_view unit = {});

// CE_DRY_RUN: unset or anything but exactly "0" means dry (no mutating call leaves the process).
[[nodiscard]] bool dry_run();

// CE_STATE_DIR, else ${XDG_STATE_HOME:-$HOME/.local/state}/labctl. Not /tmp: a reboot would
// wipe it and orphan the cost guard.
[[nodiscard]] std::filesystem::path state_dir();

// CE_OWNER, else $USER, else "cloudedge-agent".
[[nodiscard]] std::string owner();
// "$USER@<host name>" (USER else "unknown"), printable and bounded: who started a run, recorded
// by `up` for `runs list` (CE_OWNER, the owner tag, may name a team rather than a person).
[[nodiscard]] std::string started_by();
// CE_PURPOSE, else "cloudedge-sam-failover-lab".
[[nodiscard]] std::string purpose();

// Checks the values owner() and purpose() return, which become tag values on every resource:
// the error (ExitCode::usage) names the variable they came from (CE_OWNER, USER, CE_PURPOSE).
// Call before anything is recorded or created.
[[nodiscard]] Expected<void> check_tag_variables();

}  // namespace labctl::env
