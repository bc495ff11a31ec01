#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace labctl::cli {

// The validator of every run id given on the command line (--run-id, `runs show ID`): the one
// rule of labctl/run_id (check_run_id), enforced while the flags are parsed, so a malformed or
// empty id is exit 2 before any command starts.
[[nodiscard]] CLI::Validator run_id_check();

// A flag whose value labctl stores as a tag value or in a state row (--by, --commit):
// check_tag_value, enforced while the flags are parsed.
[[nodiscard]] CLI::Validator stored_text_check();

}  // namespace labctl::cli
