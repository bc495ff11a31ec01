#pragma once

#include "providers/provider.hpp"

namespace labctl::providers {

// Prints a plan on stderr, one line per operation (human), or one "plan.operation" event per
// operation (--log-format json). `dry` prefixes lines with "[dry] would" as the original did.
void print_plan(const Plan& plan, bool dry);

}  // namespace labctl::providers
