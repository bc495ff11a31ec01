#include <algorithm>
#include <optional>
#include <string_view>

#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/azure/azure_resources.hpp"
#include "providers/ipv4.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::azure {
namespace {

// How often the wait for a stopped VM reads its instance view again: from 1 s, doubling up to
// 10 s (a powerOff that ARM reports done usually shows in the first read).
constexpr std::chrono::milliseconds k_power_off_first_poll{1000};
constexpr std::chrono::milliseconds k_power_off_max_poll{10000};

// A GET by id of a resource of kind `kind` ("virtualMachine", "networkInterface", ...): the
// resource, or nullopt when gone. `id` comes from state or from an answer, so it must be a
// well-formed id of that kind before it becomes a request path.
Expected<std::optional<nlohmann::json>> get_of_kind(const ArmClient& client, const std::string& id,
                                                    const char* kind) {
  const ArmKind* found = kind_of_id(id);
  if (found == nullptr || std::string_view(found->kind) != kind) {
    return fail(ExitCode::provider, "failover: \"" + text::printable(id, 200) +
                                        "\" is not the id of an Azure " + kind +
                                        " labctl creates; see labctl runs show");
  }
  auto resource = get_by_id(client, id, *found);
  if (!resource) return std::unexpected(resource.error().to_error());
  return std::move(*resource);
}

// The VM of `row` as ARM shows it now, refused unless it carries the run's run_id tag: the tag
// fence, so a fault never touches a VM the run did not create.
Expected<nlohmann::json> fenced_fault_vm(const RunContext& ctx, const state::ResourceRecord& row,
                                         const ArmClient& client) {
  auto vm = get_of_kind(client, row.cloud_id, "virtualMachine");
  if (!vm) return std::unexpected(vm.error());
  if (!*vm) {
    return fail(ExitCode::provider, "failover: VM " + row.cloud_id + " (" + row.name +
                                        ") no longer exists; see labctl runs show " +
                                        ctx.run.run_id);
  }
  if (tag_value(**vm, k_tag_run_id) != ctx.run.run_id) {
    return fail(ExitCode::refused, "failover: refused: " + row.cloud_id + " is not tagged " +
                                       k_tag_run_id + "=" + ctx.run.run_id);
  }
  return std::move(**vm);
}

std::string power_phrase(const std::string& state) {
  return state.empty() ? "without a power state" : text::printable(state, 40);
}

// The address to reach `vm` at: its first NIC's public IP, else that NIC's private address;
// "" when ARM shows neither.
Expected<std::string> fault_vm_address(const ArmClient& client, const nlohmann::json& vm) {
  using arm_view::member, arm_view::first;
  const std::string nic_id = fields::text_at(
      first(member(member(vm, "properties"), "networkProfile"), "networkInterfaces"), "id");
  if (nic_id.empty()) return std::string();
  auto nic = get_of_kind(client, nic_id, "networkInterface");
  if (!nic) return std::unexpected(nic.error());
  if (!*nic) return std::string();
  const auto& ip_config =
      member(first(member(**nic, "properties"), "ipConfigurations"), "properties");
  if (const std::string pip_id = fields::text_at(member(ip_config, "publicIPAddress"), "id");
      !pip_id.empty()) {
    auto pip = get_of_kind(client, pip_id, "publicIPAddress");
    if (!pip) return std::unexpected(pip.error());
    if (*pip) {
      if (auto address = fields::text_at(member(**pip, "properties"), "ipAddress"); !address.empty()) {
        return address;
      }
    }
  }
  return fields::text_at(ip_config, "privateIPAddress");
}

}  // namespace

