#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
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
  const char* remove_param;  // GroupId, ... (key pairs: KeyName)
  int order;                 // teardown rank: lower goes first
  // The describe field whose value the delete sends in remove_param, and the filter that finds
  // the resource by that value; nullptr: the delete names the id. Key pairs are deleted by the
  // name labctl gave them: an endpoint may ignore DeleteKeyPair's KeyPairId and answer success.
  const char* remove_by = nullptr;         // keyName
  const char* remove_by_filter = nullptr;  // key-name
};

// The most values one EC2 filter takes; longer id lists are described in chunks of this size.
inline constexpr std::size_t k_max_filter_values = 200;

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

// Describes the resources of `type` among `ids` through its id filter, in chunks of
// k_max_filter_values. A filter, unlike the id parameter (VpcId.1), answers an id that no longer
// exists with nothing instead of failing the whole call with NotFound, so an absent id is gone.
// `extra` filters are sent with each chunk.
[[nodiscard]] AwsResult<LiveResources> describe_ids(const Ec2Client& client,
                                                    const ResourceType& type,
                                                    const std::vector<std::string>& ids,
                                                    const std::vector<Ec2Filter>& extra = {});

// describe_ids, each chunk asked again while it fails (except for an authorization error,
// which waiting does not cure) until `until`, sleeping on `clock` between tries (k_first_poll,
// growing by next_poll). The error is the last one of the chunk that never succeeded.
[[nodiscard]] AwsResult<LiveResources> describe_ids_until(
    const Ec2Client& client, Clock& clock, const ResourceType& type,
    const std::vector<std::string>& ids, std::chrono::steady_clock::time_point until,
    const std::vector<Ec2Filter>& extra = {});

// True when `live` describes a resource that exists: instances that are shutting down or
// terminated are gone (EC2 keeps listing them for a while).
[[nodiscard]] bool exists(const ResourceType& type, const LiveResource& live);

// The filters that leave out of a describe what exists() calls gone (instances: the states
// before shutting-down), so an answer about a finished teardown is empty, not a list of
// terminated instances in full.
[[nodiscard]] std::vector<Ec2Filter> existing_only(const ResourceType& type);

}  // namespace labctl::providers::aws
