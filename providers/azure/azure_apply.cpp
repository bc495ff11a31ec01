#include <algorithm>
#include <functional>

#include "core/interrupt.hpp"
#include "core/json_fields.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/azure/azure_resources.hpp"
#include "providers/ipv4.hpp"
#include "providers/run_facts.hpp"
#include "providers/run_key.hpp"

namespace labctl::providers::azure {
// Named inside the anonymous namespace: unity builds put several files of this folder in one
// translation unit.
namespace {
namespace up_apply {

constexpr std::string_view k_key_placeholder = "{{ssh_public_key}}";

// One resource this apply created: its operation, state row and ARM id.
struct Created {
  const Operation* op = nullptr;
  long long row_id = 0;
  std::string id;
};

std::string path_of(const Operation& op) { return op.params.value("path", ""); }
std::string api_of(const Operation& op) { return op.params.value("api-version", ""); }
std::string what(const Operation& op) { return op.resource_kind + " " + op.resource_name; }

// The plan's body with the run's public key in place of "{{ssh_public_key}}".
nlohmann::json with_public_key(const nlohmann::ordered_json& planned, const std::string& key) {
  nlohmann::json body = nlohmann::json::parse(planned.dump());
  std::function<void(nlohmann::json&)> fill = [&](nlohmann::json& node) {
    if (node.is_string() && node.get<std::string>() == k_key_placeholder) node = key;
    if (node.is_structured()) {
      for (auto& child : node) fill(child);
    }
  };
  fill(body);
  return body;
}

// The created resource's ARM id from a PUT's final answer: it must be the path labctl sent
// (ARM ids are case-insensitive), and the resource Succeeded.
Expected<std::string> created_id(const Operation& op, const ArmResponse& response) {
  const std::string id = fields::text_at_pointer(response.body, "/id");
  if (!same_id(id, path_of(op))) {
    return fail(ExitCode::provider, "azure: PUT " + what(op) + ": the answer names resource \"" +
                                        text::printable(id, 200) + "\", not " + path_of(op) +
                                        "; check CE_AZURE_ARM_ENDPOINT");
  }
  const std::string state = fields::text_at_pointer(response.body, "/properties/provisioningState");
  if (state != "Succeeded") {
    return fail(ExitCode::provider,
                "azure: " + what(op) + " ended in provisioningState \"" +
                    text::printable(state, 40) +
                    "\" (want Succeeded); see the resource group's activity log in Azure, "
                    "then labctl down");
  }
  return id;
}

const Operation* op_at(const Plan& plan, const std::string& path) {
  const auto it = std::ranges::find_if(
      plan.operations, [&](const Operation& op) { return path_of(op) == path; });
  return it == plan.operations.end() ? nullptr : &*it;
}

ArmResult<ArmResponse> get(const ArmClient& client, const std::string& path,
                           const std::string& api_version) {
  ArmRequest request;
  request.path = path;
  request.api_version = api_version;
  return client.send(request);
}

// Reads every VM's private address (its NIC, as planned) and public address (the NIC's planned
// public IP) and records the node as the matrix, deploy and node faults read it (attrs.node,
// the same shape aws records).
Expected<void> record_addresses(const RunContext& ctx, const Plan& plan, const ArmClient& client,
                                const std::vector<Created>& created) {
  for (const auto& made : created) {
    if (made.op->resource_kind != "virtualMachine") continue;
    const std::string nic_path = made.op->params.at("body")
                                     .at("properties")
                                     .at("networkProfile")
                                     .at("networkInterfaces")
                                     .at(0)
                                     .value("id", "");
    const Operation* nic_op = op_at(plan, nic_path);
    if (nic_op == nullptr) {
      return fail(ExitCode::provider, "azure: the plan has no NIC " + nic_path + " for VM " +
                                          made.op->resource_name);
    }
    const std::string pip_path = nic_op->params.at("body")
                                     .at("properties")
                                     .at("ipConfigurations")
                                     .at(0)
                                     .at("properties")
                                     .at("publicIPAddress")
                                     .value("id", "");
    auto nic = get(client, nic_path, api_of(*nic_op));
    if (!nic) return std::unexpected(nic.error().to_error());
    const std::string private_ip =
        fields::text_at_pointer(nic->body,
                                "/properties/ipConfigurations/0/properties/privateIPAddress");
    if (!is_ipv4(private_ip)) {
      return fail(ExitCode::provider, "azure: NIC " + nic_op->resource_name +
                                          " reports no valid private address (\"" +
                                          text::printable(private_ip, 60) + "\")");
    }
    auto pip = get(client, pip_path, api_of(*nic_op));
    if (!pip) return std::unexpected(pip.error().to_error());
    std::string public_ip = fields::text_at_pointer(pip->body, "/properties/ipAddress");
    if (!public_ip.empty() && !is_ipv4(public_ip)) {
      log::warn("azure.address", "azure: ignoring malformed public address \"" +
                                     text::printable(public_ip, 60) + "\" of " + pip_path);
      public_ip.clear();
    }
    const nlohmann::json attrs =
        machine_attrs(ctx.profile, node_facts(ctx.profile, "azure", made.op->resource_name),
                      made.op->resource_name, {private_ip, public_ip, "nicId", nic_path},
                      ctx.profile.azure.ssh_user);
    if (auto merged = ctx.store.merge_attrs(made.row_id, attrs); !merged) return merged;
  }
  return {};
}

// Makes sure every resource this apply created carries the run's five tags, whatever the
// endpoint did with the create's `tags`: each is read again; one missing any of the five (or
// carrying another value) gets them through the Microsoft.Resources tags API at its scope
// (PATCH <id>/providers/Microsoft.Resources/tags/default, operation Merge: one request shape for
// every resource type, and the tags it carries otherwise are kept), with a warning, and is read
// once more; still untagged is an error naming it.
// No intent row: this creates nothing and touches only resources whose rows are in state.
Expected<void> ensure_tagged(const RunContext& ctx, const ArmClient& client,
                             const std::vector<Created>& created) {
  const auto wanted = ctx.tags.pairs();
  const auto tagged = [&](const nlohmann::json& body) {
    return std::ranges::all_of(
        wanted, [&](const auto& tag) { return tag_value(body, tag.first) == tag.second; });
  };
  nlohmann::json five = nlohmann::json::object();
  for (const auto& [key, value] : wanted) five[key] = value;
  for (const auto& made : created) {
    const std::string api = api_of(*made.op);
    auto live = get(client, made.id, api);
    if (!live) return std::unexpected(live.error().to_error());
    if (tagged(live->body)) continue;
    const std::string printable_id = text::printable(made.id, 300);
    ArmRequest patch;
    patch.method = "PATCH";
    patch.path = made.id + "/providers/Microsoft.Resources/tags/default";
    patch.api_version = k_api_resources;
    patch.body = nlohmann::json{{"operation", "Merge"}, {"properties", {{"tags", five}}}};
    if (auto sent = client.send_and_wait(patch); !sent) {
      return std::unexpected(sent.error().to_error());
    }
    log::warn("azure.tags", "azure: endpoint dropped create-time tags on " + printable_id +
                                "; added",
              {{"kind", made.op->resource_kind}, {"id", printable_id}});
    auto again = get(client, made.id, api);
    if (!again) return std::unexpected(again.error().to_error());
    if (!tagged(again->body)) {
      return fail(ExitCode::provider, "azure: " + printable_id +
                                          " still lacks the run's five tags after adding them; "
                                          "tear the run down (labctl down) and check the "
                                          "endpoint");
    }
  }
  return {};
}

}  // namespace up_apply
}  // namespace

Expected<void> apply_lab(const RunContext& ctx, const Plan& plan, const ArmClient& client) {
  using namespace up_apply;
  if (ctx.dry_run || !client.live()) {
    return fail(ExitCode::refused, "azure: up is a dry run here; nothing was sent (set "
                                   "CE_DRY_RUN=0 to create the lab)");
  }
  auto public_key = run_public_key(ctx, "azure", ctx.profile.azure.ssh_user);
  if (!public_key) return std::unexpected(public_key.error());

  const auto total = static_cast<std::size_t>(std::ranges::count_if(
      plan.operations, [](const Operation& op) { return op.mutating; }));
  std::vector<Created> created;
  for (const auto& op : plan.operations) {
    if (!op.mutating) continue;
    if (interrupt::requested()) return fail(ExitCode::interrupted, "azure: interrupted");
    ArmRequest request;
    request.method = op.action;
    request.path = path_of(op);
    request.api_version = api_of(op);
    request.body = with_public_key(op.params.at("body"), *public_key);

    state::ResourceRecord row;
    row.run_id = ctx.run.run_id;
    row.provider = "azure";
    row.kind = op.resource_kind;
    row.name = op.resource_name;
    row.region = op.region;
    row.request = {{"method", request.method},
                   {"path", request.path},
                   {"api-version", request.api_version},
                   {"body", *request.body}};
    if (op.resource_kind == "virtualMachine") {
      row.attrs = node_facts(ctx.profile, "azure", op.resource_name);
    }
    auto row_id = ctx.store.record_intent(row);
    if (!row_id) return std::unexpected(row_id.error());

    log::info("azure.send", "azure: PUT " + what(op) + " (" + op.region + ")",
              {{"kind", op.resource_kind}, {"name", op.resource_name}});
    auto response = client.send_and_wait(request);
    if (!response) {
      // Left as "intent": the PUT may have taken effect; down removes the whole group.
      (void)ctx.store.set_resource_state(*row_id, state::k_res_intent,
                                         response.error().describe());
      return std::unexpected(response.error().to_error());
    }
    auto id = created_id(op, *response);
    if (!id) {
      (void)ctx.store.set_resource_state(*row_id, state::k_res_intent, id.error().message);
      return std::unexpected(id.error());
    }
    if (auto marked = ctx.store.mark_created(*row_id, *id, row.attrs); !marked) return marked;
    created.push_back({&op, *row_id, *id});
    log::info("azure.ready", "azure: " + what(op) + " ready (resources " +
                                 std::to_string(created.size()) + "/" + std::to_string(total) +
                                 ")",
              {{"kind", op.resource_kind}, {"name", op.resource_name}});
  }
  if (auto recorded = record_addresses(ctx, plan, client, created); !recorded) return recorded;
  return ensure_tagged(ctx, client, created);
}

}  // namespace labctl::providers::azure
