#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace labctl::executor {

// `iam-policy --executor --run-id ID`: exactly the runbook's §3 policy — DescribeNetworkInterfaces
// limited by ec2:Region, and the three mutating ENI actions on the run's ENI ARN(s) only. The
// ENIs are the run's routers' (instance rows) plus any the journal targeted; the account
// id in the ARNs comes from describing them (read-only). Usage error for a run without ENIs.
[[nodiscard]] Expected<nlohmann::ordered_json> executor_policy(const std::string& run_id);

}  // namespace labctl::executor
