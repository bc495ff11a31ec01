#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/deadline.hpp"

namespace labctl::providers::aws {

// Every bound on AWS work, read once per process from the environment (README, "Limits").
// Each variable is whole seconds; a value that is not a whole number in range is a usage error
// (exit 2) that names the variable, never silently replaced by the default.
struct AwsLimits {
  // One HTTP request, from connect to the last body byte (CE_AWS_REQUEST_TIMEOUT).
  std::chrono::seconds request_timeout{30};
  // No byte received for this long cuts a request, e.g. an answer stalled after its headers
  // (CE_AWS_STALL_TIMEOUT). Such a cut is a timeout, retried per the retry policy.
  std::chrono::seconds stall_timeout{15};
  // How long `up` waits for its instances to be running (CE_AWS_WAIT_TIMEOUT).
  std::chrono::seconds wait_timeout{600};
  // All AWS work of one phase of a command: a bring-up, a teardown, a discovery or a failover
  // (CE_AWS_COMMAND_TIMEOUT). A teardown after a failed bring-up gets a phase of its own.
  std::chrono::seconds command_timeout{1800};
  // All AWS work of one `down --expired`, whatever its phases (CE_JANITOR_TIMEOUT).
  std::chrono::seconds janitor_timeout{3600};
  // DeleteX answered DependencyViolation is retried this many times (CE_AWS_DEPENDENCY_RETRIES).
  int dependency_retries = 8;
};

[[nodiscard]] Expected<AwsLimits> aws_limits_from_env(const EnvLookup& env);

// When a paginated listing gives up: more pages than this is an endpoint that never ends.
inline constexpr int k_max_pages = 1000;

}  // namespace labctl::providers::aws
