#include "providers/aws/created_id.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/text.hpp"

namespace labctl::providers::aws {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 10> k_prefixes{{
    {"instance", "i-"},
    {"vpc", "vpc-"},
    {"subnet", "subnet-"},
    {"security-group", "sg-"},
    {"internet-gateway", "igw-"},
    {"route-table", "rtb-"},
    {"route-table-association", "rtbassoc-"},
    {"key-pair", "key-"},
    {"network-interface", "eni-"},
    {"volume", "vol-"},
}};

// Where each create's answer carries its id, and the kind that id names.
struct IdField {
  std::string_view action;
  std::string_view path;
  std::string_view kind;
};

constexpr std::array<IdField, 8> k_id_fields{{
    {"CreateVpc", "vpc/vpcId", "vpc"},
    {"CreateSubnet", "subnet/subnetId", "subnet"},
    {"CreateInternetGateway", "internetGateway/internetGatewayId", "internet-gateway"},
    {"CreateRouteTable", "routeTable/routeTableId", "route-table"},
    {"AssociateRouteTable", "associationId", "route-table-association"},
    {"CreateSecurityGroup", "groupId", "security-group"},
    {"CreateKeyPair", "keyPairId", "key-pair"},
    {"RunInstances", "instancesSet/item/instanceId", "instance"},
}};

AwsError ambiguous(std::string_view action, std::string_view region, const std::string& what) {
  AwsError error;
  error.kind = AwsErrorKind::service;
  error.http_status = 200;
  error.action = action;
  error.region = region;
  error.code = "AmbiguousAnswer";
  error.message = what +
                  "; the call may have created something, so its intent stays recorded and "
                  "`labctl down` finds it by its run-id tag";
  return error;
}

std::string shown(std::string_view id) { return "\"" + ::labctl::text::printable(id, 64) + "\""; }

}  // namespace

std::string_view id_prefix(std::string_view kind) {
  for (const auto& [name, prefix] : k_prefixes) {
    if (name == kind) return prefix;
  }
  return {};
}

bool is_resource_id(std::string_view id, std::string_view prefix) {
  if (prefix.empty() || !id.starts_with(prefix)) return false;
  const std::string_view digits = id.substr(prefix.size());
  constexpr std::size_t k_short = 8;
  constexpr std::size_t k_long = 17;
  return (digits.size() == k_short || digits.size() == k_long) &&
         std::ranges::all_of(
             digits, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

AwsResult<Created> read_created(std::string_view action, std::string_view region,
                                const QueryParams& params, const Ec2Response& response,
                                const std::set<std::string>& recorded) {
  if (action == "AttachInternetGateway") {
    const std::string* gateway = params.find("InternetGatewayId");
    const std::string* vpc = params.find("VpcId");
    return Created{gateway ? *gateway : std::string(), {{"vpcId", vpc ? *vpc : std::string()}}};
  }
  const auto field = std::ranges::find(k_id_fields, action, &IdField::action);
  if (field == k_id_fields.end()) {
    // Mutations that create nothing of their own (a route, an ingress rule) live and die with
    // their parent; the row records that they were sent.
    const std::string* parent = params.find("GroupId");
    if (parent == nullptr) parent = params.find("RouteTableId");
    return Created{parent ? *parent : std::string(), {{"implicit", true}}};
  }
  const std::string_view prefix = id_prefix(field->kind);
  std::vector<std::string> ids;
  if (action == "RunInstances") {
    for (const auto& item : response.items("instancesSet/item")) {
      ids.push_back(text_at(item, "instanceId"));
    }
    const std::string* max_count = params.find("MaxCount");
    const std::string wanted = max_count ? *max_count : "1";
    if (std::to_string(ids.size()) != wanted) {
      return std::unexpected(ambiguous(action, region,
                                       "the answer lists " + std::to_string(ids.size()) +
                                           " instance(s) for MaxCount " + wanted));
    }
  } else {
    ids.push_back(response.text(field->path));
  }
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (!is_resource_id(id, prefix)) {
      return std::unexpected(ambiguous(action, region,
                                       "the answer carries no well-formed " +
                                           std::string(field->kind) + " id (" +
                                           std::string(prefix) + " and 8 or 17 hex digits at <" +
                                           std::string(field->path) + ">; got " + shown(id) + ")"));
    }
    if (recorded.contains(id) || !seen.insert(id).second) {
      return std::unexpected(ambiguous(
          action, region, "the answer names " + shown(id) + ", an id this run already holds"));
    }
  }
  Created created{ids.front(), nlohmann::json::object()};
  if (action == "CreateKeyPair") {
    // The key's file is named after it: only the name labctl asked for is trusted.
    const std::string* requested = params.find("KeyName");
    const std::string answered = response.text("keyName");
    if (requested == nullptr || answered != *requested) {
      return std::unexpected(
          ambiguous(action, region,
                    "the answer names key pair " + shown(answered) + ", not the one requested"));
    }
    created.attrs = {{"keyName", *requested}, {"fingerprint", response.text("keyFingerprint")}};
  }
  return created;
}

}  // namespace labctl::providers::aws
