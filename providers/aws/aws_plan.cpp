#include "providers/aws/aws_plan.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace labctl::providers::aws {
namespace {

using Params = nlohmann::ordered_json;

// Adds TagSpecification.<index> for `resource_type` with the five run tags plus extras.
void add_tag_specification(Params& params, int index, const std::string& resource_type,
                           const Tags& tags,
                           const std::vector<std::pair<std::string, std::string>>& extra) {
  const std::string prefix = "TagSpecification." + std::to_string(index) + ".";
  params[prefix + "ResourceType"] = resource_type;
  int n = 1;
  auto add = [&](const std::string& key, const std::string& value) {
    params[prefix + "Tag." + std::to_string(n) + ".Key"] = key;
    params[prefix + "Tag." + std::to_string(n) + ".Value"] = value;
    ++n;
  };
  for (const auto& [key, value] : tags.pairs()) add(key, value);
  for (const auto& [key, value] : extra) add(key, value);
}

Operation create(std::string action, Params params, std::string kind, std::string name,
                 const std::string& region) {
  return Operation{std::move(action), std::move(params), true, std::move(kind), std::move(name),
                   region};
}

}  // namespace

std::string client_token(const std::string& run_id, const std::string& node) {
  const std::string input = run_id + "/" + node;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < 24 && i < length; ++i) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return "labctl-" + hex;  // 7 + 48 = 55 characters
}

std::string key_pair_name(const std::string& run_id) { return "labctl-" + run_id; }

std::string security_group_name(const std::string& run_id) { return "labctl-" + run_id; }

