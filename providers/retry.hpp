#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "core/env.hpp"
#include "providers/http_transport.hpp"

namespace labctl::providers {

// Capped exponential backoff with full jitter: before retry n (1-based) wait a uniformly random
// time in [0, min(cap, base * 2^(n-1))]. Full jitter spreads a burst of throttled callers out
// instead of having them retry in lock-step.
struct RetryPolicy {
  static constexpr int k_default_max_attempts = 5;
  int max_attempts = k_default_max_attempts;  // total tries, including the first
  std::chrono::milliseconds base{200};
  std::chrono::milliseconds cap{20000};
  // true: retry only throttling, which a cloud answers before doing anything. For mutations whose
  // outcome must never be guessed (the provider-action executor): after a timeout, a reset or a
  // 5xx the change may or may not have happened, and resending could apply it twice.
  bool throttling_only = false;
};

// The upper bound of the wait before retry `retry_number` (1-based).
[[nodiscard]] std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy,
                                                        int retry_number);
// The wait itself for `unit_random` in [0, 1).
[[nodiscard]] std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_number,
                                                      double unit_random);

// A Retry-After header as whole seconds (the form ARM and OCI send), capped at a day; absent, an
// HTTP date or garbage: nullopt (the caller's backoff applies).
[[nodiscard]] std::optional<std::chrono::seconds> retry_after(const HttpHeaders& headers);

// The policy with max_attempts from the variable `name` (CE_AWS_MAX_ATTEMPTS,
// CE_AZURE_MAX_ATTEMPTS: an integer 1..20) when set; an error naming the variable when it is
// not such a number.
[[nodiscard]] Expected<RetryPolicy> retry_policy_from_env(const EnvLookup& env,
                                                          std::string_view name);

}  // namespace labctl::providers
