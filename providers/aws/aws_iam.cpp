#include "providers/aws/aws_iam.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/clock.hpp"
#include "core/time.hpp"
#include "providers/aws/aws_plan.hpp"
#include "providers/aws/aws_resources.hpp"

namespace labctl::providers::aws {
namespace {

using Json = nlohmann::ordered_json;
using Names = std::set<std::string>;

// Mutating calls made outside the plan and the resource table: teardown frees a gateway or a
// route table before deleting it (aws_teardown.cpp), and failover stops the active router
// (aws_fault.cpp). The call-log test (tests/integration/aws) fails if this list falls behind.
constexpr const char* k_other_mutating[] = {"DetachInternetGateway", "DisassociateRouteTable",
                                            "StopInstances"};

// Existing resources a create call names besides what it creates, by parameter suffix. They are
// not labctl's (an AMI, the profile's subnet), so they cannot carry its tags.
constexpr std::pair<const char*, const char*> k_used_resources[] = {
    {"ImageId", "image"},         {"SubnetId", "subnet"},
    {"VpcId", "vpc"},             {"SecurityGroupId.1", "security-group"},
    {"KeyName", "key-pair"}};

std::string arn(const std::string& type) {
  // AMIs belong to their owner's account (or none), so the account field is left open.
  return "arn:aws:ec2:*:*:" + type + "/*";
}

Json array_of(const Names& names, const std::string& prefix = "") {
  Json list = Json::array();
  for (const auto& name : names) list.push_back(prefix + name);
  return list;
}

Json statement(const std::string& sid, const Names& actions, Json resources, Json condition) {
  return Json{{"Sid", sid},
              {"Effect", "Allow"},
              {"Action", array_of(actions, "ec2:")},
              {"Resource", std::move(resources)},
              {"Condition", std::move(condition)}};
}

// The actions of the plan sorted into describes, creates (with the resource types they create
// and use) and mutations of existing resources.
struct PlanActions {
  Names describes, creates, created_types, mutations;
  std::map<std::string, Names> used_types;  // create action -> types it uses, not creates
};

PlanActions sort_plan(const Plan& plan) {
  PlanActions out;
  for (const auto& op : plan.operations) {
    if (!op.mutating) {
      out.describes.insert(op.action);
      continue;
    }
    Names created;
    for (const auto& [key, value] : op.params.items()) {
      if (key.starts_with("TagSpecification.") && key.ends_with(".ResourceType")) {
        created.insert(value.get<std::string>());
      }
    }
    if (created.empty()) {
      out.mutations.insert(op.action);
      continue;
    }
    out.creates.insert(op.action);
    out.created_types.insert(created.begin(), created.end());
    for (const auto& [suffix, type] : k_used_resources) {
      for (const auto& [key, value] : op.params.items()) {
        if (key.ends_with(suffix) && !created.contains(type)) {
          out.used_types[op.action].insert(type);
        }
      }
    }
  }
  return out;
}

}  // namespace

Expected<Json> iam_policy(const profile::Profile& profile, state::Store& store, Clock& clock) {
  state::RunRecord run;  // a placeholder run: only the shape of the plan matters here
  run.run_id = "iam-policy";
  run.ttl_expires_at = format_rfc3339(clock.now());
  RunContext ctx{run, profile, make_tags(run.run_id, "owner", run.ttl_expires_at, "aws", "policy"),
                 store, clock, true};
  auto plan = build_up_plan(ctx);
  if (!plan) return std::unexpected(plan.error());
  PlanActions actions = sort_plan(*plan);
  actions.describes.insert("DescribeTags");  // discovery lists tagged resources with it
  for (const auto& type : resource_types()) {
    actions.describes.insert(type.describe);
    actions.mutations.insert(type.remove);
  }
  for (const char* action : k_other_mutating) actions.mutations.insert(action);

  Names regions(profile.aws.regions.begin(), profile.aws.regions.end());
  regions.insert(profile.aws.region);
  const Json region_condition = {{"ec2:Region", array_of(regions)}};
  const std::string run_tag = std::string(k_tag_run_id);

  Json created_arns = Json::array();
  for (const auto& type : actions.created_types) created_arns.push_back(arn(type));

  Json tag_keys = Json::array({"routerd.cloudedge.*", "Name", "role", "site"});
  Json statements = Json::array();
  statements.push_back(statement("LabctlDescribe", actions.describes, "*",
                                 {{"StringEquals", region_condition}}));
  statements.push_back(statement(
      "LabctlCreateOnlyTagged", actions.creates, created_arns,
      {{"StringEquals", region_condition},
       {"Null", {{"aws:RequestTag/" + run_tag, "false"}}},
       {"ForAllValues:StringLike", {{"aws:TagKeys", tag_keys}}}}));
  // Each create call may also use the existing resources it names, and only those.
  for (const auto& [action, types] : actions.used_types) {
    Json used_arns = Json::array();
    for (const auto& type : types) used_arns.push_back(arn(type));
    statements.push_back(statement("Labctl" + action + "UsingExisting", {action}, used_arns,
                                   {{"StringEquals", region_condition}}));
  }
  Json create_tags_condition = {{"StringEquals", region_condition}};
  create_tags_condition["StringEquals"]["ec2:CreateAction"] = array_of(actions.creates);
  statements.push_back(
      statement("LabctlTagOnCreate", {"CreateTags"}, "*", std::move(create_tags_condition)));
  statements.push_back(statement("LabctlMutateOwnTagged", actions.mutations, "*",
                                 {{"StringEquals", region_condition},
                                  {"Null", {{"aws:ResourceTag/" + run_tag, "false"}}}}));
  return Json{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

Expected<Json> iam_policy_for_profile(const profile::Profile& profile, state::Store& store,
                                      Clock& clock) {
  if (std::ranges::find(profile.providers, "aws") == profile.providers.end()) {
    return fail(ExitCode::usage, "iam-policy: profile " + profile.path.string() +
                                     " has no aws provider, so it needs no IAM policy");
  }
  return iam_policy(profile, store, clock);
}

}  // namespace labctl::providers::aws
