#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/state_store.hpp"
#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {

// `iam-policy --executor --run-id ID`: exactly the runbook's §3 policy — DescribeNetworkInterfaces
// limited by ec2:Region, and the three mutating ENI actions on the run's ENI ARN(s) only. The
// ENIs are the run's routers' (instance rows) plus any the journal targeted; the account
// id in the ARNs comes from describing them (read-only, through `factory`'s clients). Usage
// error for a run without ENIs.
[[nodiscard]] Expected<nlohmann::ordered_json> executor_policy(state::Store& store,
                                                               const std::string& run_id,
                                                               Ec2ClientFactory& factory);

}  // namespace labctl::providers::aws
