#pragma once

#include <string>

#include "providers/provider.hpp"

namespace labctl::providers::aws {

// The EC2 calls `up` makes for the aws part of a profile, as flattened EC2 Query parameters
// exactly as they will be sent. Ids learnt while applying appear as placeholders:
// "{{vpc}}", "{{subnet}}", "{{igw}}", "{{rtb}}", "{{sg}}", "{{image}}", "{{instance:<node>}}".
// Every create call carries the run's tags in TagSpecification, so nothing exists untagged.
[[nodiscard]] Expected<Plan> build_up_plan(const RunContext& ctx);

// Deterministic RunInstances ClientToken for (run, node): a retried RunInstances with the same
// token cannot create a second instance. At most 64 ASCII characters, as EC2 requires.
[[nodiscard]] std::string client_token(const std::string& run_id, const std::string& node);

// Names labctl gives the run's key pair and security group.
[[nodiscard]] std::string key_pair_name(const std::string& run_id);
[[nodiscard]] std::string security_group_name(const std::string& run_id);

}  // namespace labctl::providers::aws
