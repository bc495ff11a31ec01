#include "evidence/journal.hpp"

namespace labctl::evidence {

FencingAssertions fencing_assertions(state::Store* /*store*/, const std::string& /*run_id*/) {
  constexpr const char* k_no_records = "no journal records";
  return {
      .ownership_epoch_bumped = {"ownership_epoch_bumped", k_na, k_no_records},
      .allow_reassignment_maintained_until_success = {"allow_reassignment_maintained_until_success",
                                                      k_na, k_no_records},
      .old_holder_residue_absent = {"old_holder_residue_absent", k_na, k_no_records},
      .stale_action_fenced = {"stale_action_fenced", k_na, k_no_records},
  };
}

}  // namespace labctl::evidence