Expected<Plan> build_up_plan(const RunContext& ctx) {
  const auto& aws = ctx.profile.aws;
  const std::string& region = aws.region;
  const std::string& run_id = ctx.run.run_id;
  Plan plan{"aws", {}, {}};
  if (region.empty()) {
    return fail(ExitCode::usage, ctx.profile.path.string() + ": aws.region is required");
  }

  std::string image = aws.image.id;
  if (image.empty()) {
    Params p;
    p["Owner.1"] = aws.image.owner;
    p["Filter.1.Name"] = "name";
    p["Filter.1.Value.1"] = aws.image.name_pattern;
    p["Filter.2.Name"] = "state";
    p["Filter.2.Value.1"] = "available";
    plan.operations.push_back({"DescribeImages", p, false, "", "image", region});
    image = "{{image}}";
  }

  std::string subnet = aws.subnet_id;
  std::string vpc = "{{vpc}}";
  if (aws.network == "dedicated") {
    Params p;
    p["CidrBlock"] = aws.vpc_cidr;
    add_tag_specification(p, 1, "vpc", ctx.tags, {{"Name", run_id}});
    plan.operations.push_back(create("CreateVpc", p, "vpc", "vpc", region));

    p = Params::object();
    p["VpcId"] = vpc;
    p["CidrBlock"] = aws.subnet_cidr;
    add_tag_specification(p, 1, "subnet", ctx.tags, {{"Name", run_id}});
    plan.operations.push_back(create("CreateSubnet", p, "subnet", "subnet", region));
    subnet = "{{subnet}}";

    p = Params::object();
    add_tag_specification(p, 1, "internet-gateway", ctx.tags, {{"Name", run_id}});
    plan.operations.push_back(
        create("CreateInternetGateway", p, "internet-gateway", "igw", region));

    p = Params::object();
    p["InternetGatewayId"] = "{{igw}}";
    p["VpcId"] = vpc;
    plan.operations.push_back(
        create("AttachInternetGateway", p, "internet-gateway-attachment", "igw-attachment",
               region));

    p = Params::object();
    p["VpcId"] = vpc;
    add_tag_specification(p, 1, "route-table", ctx.tags, {{"Name", run_id}});
    plan.operations.push_back(create("CreateRouteTable", p, "route-table", "rtb", region));

    p = Params::object();
    p["RouteTableId"] = "{{rtb}}";
    p["DestinationCidrBlock"] = "0.0.0.0/0";
    p["GatewayId"] = "{{igw}}";
    plan.operations.push_back({"CreateRoute", p, true, "", "default-route", region});

    p = Params::object();
    p["RouteTableId"] = "{{rtb}}";
    p["SubnetId"] = subnet;
    plan.operations.push_back(create("AssociateRouteTable", p, "route-table-association",
                                     "rtb-association", region));
  } else {
    if (subnet.empty()) {
      return fail(ExitCode::usage, ctx.profile.path.string() +
                                       ": aws.subnet_id is required with aws.network: existing");
    }
    Params p;
    p["SubnetId.1"] = subnet;
    plan.operations.push_back({"DescribeSubnets", p, false, "", "vpc", region});
  }

  Params key;
  key["KeyName"] = key_pair_name(run_id);
  key["KeyType"] = "ed25519";
  add_tag_specification(key, 1, "key-pair", ctx.tags, {{"Name", run_id}});
  plan.operations.push_back(create("CreateKeyPair", key, "key-pair", "key-pair", region));

  Params sg;
  sg["GroupName"] = security_group_name(run_id);
  sg["GroupDescription"] = "labctl lab " + run_id + ": SSH from the operator CIDR only";
  sg["VpcId"] = vpc;
  add_tag_specification(sg, 1, "security-group", ctx.tags, {{"Name", run_id}});
  plan.operations.push_back(create("CreateSecurityGroup", sg, "security-group", "sg", region));

  if (aws.operator_cidr.empty()) {
    return fail(ExitCode::usage, ctx.profile.path.string() +
                                     ": aws.operator_cidr is required (the address range SSH "
                                     "may come from)");
  }
  if (aws.operator_cidr == "0.0.0.0/0" && !aws.allow_any_ssh) {
    return fail(ExitCode::refused, ctx.profile.path.string() +
                                       ": aws.operator_cidr 0.0.0.0/0 opens SSH to the world; "
                                       "set aws.allow_any_ssh: true if that is intended");
  }
  Params ingress;
  ingress["GroupId"] = "{{sg}}";
  ingress["IpPermissions.1.IpProtocol"] = "tcp";
  ingress["IpPermissions.1.FromPort"] = 22;
  ingress["IpPermissions.1.ToPort"] = 22;
  ingress["IpPermissions.1.IpRanges.1.CidrIp"] = aws.operator_cidr;
  ingress["IpPermissions.2.IpProtocol"] = "-1";
  ingress["IpPermissions.2.Groups.1.GroupId"] = "{{sg}}";
  plan.operations.push_back({"AuthorizeSecurityGroupIngress", ingress, true, "", "sg-ingress",
                             region});

  for (const auto& site : ctx.profile.sites) {
    if (site.provider != "aws") continue;
    for (const auto& node : site.nodes) {
      Params p;
      p["ImageId"] = image;
      p["InstanceType"] = aws.instance_type;
      p["MinCount"] = 1;
      p["MaxCount"] = 1;
      p["KeyName"] = key_pair_name(run_id);
      p["ClientToken"] = client_token(run_id, node.name);
      p["NetworkInterface.1.DeviceIndex"] = 0;
      p["NetworkInterface.1.SubnetId"] = subnet;
      p["NetworkInterface.1.SecurityGroupId.1"] = "{{sg}}";
      p["NetworkInterface.1.AssociatePublicIpAddress"] = true;
      const std::vector<std::pair<std::string, std::string>> extra{
          {"Name", node.name}, {"role", node.role}, {"site", site.name}};
      add_tag_specification(p, 1, "instance", ctx.tags, extra);
      add_tag_specification(p, 2, "volume", ctx.tags, extra);
      add_tag_specification(p, 3, "network-interface", ctx.tags, extra);
      plan.operations.push_back(create("RunInstances", p, "instance", node.name, region));
    }
  }
  Params wait;
  wait["Filter.1.Name"] = std::string("tag:") + k_tag_run_id;
  wait["Filter.1.Value.1"] = run_id;
  wait["MaxResults"] = 100;
  plan.operations.push_back({"DescribeInstances", wait, false, "", "wait-running", region});
  plan.notes.push_back("waits for every instance to reach 'running' (bounded), then records "
                       "public/private IPs and ENI ids");
  return plan;
}

}  // namespace labctl::providers::aws
