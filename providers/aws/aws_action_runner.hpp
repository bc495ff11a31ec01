#pragma once

#include <memory>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/process.hpp"
#include "providers/action_contract.hpp"

namespace labctl::providers::aws {

// The ActionRunner of provider aws: EC2 clients from `env`'s credential chain (`live` false:
// the clients refuse every mutating call, whatever the request's mode), or, for a scoped
// identity, from that shared-credentials profile alone (AWS_PROFILE=<it>, the environment's
// access keys hidden); `clock` paces their retries; `processes` runs a profile's
// credential_process.
[[nodiscard]] ActionRunner make_aws_runner(EnvLookup env, std::shared_ptr<Clock> clock,
                                           std::shared_ptr<ProcessRunner> processes, bool live);

}  // namespace labctl::providers::aws