Expected<nlohmann::json> power_off_router(const RunContext& ctx, const FaultRequest& request,
                                          const ArmClient& client) {
  auto row = fault_target_row(ctx.store, ctx.run.run_id, "azure", "virtualMachine", request.node);
  if (!row) return std::unexpected(row.error());
  if (auto fenced = fenced_fault_vm(ctx, *row, client); !fenced)
    return std::unexpected(fenced.error());
  const SystemTime requested = ctx.clock.now();
  ArmRequest power_off;
  power_off.method = "POST";
  power_off.path = row->cloud_id + "/powerOff";
  power_off.api_version = k_api_compute;
  auto sent = client.send_and_wait(power_off);
  if (!sent) return std::unexpected(sent.error().to_error());
  log::info("azure.stop", "azure: powerOff " + row->cloud_id + " (" + row->name + ")",
            {{"provider", "azure"}, {"vm", row->cloud_id}, {"node", row->name}});
  auto deadline = ctx.clock.steady_now() + client.limits().wait_timeout;
  if (const auto phase = client.deadline(); phase && *phase < deadline) deadline = *phase;
  auto interval = k_power_off_first_poll;
  while (true) {
    auto state = arm_view::vm_power_state(client, row->cloud_id);
    if (!state) return std::unexpected(state.error());
    if (*state == "stopped") break;
    if (ctx.clock.steady_now() >= deadline) {
      return fail(ExitCode::provider,
                  "failover: VM " + row->cloud_id + " is " + power_phrase(*state) +
                      ", not stopped, after its powerOff (waited CE_AZURE_WAIT_TIMEOUT, or the "
                      "phase's CE_AZURE_COMMAND_TIMEOUT)");
    }
    if (!ctx.clock.sleep_for(interval)) return fail(ExitCode::interrupted, "failover: interrupted");
    interval = std::min(interval * 2, k_power_off_max_poll);
  }
  const SystemTime stopped = ctx.clock.now();
  return nlohmann::json{{"fault", "stop-active"},
                        {"node", row->name},
                        {"site", row->attrs.value("site", "")},
                        {"vm", row->cloud_id},
                        {"powerState", "stopped"},
                        {"stopRequestedAt", format_rfc3339_ms(requested)},
                        {"stoppedAt", format_rfc3339_ms(stopped)}};
}

Expected<nlohmann::json> node_fault_on_router(const RunContext& ctx, const FaultRequest& request,
                                              NodeFaultStep step, const ArmClient& client,
                                              const EnvLookup& env) {
  auto command = node_fault_command(ctx.profile, request.fault);
  if (!command) return std::unexpected(command.error());
  auto row = fault_target_row(ctx.store, ctx.run.run_id, "azure", "virtualMachine", request.node);
  if (!row) return std::unexpected(row.error());
  auto vm = fenced_fault_vm(ctx, *row, client);
  if (!vm) return std::unexpected(vm.error());
  auto state = arm_view::vm_power_state(client, row->cloud_id);
  if (!state) return std::unexpected(state.error());
  if (*state != "running") {
    return fail(ExitCode::provider, "failover: " + request.fault + " runs on " + row->name +
                                        " over SSH, but VM " + row->cloud_id + " is " +
                                        power_phrase(*state) +
                                        ", not running; start it or pick another --node");
  }
  // The address ARM reports now (a dynamic public IP changes when the VM is deallocated).
  auto address = fault_vm_address(client, *vm);
  if (!address) return std::unexpected(address.error());
  if (!is_ipv4(*address)) {
    return fail(ExitCode::provider, "failover: VM " + row->cloud_id +
                                        " has no usable IPv4 address (ARM answered \"" +
                                        text::printable(*address, 64) + "\")");
  }
  auto settings = strict_ssh_settings(env, run_ssh_meta(ctx.store, ctx.run.run_id),
                                      {"", "", ctx.profile.azure.ssh_user});
  if (!settings) return std::unexpected(settings.error());
  auto detail = run_node_fault(
      {"azure", row->name, row->attrs.value("role", ""), {*address, 22, settings->user}},
      request.fault, *command, step, settings->session, ctx.clock);
  if (!detail) return std::unexpected(detail.error());
  (*detail)["vm"] = row->cloud_id;
  return detail;
}

}  // namespace labctl::providers::azure
