#pragma once

#include <string>

#include "evidence/model.hpp"

namespace labctl::state {
class Store;
}

namespace labctl::evidence {

// The four SAM-fencing assertions, which rest on the run's provider-action journal.
struct FencingAssertions {
  Assertion ownership_epoch_bumped;
  Assertion allow_reassignment_maintained_until_success;
  Assertion old_holder_residue_absent;
  Assertion stale_action_fenced;
};

// Reads the run's journal records (action_executions) and judges the fencing assertions, each
// with a detail naming the records it rests on. `store` may be null (no state directory).
//
// Hook for the provider-action executor issue: the journal table does not exist yet, so today
// every assertion is "na" with detail "no journal records". An "na" fencing assertion still
// fails any scenario that expects it (see assemble.hpp, honest pass).
[[nodiscard]] FencingAssertions fencing_assertions(state::Store* store, const std::string& run_id);

}  // namespace labctl::evidence
