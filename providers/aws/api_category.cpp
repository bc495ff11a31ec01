#include "providers/aws/api_category.hpp"

#include <algorithm>
#include <array>

namespace labctl::providers::aws {

namespace {

constexpr std::array<std::string_view, 6> k_unfiltered_bucket_describes = {
    "DescribeInstances", "DescribeNetworkInterfaces", "DescribeSecurityGroups",
    "DescribeVolumes",   "DescribeSnapshots",         "DescribeInstanceStatus"};

constexpr std::array<std::string_view, 9> k_resource_intensive = {"AuthorizeSecurityGroupIngress",
                                                                  "AuthorizeSecurityGroupEgress",
                                                                  "RevokeSecurityGroupIngress",
                                                                  "RevokeSecurityGroupEgress",
                                                                  "CreateKeyPair",
                                                                  "CreateVpcPeeringConnection",
                                                                  "AcceptVpcPeeringConnection",
                                                                  "DeleteVpcPeeringConnection",
                                                                  "RejectVpcPeeringConnection"};

constexpr std::array<std::string_view, 5> k_network_interface = {
    "AssignPrivateIpAddresses", "UnassignPrivateIpAddresses", "ModifyNetworkInterfaceAttribute",
    "CreateNetworkInterface", "DeleteNetworkInterface"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view action) {
  return std::ranges::find(list, action) != list.end();
}

}  // namespace

BucketRate documented_rate(ApiCategory category) {
  switch (category) {
    case ApiCategory::non_mutating:
      return {100, 20};
    case ApiCategory::unfiltered_describe:
      return {50, 10};
    case ApiCategory::resource_intensive:
      return {50, 5};
    case ApiCategory::run_instances:
      return {5, 2};
    case ApiCategory::terminate_instances:
      return {100, 5};
    case ApiCategory::network_interface:
      return {100, 5};
    case ApiCategory::tags:
      return {100, 10};
    case ApiCategory::mutating:
      break;
  }
  return {50, 5};
}

std::string_view to_string(ApiCategory category) {
  switch (category) {
    case ApiCategory::non_mutating:
      return "non-mutating";
    case ApiCategory::unfiltered_describe:
      return "unfiltered-describe";
    case ApiCategory::resource_intensive:
      return "resource-intensive";
    case ApiCategory::run_instances:
      return "run-instances";
    case ApiCategory::terminate_instances:
      return "terminate-instances";
    case ApiCategory::network_interface:
      return "network-interface";
    case ApiCategory::tags:
      return "tags";
    case ApiCategory::mutating:
      break;
  }
  return "mutating";
}

bool is_mutating(std::string_view action) {
  return !(action.starts_with("Describe") || action.starts_with("Get") ||
           action.starts_with("List"));
}

ApiCategory categorize(std::string_view action, const QueryParams& params) {
  if (!is_mutating(action)) {
    const bool filtered = params.has_prefix("Filter.") || params.find("MaxResults") != nullptr ||
                          params.find("NextToken") != nullptr;
    return !filtered && contains(k_unfiltered_bucket_describes, action)
               ? ApiCategory::unfiltered_describe
               : ApiCategory::non_mutating;
  }
  if (action == "RunInstances" || action == "StartInstances") return ApiCategory::run_instances;
  if (action == "TerminateInstances") return ApiCategory::terminate_instances;
  if (action == "CreateTags" || action == "DeleteTags") return ApiCategory::tags;
  if (contains(k_network_interface, action)) return ApiCategory::network_interface;
  if (contains(k_resource_intensive, action)) return ApiCategory::resource_intensive;
  return ApiCategory::mutating;
}

}  // namespace labctl::providers::aws
