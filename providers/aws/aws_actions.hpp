#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/action_contract.hpp"
#include "providers/aws/ec2_client.hpp"

// The aws provider's actions (the contract in providers/action_contract.hpp) on EC2 ENIs.
namespace labctl::providers::aws {

// An ENI as DescribeNetworkInterfaces reports it.
struct EniState {
  std::string id;
  bool source_dest_check = true;
  std::string primary_ip;
  std::vector<std::string> secondary_ips;
  std::string subnet_id;
  std::string vpc_id;
  std::string owner_id;
  std::string instance_id;  // "" when detached
  std::map<std::string, std::string> tags;

  [[nodiscard]] bool holds(const std::string& address) const;
};

// Describes one ENI (read-only; allowed in dry-run).
[[nodiscard]] Expected<EniState> describe_eni(const Ec2Client& client,
                                              const std::string& eni_id);

// The EC2 clients of one action. Describes go through `reader`; the mutating call through
// `writer`, which must retry nothing but throttling: a mutation that got no clear answer (a
// reset connection, a timeout, a 5xx) may have been performed, and resending it would be a
// blind retry of an ambiguous result (runbook §8).
struct Ec2Clients {
  const Ec2Client& reader;
  const Ec2Client& writer;
};

// Performs `request` against EC2, read-only in dry-run mode. `run_id` is the run whose tags the
// ENI must carry (every action on an ENI without them is refused as a non-lab resource); empty:
// the ENI must carry some lab run's routerd.cloudedge.run_id tag (the plugin form without
// context.runId). Rules (the runbook's): the prior state is described BEFORE any mutation and
// returned in observed; after a mutation the ENI is described again and a result that does not
// show the change is an ambiguous result (hard stop, never retried); ensure-forwarding-disabled
// restores parameters.priorSourceDestCheck only (false: skipped) and refuses when the current
// value is no longer the one the action set (drift); unassign refuses an address the ENI no
// longer holds; assign refuses an address the ENI already holds (a dirty lab); a mutating call
// that failed without a clear answer is an ambiguous result too.
[[nodiscard]] Outcome perform_aws(const Ec2Clients& clients, const ActionRequest& request,
                                  const std::string& run_id);

}  // namespace labctl::providers::aws
