#pragma once

#include <span>
#include <string>
#include <string_view>

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
// One describe filter preflight sends: the action and the filter name.
struct DescribeFilterUse {
  std::string_view action;
  std::string_view name;
};

// Every filter preflight sends. Only names EC2 documents for the action, and widely implemented
// ones (tests/unit/providers/aws/test_filter_names.cpp holds them to botocore's model).
[[nodiscard]] std::span<const DescribeFilterUse> preflight_filters();

[[nodiscard]] Expected<nlohmann::ordered_json> preflight(const std::string& run_id,
                                                         const Target& target,
                                                         Ec2ClientFactory& factory);

}  // namespace labctl::providers::aws
