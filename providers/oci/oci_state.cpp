#include <map>
#include <string>
#include <vector>

#include "core/action_journal.hpp"
#include "core/json_fields.hpp"
#include "core/text.hpp"
#include "providers/oci/oci_actions.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::oci {
namespace {

// A service address the journal says a VNIC holds: replayed in journal order, a capture
// (assign-secondary-ip that succeeded, or succeeded and was later rolled back) gives the
// address to its VNIC, a succeeded unassign-secondary-ip of the address on that VNIC (an
// undo's included) releases it.
Expected<std::map<std::string, std::string>> journal_holders(state::Store& store,
                                                             const std::string& run_id) {
  auto rows = journal::list(store, run_id);
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, std::string> held;  // address -> VNIC OCID
  for (const auto& row : *rows) {
    if (row.provider != "oci" || row.address.empty()) continue;
    const std::string vnic = fields::text_at(row.target, "nicRef");
    if (row.action == k_assign &&
        (row.status == journal::k_succeeded || row.status == journal::k_rolled_back)) {
      held[row.address] = vnic;
    } else if (row.action == k_unassign && row.status == journal::k_succeeded) {
      if (const auto it = held.find(row.address); it != held.end() && it->second == vnic) {
        held.erase(it);
      }
    }
  }
  return held;
}

}  // namespace

Expected<nlohmann::json> judge_state(const RunContext& ctx, const OciClient& client) {
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  auto stopped = stopped_by_fault(ctx.store, ctx.run.run_id, "oci");
  if (!stopped) return std::unexpected(stopped.error());
  std::vector<std::string> problems;
  nlohmann::json checked = nlohmann::json::array();
  nlohmann::json instances = nlohmann::json::array();
  std::map<std::string, std::string> router_vnics;  // VNIC OCID -> node

  for (const auto& row : *rows) {
    if (row.provider != "oci" || row.state == state::k_res_deleted) continue;
    const std::string what = row.kind + " " + row.name + " (" + row.cloud_id + ")";
    if (row.cloud_id.empty()) {
      problems.push_back(row.kind + " " + row.name + ": recorded as " + row.state +
                         " without an OCID (its create was never confirmed); run `labctl down`");
      continue;
    }
    const OciKind* kind = kind_named(row.kind);
    if (kind == nullptr || kind_of_ocid(row.cloud_id) != kind) {
      problems.push_back(what + ": its recorded OCID is not the OCID of a " + row.kind);
      continue;
    }
    auto live = get_by_id(client, *kind, row.cloud_id);
    if (!live) return std::unexpected(live.error().to_error());
    const bool is_instance = std::string_view(kind->kind) == "instance";
    const std::string expected = stopped->contains(row.name) ? "STOPPED" : "RUNNING";
    if (!*live) {
      if (is_instance) {
        instances.push_back({{"node", row.name},
                             {"instance", row.cloud_id},
                             {"exists", false},
                             {"expected", expected}});
      }
      problems.push_back(what + ": does not exist");
      continue;
    }
    checked.push_back({{"kind", row.kind}, {"id", row.cloud_id}});
    if (auto wrong = tag_problem(freeform_tags(**live), ctx.tags); !wrong.empty()) {
      problems.push_back(what + ": " + wrong);
    }
    if (!is_instance) continue;
    const std::string state = text::printable(fields::text_at(**live, "lifecycleState"), 40);
    instances.push_back({{"node", row.name},
                         {"instance", row.cloud_id},
                         {"exists", true},
                         {"lifecycleState", state},
                         {"expected", expected}});
    if (state != expected) problems.push_back(what + ": " + state + ", expected " + expected);
    // The instance's primary VNIC carries the run's tags too (apply_lab adds any dropped).
    const std::string vnic_id = fields::text_at(row.attrs, "vnicId");
    if (!is_ocid_of(vnic_id, "vnic")) continue;
    if (fields::text_at(row.attrs, "role").starts_with("router")) router_vnics[vnic_id] = row.name;
    if (state != "RUNNING" && state != "STOPPED") continue;
    auto vnic = describe_vnic(client, vnic_id);
    if (!vnic) {
      problems.push_back("VNIC " + vnic_id + " of " + row.name + ": " + vnic.error().message);
      continue;
    }
    checked.push_back({{"kind", "vnic"}, {"id", vnic_id}});
    if (auto wrong = tag_problem(vnic->tags, ctx.tags); !wrong.empty()) {
      problems.push_back("VNIC " + vnic_id + " of " + row.name + ": " + wrong);
    }
  }

  // Every service address held by the VNIC the journal says, or, when that VNIC's router was
  // stopped by a recorded stop-active, by another router VNIC of the run (the failover took it).
  auto services = journal_holders(ctx.store, ctx.run.run_id);
  if (!services) return std::unexpected(services.error());
  nlohmann::json addresses = nlohmann::json::array();
  for (const auto& [address, expected_vnic] : *services) {
    const std::string what = "service address " + address;
    const auto router = router_vnics.find(expected_vnic);
    const std::string node = router == router_vnics.end() ? "" : router->second;
    auto vnic = describe_vnic(client, expected_vnic);
    if (!vnic) {
      problems.push_back(what + ": the journal's holder " + text::printable(expected_vnic, 255) +
                         " cannot be read: " + vnic.error().message);
      continue;
    }
    auto holder = private_ip_at(client, vnic->subnet_id, address);
    if (!holder) return std::unexpected(holder.error());
    const std::string held_by = *holder ? (*holder)->vnic_id : "";
    addresses.push_back(
        {{"address", address},
         {"expectedVnic", expected_vnic},
         {"expectedNode", node},
         {"heldBy", held_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(held_by)}});
    if (held_by == expected_vnic) continue;
    const auto taker = router_vnics.find(held_by);
    if (!held_by.empty() && stopped->contains(node) && taker != router_vnics.end()) continue;
    problems.push_back(what + (held_by.empty() ? ": held by no VNIC" : ": held by " + held_by) +
                       "; the journal says " + expected_vnic +
                       (node.empty() ? "" : " (" + node + ")"));
  }

  nlohmann::json stopped_nodes = nlohmann::json::array();
  for (const auto& node : *stopped) stopped_nodes.push_back(node);
  return nlohmann::json{{"providerState", problems.empty() ? "pass" : "fail"},
                        {"detail",
                         {{"runId", ctx.run.run_id},
                          {"checked", std::move(checked)},
                          {"instances", std::move(instances)},
                          {"serviceAddresses", std::move(addresses)},
                          {"stoppedByFault", std::move(stopped_nodes)},
                          {"problems", problems}}}};
}

}  // namespace labctl::providers::oci
