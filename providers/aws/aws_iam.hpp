#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/profile.hpp"
#include "providers/provider.hpp"

namespace labctl::providers::aws {

// The least-privilege IAM policy for the aws operations of `profile`, derived from the up plan
// (built for a placeholder run), the teardown/discovery resource table and the fault code, so
// the action list cannot drift from what labctl sends:
//  - Describe* on "*";
//  - the plan's create calls (those carrying TagSpecification) only with the run-id request
//    tag and tag keys labctl sets, plus the existing resources they use (image, subnet, ...);
//  - ec2:CreateTags only as part of those create calls (ec2:CreateAction);
//  - every other mutating call only on resources tagged routerd.cloudedge.run_id.
// Every statement is limited by ec2:Region to the profile's region and allowlist.
[[nodiscard]] Expected<nlohmann::ordered_json> iam_policy(const profile::Profile& profile,
                                                          state::Store& store);

// Loads `profile` (name or path) and returns iam_policy() for it (opens the state store only
// because a plan context needs one; nothing is written to it).
[[nodiscard]] Expected<nlohmann::ordered_json> iam_policy_for_profile(const std::string& profile);

}  // namespace labctl::providers::aws
