#include "providers/aws/limits.hpp"

#include "core/env.hpp"

namespace labctl::providers::aws {

namespace {

constexpr long long k_day_s = 86400;

Expected<std::chrono::seconds> seconds_from_env(const EnvLookup& env, const char* name,
                                                std::chrono::seconds fallback) {
  auto number = env::whole_number(env, name, fallback.count(), 1, k_day_s, "seconds");
  if (!number) return std::unexpected(number.error());
  return std::chrono::seconds(*number);
}

}  // namespace

Expected<AwsLimits> aws_limits_from_env(const EnvLookup& env) {
  AwsLimits limits;
  for (auto [name, field] : {std::pair{"CE_AWS_REQUEST_TIMEOUT", &limits.request_timeout},
                             std::pair{"CE_AWS_STALL_TIMEOUT", &limits.stall_timeout},
                             std::pair{"CE_AWS_WAIT_TIMEOUT", &limits.wait_timeout},
                             std::pair{"CE_AWS_COMMAND_TIMEOUT", &limits.command_timeout},
                             std::pair{"CE_JANITOR_TIMEOUT", &limits.janitor_timeout}}) {
    auto value = seconds_from_env(env, name, *field);
    if (!value) return std::unexpected(value.error());
    *field = *value;
  }
  constexpr long long k_max_dependency_retries = 100;
  auto retries = env::whole_number(env, "CE_AWS_DEPENDENCY_RETRIES", limits.dependency_retries, 1,
                                  k_max_dependency_retries, "attempts");
  if (!retries) return std::unexpected(retries.error());
  limits.dependency_retries = static_cast<int>(*retries);
  return limits;
}

}  // namespace labctl::providers::aws
