#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/action_contract.hpp"
#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {

// The runbook's §4 read-only preflight (describes only; allowed in dry-run): the ENI
// (target.nic_ref) with its secondary IPs and SourceDestCheck, the instance it is attached to,
// its subnet and the subnet's route tables; checks the ENI is run `run_id`'s, target.address
// lies in the subnet and is not already assigned. Returns the preflight document without its
// collectedAt (executor/preflight.cpp stamps, writes and stores it). Describes through
// `factory`'s (dry) clients.
[[nodiscard]] Expected<nlohmann::ordered_json> preflight(const std::string& run_id,
                                                         const Target& target,
                                                         Ec2ClientFactory& factory);

}  // namespace labctl::providers::aws
