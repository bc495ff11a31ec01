#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/aws/ec2_client.hpp"
#include "providers/provider.hpp"

namespace labctl::providers::aws {

// The verdict on one mutating call of the up plan, sent with DryRun=true.
struct PermissionCheck {
  std::string action;
  std::string result;  // "allowed" | "denied" | "error"
  std::string message;
};

// Sends every mutating operation of `plan` (an aws up plan) with DryRun=true, placeholders
// replaced by syntactically valid dummy ids ("sg-00000000000000000"), and reports per call.
// Nothing is created: the client is built non-live, so it refuses any call without DryRun.
// DryRunOperation is "allowed"; UnauthorizedOperation is "denied"; a *.NotFound about a dummy
// id is "allowed" too, since EC2 checks permission before existence on DryRun. Fails only
// when no client can be built (no credentials, bad region).
// `factory` is the dry (non-live) one.
[[nodiscard]] Expected<std::vector<PermissionCheck>> check_permissions(const Plan& plan,
                                                                     Ec2ClientFactory& factory);

// {"checks":[{"action","result","message"}]}.
[[nodiscard]] nlohmann::json to_json(const std::vector<PermissionCheck>& checks);

// ok when all are allowed, refused (4) when any is denied, else provider (3).
[[nodiscard]] ExitCode permissions_exit_code(const std::vector<PermissionCheck>& checks);

}  // namespace labctl::providers::aws
