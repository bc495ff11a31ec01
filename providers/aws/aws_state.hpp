#pragma once

#include <nlohmann/json.hpp>

#include "providers/aws/ec2_client.hpp"
#include "providers/provider.hpp"

namespace labctl::providers::aws {

// Provider::provider_state for aws: the run judged from EC2's own view at this moment, through
// describes only (never the tag index):
// - every resource row of the run that is not deleted is described by id and must exist and
//   carry the five routerd.cloudedge.* tags with this run's run_id; so must the ENI and root
//   volume RunInstances made for each instance (described by ENI id and by
//   attachment.instance-id);
// - every instance is `running`, unless a stop-active the run's events record (and no later
//   restore) stopped it, then `stopped`;
// - every service address (aws_holder.hpp) is held by the ENI the journal says, or, when the
//   journal's holder was stopped by a recorded stop-active, by another of the run's tagged
//   routers at the same site (the failover took it over).
// Returns {"providerState": "pass"|"fail", "detail": {checked, instances, attached,
// serviceAddresses, stoppedByFault, problems}}; an error only when EC2 could not be asked.
[[nodiscard]] Expected<nlohmann::json> judge_run_state(const RunContext& ctx,
                                                       Ec2ClientFactory& factory);

}  // namespace labctl::providers::aws
