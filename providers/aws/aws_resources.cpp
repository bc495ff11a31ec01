#include "providers/aws/aws_resources.hpp"

#include <string_view>

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
       "DeleteKeyPair", "KeyPairId", 5},
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

}  // namespace labctl::providers::aws
