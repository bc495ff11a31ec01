#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {

// How labctl describes and deletes one EC2 resource type: the describe action, its id filter
// and item path, and the delete action with its id parameter.
struct ResourceType {
  const char* kind;          // the state row kind: instance, security-group, ...
  const char* describe;      // DescribeInstances, ...
  const char* id_filter;     // instance-id, ...
  const char* items;         // securityGroupInfo/item, ... (instances: per reservation)
  const char* id_field;      // groupId, ...
  const char* remove;        // DeleteSecurityGroup, ... (instances: TerminateInstances)
  const char* remove_param;  // GroupId, ...
  int order;                 // teardown rank: lower goes first
};

// The taggable types labctl creates or discovers; nullptr for other kinds.
[[nodiscard]] const ResourceType* resource_type(const std::string& kind);
[[nodiscard]] const std::vector<ResourceType>& resource_types();

// A live resource as a describe returned it.
struct LiveResource {
  std::string id;
  std::string state;  // instance state name, volume status, ... ("" when the type has none)
  std::map<std::string, std::string> tags;
  pugi::xml_node node;  // valid while `pages` of the owning result live
};

struct LiveResources {
  std::vector<Ec2Pages> pages;  // keeps the nodes alive
  std::vector<LiveResource> items;
};

// Describes resources of `type` filtered by `filters` (paginated where EC2 pages the action).
[[nodiscard]] AwsResult<LiveResources> describe_resources(const Ec2Client& client,
                                                          const ResourceType& type,
                                                          const std::vector<Ec2Filter>& filters);

}  // namespace labctl::providers::aws
