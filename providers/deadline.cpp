#include "providers/deadline.hpp"

namespace labctl::providers {
namespace {

long long to_ns(CloudDeadline::TimePoint at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

}  // namespace

void CloudDeadline::arm_phase(TimePoint at, std::chrono::seconds budget) {
  m_phase_budget_s = budget.count();
  m_phase_ns = to_ns(at);
}

void CloudDeadline::arm_hard(TimePoint at, std::chrono::seconds budget) {
  const long long ns = to_ns(at);
  long long current = m_hard_ns.load();
  while ((current == k_unarmed || ns < current) && !m_hard_ns.compare_exchange_weak(current, ns)) {
  }
  if (current == k_unarmed || ns <= current) m_hard_budget_s = budget.count();
}

std::optional<CloudDeadline::TimePoint> CloudDeadline::at() const {
  const long long phase = m_phase_ns.load();
  const long long hard = m_hard_ns.load();
  long long earliest = k_unarmed;
  if (phase != k_unarmed) earliest = phase;
  if (hard != k_unarmed && (earliest == k_unarmed || hard < earliest)) earliest = hard;
  if (earliest == k_unarmed) return std::nullopt;
  return TimePoint(std::chrono::nanoseconds(earliest));
}

std::string CloudDeadline::describe() const {
  const long long phase = m_phase_ns.load();
  const long long hard = m_hard_ns.load();
  if (hard != k_unarmed && (phase == k_unarmed || hard <= phase)) {
    return "the deadline of this down --expired (CE_JANITOR_TIMEOUT=" +
           std::to_string(m_hard_budget_s.load()) + " s) passed";
  }
  return "the " + m_cloud + " deadline of this command phase (" + m_phase_variable + "=" +
         std::to_string(m_phase_budget_s.load()) + " s) passed";
}

}  // namespace labctl::providers
