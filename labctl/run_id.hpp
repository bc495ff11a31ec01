#pragma once

#include <string>
#include <string_view>

#include "labctl/time.hpp"

namespace labctl {

// Sanitises a scenario as the original did: every run of characters outside [A-Za-z0-9._-]
// becomes one '-', then one leading and one trailing '-' are trimmed. An empty result is
// "adhoc" (the schema needs at least one character after "-cloudedge-").
[[nodiscard]] std::string sanitize_scenario(std::string_view scenario);

// "YYYYMMDDTHHMMSSZ-cloudedge-<sanitised scenario>". Uniqueness within a state directory is
// the store's job (Store::insert_run appends -2, -3, ... on a collision).
[[nodiscard]] std::string make_run_id(SystemTime now, std::string_view scenario);

// True if `run_id` matches the evidence schema's ^[0-9]{8}T[0-9]{6}Z-cloudedge-[A-Za-z0-9._-]+$
[[nodiscard]] bool is_valid_run_id(std::string_view run_id);

}  // namespace labctl
