#pragma once

#include "executor/gate.hpp"

namespace labctl::executor {

// The ActionRunner for provider aws: EC2 clients from the environment's credential chain
// (`live` false: the clients refuse every mutating call, whatever the request's mode), or,
// for a scoped identity, from that shared-credentials profile alone (AWS_PROFILE=<it>, the
// environment's access keys hidden). Any other provider is refused.
[[nodiscard]] ActionRunner make_aws_runner(bool live);

}  // namespace labctl::executor
