#include "providers/aws/aws_permissions.hpp"

#include <algorithm>

#include "core/json_io.hpp"
#include "core/log.hpp"
#include "providers/aws/aws_ops.hpp"

namespace labctl::providers::aws {
namespace {

// A well-formed id of the right type for a plan placeholder ("{{sg}}" -> "sg-000..."): EC2
// authorises a DryRun call before it looks the ids up.
std::string dummy_id(const std::string& placeholder) {
  static const std::vector<std::pair<std::string, std::string>> k_prefixes{
      {"vpc", "vpc-"}, {"subnet", "subnet-"}, {"igw", "igw-"},       {"rtb", "rtb-"},
      {"sg", "sg-"},   {"image", "ami-"},     {"instance:", "i-"}};
  const std::string name = placeholder.substr(2, placeholder.size() - 4);
  for (const auto& [key, prefix] : k_prefixes) {
    if (name == key || (key.ends_with(':') && name.starts_with(key))) {
      return prefix + std::string(17, '0');
    }
  }
  return placeholder;  // unknown: sent as is, EC2 then names the bad value
}

QueryParams dry_run_params(const Operation& op) {
  QueryParams params;
  for (const auto& [key, value] : op.params.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : json_io::dump(value);
    if (text.starts_with("{{") && text.ends_with("}}")) text = dummy_id(text);
    params.add(key, text);
  }
  params.add("DryRun", "true");
  return params;
}

PermissionCheck verdict(const std::string& action, const AwsResult<Ec2Response>& answer) {
  if (answer) {
    return {action, "error", "EC2 answered without DryRunOperation, so DryRun was ignored"};
  }
  const AwsError& error = answer.error();
  if (error.code == "DryRunOperation") return {action, "allowed", "would succeed"};
  if (error.code == "UnauthorizedOperation") return {action, "denied", error.message};
  if (error.code.ends_with("NotFound")) {
    return {action, "allowed",
            "authorised (EC2 checks permission before existence): " + error.message};
  }
  return {action, "error", error.describe()};
}

}  // namespace

Expected<std::vector<PermissionCheck>> check_permissions(const Plan& plan,
                                                         Ec2ClientFactory& factory) {
  if (auto credentials = factory.credentials(); !credentials) {
    return fail(ExitCode::provider, "up --check-permissions needs live AWS credentials: " +
                                        credentials.error().message);
  }
  std::vector<PermissionCheck> checks;
  for (const auto& op : plan.operations) {
    if (!op.mutating) continue;
    auto client = factory.client(op.region);
    if (!client) return std::unexpected(client.error());
    PermissionCheck check = verdict(op.action, (*client)->call(op.action, dry_run_params(op)));
    const std::string line = "aws " + op.action + " (" + op.region + "): " +
                             (check.result == "allowed" ? std::string("would succeed")
                                                        : check.result + ": " + check.message);
    if (check.result == "allowed") {
      log::info("aws.check_permissions", line, {{"action", op.action}});
    } else {
      log::warn("aws.check_permissions", line, {{"action", op.action}});
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

nlohmann::json to_json(const std::vector<PermissionCheck>& checks) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : checks) {
    list.push_back({{"action", c.action}, {"result", c.result}, {"message", c.message}});
  }
  return {{"checks", list}};
}

ExitCode permissions_exit_code(const std::vector<PermissionCheck>& checks) {
  auto any = [&](const char* result) {
    return std::ranges::any_of(checks, [&](const auto& c) { return c.result == result; });
  };
  if (any("denied")) return ExitCode::refused;
  if (any("error")) return ExitCode::provider;
  return ExitCode::ok;
}

}  // namespace labctl::providers::aws
