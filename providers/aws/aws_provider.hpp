#pragma once

#include <memory>

#include "core/env.hpp"
#include "core/process.hpp"
#include "providers/aws/ec2_client.hpp"
#include "providers/provider.hpp"

namespace labctl::providers {

// Real EC2 (Query API): the aws part of a profile, teardown and the tag-scanning janitor.
// `clients` are the command's EC2 client factories (shared by every aws provider of the
// command); `env` is read for CE_AWS_REGIONS and by the action runner's clients, which `clock`
// paces and `processes` lets run a profile's credential_process.
[[nodiscard]] std::unique_ptr<Provider> make_aws_provider(
    std::shared_ptr<aws::Ec2ClientFactories> clients, EnvLookup env,
    std::shared_ptr<Clock> clock, std::shared_ptr<ProcessRunner> processes);

}  // namespace labctl::providers
