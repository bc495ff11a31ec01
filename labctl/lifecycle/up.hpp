#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {

// `labctl up` options. Precedence (flag > env > profile > default) is applied in run_up.
struct UpOptions {
  std::string profile;                          // name or path (required)
  std::optional<std::string> providers;         // --provider csv; default: the profile's
  std::optional<std::string> ttl;               // --ttl; default: the profile's, else 4h
  std::optional<std::string> scenario;          // --scenario; default: the profile name
  std::optional<std::string> provider_order;    // --provider-order; else CE_PROVIDER_ORDER
  bool keep = false;                            // leave a partial lab on failure
  bool check_permissions = false;               // DryRun the aws plan; see check_up_permissions
};

// Validates everything before writing anything (profile, providers, order, TTL, ceiling),
// records the run, prints each provider's plan on stderr and, in live mode, applies it under
// the teardown guard. Returns the run-id (the caller prints it on stdout). `seams` build the
// providers and give the clock.
[[nodiscard]] Expected<std::string> run_up(const UpOptions& options,
                                           const providers::ProviderSeams& seams);

// `up --check-permissions`: validates like run_up, builds the aws plan for a run that is never
// recorded, and sends each mutating call with EC2's DryRun=true (nothing is created). The
// summary is {"checks":[...]}; code is ok (all allowed), refused (any denied) or provider.
using PermissionReport = providers::Provider::PermissionReport;
[[nodiscard]] Expected<PermissionReport> check_up_permissions(
    const UpOptions& options, const providers::ProviderSeams& seams);

}  // namespace labctl::lifecycle
