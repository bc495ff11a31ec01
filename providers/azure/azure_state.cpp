#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/azure/azure_resources.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::azure {

Expected<nlohmann::json> judge_state(const RunContext& ctx, const ArmClient& client,
                                     const std::string& subscription) {
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  auto stopped = stopped_by_fault(ctx.store, ctx.run.run_id, "azure");
  if (!stopped) return std::unexpected(stopped.error());
  std::vector<std::string> problems;

  // The group: the one the run recorded, else the one its profile names.
  std::string group_id = "/subscriptions/" + subscription + "/resourceGroups/" +
                         resource_group_name(ctx.profile, ctx.run.run_id);
  for (const auto& row : *rows) {
    if (row.provider == "azure" && row.kind == "resourceGroup" && !row.cloud_id.empty()) {
      group_id = row.cloud_id;
    }
  }
  const ArmKind* group_kind = kind_of_id(group_id);
  if (group_kind == nullptr || std::string_view(group_kind->kind) != "resourceGroup") {
    return fail(ExitCode::provider,
                "azure: the run's resource group id \"" + text::printable(group_id, 200) +
                    "\" is not a resource group id; see labctl runs show " + ctx.run.run_id);
  }
  auto group = get_by_id(client, group_id, *group_kind);
  if (!group) return std::unexpected(group.error().to_error());
  const bool group_exists = group->has_value();
  if (!group_exists) {
    problems.push_back("resource group " + group_id + ": does not exist");
  } else if (auto wrong = tag_problem(arm_view::tags(**group), ctx.tags); !wrong.empty()) {
    problems.push_back("resource group " + group_id + ": " + wrong);
  }

  nlohmann::json vms = nlohmann::json::array();
  for (const auto& row : *rows) {
    if (row.provider != "azure" || row.kind != "virtualMachine" ||
        row.state == state::k_res_deleted) {
      continue;
    }
    const std::string what = "VM " + row.name + " (" + row.cloud_id + ")";
    if (row.cloud_id.empty()) {
      problems.push_back("VM " + row.name + ": recorded as " + row.state +
                         " without an id (its create was never confirmed); run `labctl down`");
      continue;
    }
    const ArmKind* kind = kind_of_id(row.cloud_id);
    if (kind == nullptr || std::string_view(kind->kind) != "virtualMachine") {
      problems.push_back("VM " + row.name + ": its recorded id is not a VM id");
      continue;
    }
    const std::string expected = stopped->contains(row.name) ? "stopped" : "running";
    auto vm = get_by_id(client, row.cloud_id, *kind);
    if (!vm) return std::unexpected(vm.error().to_error());
    if (!*vm) {
      vms.push_back(
          {{"node", row.name}, {"vm", row.cloud_id}, {"exists", false}, {"expected", expected}});
      problems.push_back(what + ": does not exist");
      continue;
    }
    auto power_raw = arm_view::vm_power_state(client, row.cloud_id);
    if (!power_raw) return std::unexpected(power_raw.error());
    const std::string provisioning = text::printable(
        fields::text_at(arm_view::member(**vm, "properties"), "provisioningState"), 40);
    const std::string power = power_raw->empty() ? "unknown" : text::printable(*power_raw, 40);
    vms.push_back({{"node", row.name},
                   {"vm", row.cloud_id},
                   {"exists", true},
                   {"provisioningState", provisioning},
                   {"powerState", power},
                   {"expected", expected}});
    if (provisioning != "Succeeded") {
      problems.push_back(what + ": provisioningState " + provisioning + ", expected Succeeded");
    }
    if (power != expected) problems.push_back(what + ": " + power + ", expected " + expected);
    if (auto wrong = tag_problem(arm_view::tags(**vm), ctx.tags); !wrong.empty()) {
      problems.push_back(what + ": " + wrong);
    }
  }

  nlohmann::json stopped_nodes = nlohmann::json::array();
  for (const auto& node : *stopped) stopped_nodes.push_back(node);
  return nlohmann::json{{"providerState", problems.empty() ? "pass" : "fail"},
                        {"detail",
                         {{"runId", ctx.run.run_id},
                          {"resourceGroup", {{"id", group_id}, {"exists", group_exists}}},
                          {"virtualMachines", std::move(vms)},
                          {"stoppedByFault", std::move(stopped_nodes)},
                          {"problems", problems}}}};
}

}  // namespace labctl::providers::azure
