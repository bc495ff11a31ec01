#include "providers/aws/aws_resources.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "core/log.hpp"
#include "providers/aws/aws_ops.hpp"

namespace labctl::providers::aws {

const std::vector<ResourceType>& resource_types() {
  static const std::vector<ResourceType> types{
      {"instance", "DescribeInstances", "instance-id", "reservationSet/item", "instanceId",
       "TerminateInstances", "InstanceId.1", 0},
      {"network-interface", "DescribeNetworkInterfaces", "network-interface-id",
       "networkInterfaceSet/item", "networkInterfaceId", "DeleteNetworkInterface",
       "NetworkInterfaceId", 1},
      {"volume", "DescribeVolumes", "volume-id", "volumeSet/item", "volumeId", "DeleteVolume",
       "VolumeId", 2},
      {"security-group", "DescribeSecurityGroups", "group-id", "securityGroupInfo/item",
       "groupId", "DeleteSecurityGroup", "GroupId", 4},
      {"key-pair", "DescribeKeyPairs", "key-pair-id", "keySet/item", "keyPairId",
       "DeleteKeyPair", "KeyName", 5, "keyName", "key-name"},
      {"route-table", "DescribeRouteTables", "route-table-id", "routeTableSet/item",
       "routeTableId", "DeleteRouteTable", "RouteTableId", 7},
      {"internet-gateway", "DescribeInternetGateways", "internet-gateway-id",
       "internetGatewaySet/item", "internetGatewayId", "DeleteInternetGateway",
       "InternetGatewayId", 9},
      {"subnet", "DescribeSubnets", "subnet-id", "subnetSet/item", "subnetId", "DeleteSubnet",
       "SubnetId", 10},
      {"vpc", "DescribeVpcs", "vpc-id", "vpcSet/item", "vpcId", "DeleteVpc", "VpcId", 11},
  };
  return types;
}

const ResourceType* resource_type(const std::string& kind) {
  for (const auto& type : resource_types()) {
    if (kind == type.kind) return &type;
  }
  return nullptr;
}

namespace {

// Which describes accept MaxResults together with filters (EC2 pages these).
bool pages(std::string_view action) {
  return action == "DescribeInstances" || action == "DescribeNetworkInterfaces" ||
         action == "DescribeVolumes" || action == "DescribeSecurityGroups" ||
         action == "DescribeRouteTables" || action == "DescribeInternetGateways" ||
         action == "DescribeSubnets" || action == "DescribeVpcs";
}

LiveResource read_item(pugi::xml_node item, const ResourceType& type) {
  LiveResource live;
  live.id = text_at(item, type.id_field);
  live.node = item;
  live.state = text_of_any(item, {"status", "state"});
  if (std::string_view(type.kind) == "instance") live.state = text_at(item, "instanceState/name");
  for (const auto& tag : nodes_at(item, "tagSet/item")) {
    live.tags[text_at(tag, "key")] = text_at(tag, "value");
  }
  return live;
}

}  // namespace

AwsResult<LiveResources> describe_resources(const Ec2Client& client, const ResourceType& type,
                                            const std::vector<Ec2Filter>& filters) {
  QueryParams params;
  params.add_filters(filters);
  auto result = client.call_paged(type.describe, params, type.items, pages(type.describe) ? 100 : 0);
  if (!result) return std::unexpected(result.error());
  LiveResources live;
  for (const auto& item : result->items) {
    if (std::string_view(type.kind) == "instance") {
      for (const auto& instance : nodes_at(item, "instancesSet/item")) {
        live.items.push_back(read_item(instance, type));
      }
    } else {
      live.items.push_back(read_item(item, type));
    }
  }
  live.pages.push_back(std::move(*result));
  return live;
}

namespace {

// describe_ids's chunking around `fetch` (one chunk's describe).
template <class Fetch>
AwsResult<LiveResources> in_chunks(const std::vector<std::string>& ids, Fetch&& fetch) {
  LiveResources live;
  for (std::size_t first = 0; first < ids.size(); first += k_max_filter_values) {
    const auto end = std::min(ids.size(), first + k_max_filter_values);
    const std::vector<std::string> chunk(ids.begin() + static_cast<std::ptrdiff_t>(first),
                                         ids.begin() + static_cast<std::ptrdiff_t>(end));
    auto part = fetch(chunk);
    if (!part) return std::unexpected(part.error());
    std::move(part->pages.begin(), part->pages.end(), std::back_inserter(live.pages));
    std::move(part->items.begin(), part->items.end(), std::back_inserter(live.items));
  }
  return live;
}

}  // namespace

namespace {

std::vector<Ec2Filter> with_ids(const ResourceType& type, const std::vector<std::string>& chunk,
                                const std::vector<Ec2Filter>& extra) {
  std::vector<Ec2Filter> filters{{type.id_filter, chunk}};
  filters.insert(filters.end(), extra.begin(), extra.end());
  return filters;
}

}  // namespace

AwsResult<LiveResources> describe_ids(const Ec2Client& client, const ResourceType& type,
                                      const std::vector<std::string>& ids,
                                      const std::vector<Ec2Filter>& extra) {
  return in_chunks(ids, [&](const std::vector<std::string>& chunk) {
    return describe_resources(client, type, with_ids(type, chunk, extra));
  });
}

AwsResult<LiveResources> describe_ids_until(const Ec2Client& client, Clock& clock,
                                            const ResourceType& type,
                                            const std::vector<std::string>& ids,
                                            std::chrono::steady_clock::time_point until,
                                            const std::vector<Ec2Filter>& extra) {
  return in_chunks(ids, [&](const std::vector<std::string>& chunk) {
    auto interval = k_first_poll;
    while (true) {
      auto part = describe_resources(client, type, with_ids(type, chunk, extra));
      if (part || part.error().kind == AwsErrorKind::auth ||
          clock.steady_now() + interval > until) {
        return part;
      }
      log::info("aws.confirm", "aws: " + std::string(type.describe) + " of " +
                                   std::to_string(chunk.size()) + " " + type.kind +
                                   "(s) failed (" + part.error().describe() + "); asking again");
      if (!clock.sleep_for(interval)) return part;
      interval = next_poll(interval);
    }
  });
}

bool exists(const ResourceType& type, const LiveResource& live) {
  if (std::string_view(type.kind) != "instance") return true;
  return live.state != "terminated" && live.state != "shutting-down";
}

std::vector<Ec2Filter> existing_only(const ResourceType& type) {
  if (std::string_view(type.kind) != "instance") return {};
  return {{"instance-state-name", {"pending", "running", "stopping", "stopped"}}};
}

}  // namespace labctl::providers::aws
