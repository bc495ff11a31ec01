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

// Reads the run's journal records (action_executions, labctl/action_journal.hpp) and judges the
// fencing assertions, each with a detail naming the records (idempotency keys, epochs) it rests
// on. A row "took effect" when it is succeeded or rolledBack (a rollback follows only a success,
// so a bundle collected after `down` judges like one collected before).
//   ownership_epoch_bumped: captures (assign-secondary-ip with an epoch, not a stale replay) that
//     took effect, per address in journal order; pass when some address has two or more and
//     each one's epoch is above the previous one's; fail when any address has a later capture
//     whose epoch is not higher; na otherwise.
//   allow_reassignment_maintained_until_success: the assigns of one (address, epoch) that holds
//     a seize (allowReassignment true and a previousHolder), in journal order; a group passes
//     when every row up to the first that took effect carries allowReassignment, fails when one
//     before it does not or none took effect; groups with only pending/approved rows are not
//     judged yet; na when nothing was judged.
//   old_holder_residue_absent: every seize that took effect must have recorded
//     observed.previousHolderHasAddress == false; true or missing fails; na without one.
//   stale_action_fenced: every stale-replay row must be skipped with a "stale action fenced:
//     epoch E < current C" message; any other outcome fails; na without replay rows.
// `store` may be null (no state directory): every assertion is then na "no journal records", as
// for a run without rows; a journal that cannot be read gives na "journal unreadable: ...". An
// "na" fencing assertion still fails any scenario that expects it (assemble.hpp, honest pass).
[[nodiscard]] FencingAssertions fencing_assertions(state::Store* store, const std::string& run_id);

}  // namespace labctl::evidence
