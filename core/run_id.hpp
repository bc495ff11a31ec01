#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/time.hpp"

namespace labctl {

// A run id is an EC2 tag value (at most 256 characters); ids labctl makes stay far below.
inline constexpr std::size_t k_max_run_id_bytes = 256;
// A scenario becomes part of the run id, a state row and the evidence bundle (README, "Limits").
inline constexpr std::size_t k_max_scenario_bytes = 128;

// Sanitises a scenario as the original did: every run of characters outside [A-Za-z0-9._-]
// becomes one '-', then one leading and one trailing '-' are trimmed. An empty result is
// "adhoc" (the schema needs at least one character after "-cloudedge-").
[[nodiscard]] std::string sanitize_scenario(std::string_view scenario);

// "YYYYMMDDTHHMMSSZ-cloudedge-<sanitised scenario>". Uniqueness within a state directory is
// the store's job (Store::insert_run appends -2, -3, ... on a collision).
[[nodiscard]] std::string make_run_id(SystemTime now, std::string_view scenario);

// True if `run_id` matches the evidence schema's ^[0-9]{8}T[0-9]{6}Z-cloudedge-[A-Za-z0-9._-]+$
// and has at most k_max_run_id_bytes bytes.
[[nodiscard]] bool is_valid_run_id(std::string_view run_id);

// The one check of a run id given from outside (every --run-id, `runs show ID`): an error
// (ExitCode::usage) that names `what` (when not empty) and shows the value escaped, or nothing.
[[nodiscard]] Expected<void> check_run_id(std::string_view run_id, std::string_view what);

// A scenario given to `up` (--scenario): at most k_max_scenario_bytes bytes. Its content needs
// no check: only sanitize_scenario()'s result reaches the run id, tags and state. The error
// (ExitCode::usage) names `what` (when not empty).
[[nodiscard]] Expected<void> check_scenario(std::string_view scenario, std::string_view what);

}  // namespace labctl
