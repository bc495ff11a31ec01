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
                                                          state::Store& store, Clock& clock);

// iam_policy() for `profile`, or a usage error when the profile has no aws provider (then it
// needs no IAM policy).
[[nodiscard]] Expected<nlohmann::ordered_json> iam_policy_for_profile(
    const profile::Profile& profile, state::Store& store, Clock& clock);

}  // namespace labctl::providers::aws
