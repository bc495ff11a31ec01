#include "providers/retry.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace labctl::providers {

namespace {
constexpr int k_max_configurable_attempts = 20;
constexpr long long k_day_s = 86400;
}  // namespace

std::optional<std::chrono::seconds> retry_after(const HttpHeaders& headers) {
  const auto value = find_header(headers, "Retry-After");
  if (!value) return std::nullopt;
  long long seconds = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (value->empty() || error != std::errc() || end != value->data() + value->size() ||
      seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::min<long long>(seconds, k_day_s));
}

std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int retry_number) {
  // Doubling stops once past the cap, so large retry numbers cannot overflow.
  auto ceiling = policy.base;
  for (int i = 1; i < retry_number && ceiling < policy.cap; ++i) ceiling *= 2;
  return std::min(ceiling, policy.cap);
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_number,
                                        double unit_random) {
  const double fraction = std::clamp(unit_random, 0.0, 1.0);
  const auto ceiling = backoff_ceiling(policy, retry_number);
  return std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(static_cast<double>(ceiling.count()) * fraction));
}

Expected<RetryPolicy> retry_policy_from_env(const EnvLookup& env, std::string_view name) {
  RetryPolicy policy;
  const auto value = env(std::string(name));
  if (!value || value->empty()) return policy;
  int attempts = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), attempts);
  if (error != std::errc() || end != value->data() + value->size() || attempts < 1 ||
      attempts > k_max_configurable_attempts) {
    return fail(ExitCode::usage,
                std::string(name) + "=\"" + *value + "\" is not a whole number from 1 to " +
                    std::to_string(k_max_configurable_attempts) + " (unset it for the default of " +
                    std::to_string(RetryPolicy::k_default_max_attempts) + ")");
  }
  policy.max_attempts = attempts;
  return policy;
}

}  // namespace labctl::providers
