#include "providers/aws/aws_executor_policy.hpp"

#include <set>

#include "core/action_journal.hpp"
#include "providers/aws/aws_actions.hpp"
#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {
namespace {

std::string partition_of(const std::string& region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

}  // namespace

Expected<nlohmann::ordered_json> executor_policy(state::Store& store, const std::string& run_id,
                                                 Ec2ClientFactory& factory) {
  std::set<std::pair<std::string, std::string>> enis;  // (region, eni)
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  for (const auto& row : *rows) {
    const std::string eni = row.attrs.value("eniId", "");
    // Routers are what captures an address; clients never need their ENI mutated.
    const bool router = row.attrs.value("role", "").starts_with("router");
    if (row.provider == "aws" && router && !eni.empty()) enis.insert({row.region, eni});
  }
  auto actions = journal::list(store, run_id);
  if (!actions) return std::unexpected(actions.error());
  for (const auto& action : *actions) {
    const auto target = target_from_json(action.target);
    if (!target.nic_ref.empty()) enis.insert({target.region, target.nic_ref});
  }
  if (enis.empty()) {
    return fail(ExitCode::usage, "iam-policy --executor: run " + run_id +
                                     " has no aws ENI in state (is it an aws run that is up?)");
  }
  std::set<std::string> regions;
  nlohmann::ordered_json arns = nlohmann::ordered_json::array();
  for (const auto& [region, eni] : enis) {
    auto client = factory.client(region);
    if (!client) return std::unexpected(client.error());
    auto described = describe_eni(**client, eni);
    if (!described) return std::unexpected(described.error());
    regions.insert(region);
    arns.push_back("arn:" + partition_of(region) + ":ec2:" + region + ":" + described->owner_id +
                   ":network-interface/" + eni);
  }
  const nlohmann::ordered_json region_condition =
      regions.size() == 1 ? nlohmann::ordered_json(*regions.begin())
                          : nlohmann::ordered_json(regions);
  return nlohmann::ordered_json{
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Sid", "DescribeEnis"},
         {"Effect", "Allow"},
         {"Action", "ec2:DescribeNetworkInterfaces"},
         {"Resource", "*"},
         {"Condition", {{"StringEquals", {{"ec2:Region", region_condition}}}}}},
        {{"Sid", "MutateLabEni"},
         {"Effect", "Allow"},
         {"Action",
          {"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
           "ec2:ModifyNetworkInterfaceAttribute"}},
         {"Resource", arns.size() == 1 ? arns.front() : arns}}}}};
}

}  // namespace labctl::providers::aws
