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

long long to_ns(AwsDeadline::TimePoint at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
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

void AwsDeadline::arm_phase(TimePoint at, std::chrono::seconds budget) {
  m_phase_budget_s = budget.count();
  m_phase_ns = to_ns(at);
}

void AwsDeadline::arm_hard(TimePoint at, std::chrono::seconds budget) {
  const long long ns = to_ns(at);
  long long current = m_hard_ns.load();
  while ((current == k_unarmed || ns < current) && !m_hard_ns.compare_exchange_weak(current, ns)) {
  }
  if (current == k_unarmed || ns <= current) m_hard_budget_s = budget.count();
}

std::optional<AwsDeadline::TimePoint> AwsDeadline::at() const {
  const long long phase = m_phase_ns.load();
  const long long hard = m_hard_ns.load();
  long long earliest = k_unarmed;
  if (phase != k_unarmed) earliest = phase;
  if (hard != k_unarmed && (earliest == k_unarmed || hard < earliest)) earliest = hard;
  if (earliest == k_unarmed) return std::nullopt;
  return TimePoint(std::chrono::nanoseconds(earliest));
}

std::string AwsDeadline::describe() const {
  const long long phase = m_phase_ns.load();
  const long long hard = m_hard_ns.load();
  if (hard != k_unarmed && (phase == k_unarmed || hard <= phase)) {
    return "the deadline of this down --expired (CE_JANITOR_TIMEOUT=" +
           std::to_string(m_hard_budget_s.load()) + " s) passed";
  }
  return "the AWS deadline of this command phase (CE_AWS_COMMAND_TIMEOUT=" +
         std::to_string(m_phase_budget_s.load()) + " s) passed";
}

}  // namespace labctl::providers::aws
