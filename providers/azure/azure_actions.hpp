#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/state_store.hpp"
#include "providers/action_contract.hpp"
#include "providers/azure/arm_client.hpp"

// The azure provider's actions (the contract in providers/action_contract.hpp) on ARM network
// interfaces (Microsoft.Network 2022-07-01). Target.nic_ref is the NIC's ARM resource id;
// Target.address a private IPv4, bare or as a /32.
namespace labctl::providers::azure {

// `/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/
// networkInterfaces/<name>` (fixed segments case-insensitive, as ARM treats them; at most 512
// bytes); the names hold only ARM's name characters and are never "." or "..", so the id cannot
// reach another path or carry a query. is_subnet_id: the same for
// `.../virtualNetworks/<vnet>/subnets/<name>`.
[[nodiscard]] bool is_nic_id(std::string_view id);
[[nodiscard]] bool is_subnet_id(std::string_view id);

// A NIC as GET .../networkInterfaces/<name> reports it.
struct NicState {
  std::string id;
  bool ip_forwarding = false;  // properties.enableIPForwarding
  std::string primary_ip;      // the primary ipConfiguration's private address
  std::string subnet_id;       // the primary ipConfiguration's subnet
  std::vector<std::string> secondary_ips;
  std::map<std::string, std::string> tags;
  nlohmann::json resource;  // the answer as it came: the base of the PUT that changes the NIC

  [[nodiscard]] bool holds(const std::string& address) const;
};

// Describes one NIC (read-only; allowed in dry-run). An answer for another resource, or
// without the shape a NIC has (properties.ipConfigurations, each with a string privateIPAddress
// and the primary one's subnet id), is an error: nothing is changed on a guess.
[[nodiscard]] Expected<NicState> describe_nic(const ArmClient& client, const std::string& nic_id);

// The body that PUTs `resource` (a NIC as GET returned it) back: the answer minus the
// properties the NetworkInterface and NetworkInterfaceIPConfiguration models mark read-only
// (etag, provisioningState, macAddress, virtualMachine, ...), which ARM's validation rejects.
[[nodiscard]] nlohmann::json nic_put_body(const nlohmann::json& resource);

// The ARM clients of one action. GETs go through `reader`; every PUT through `writer`, which
// must retry nothing but throttling (RetryPolicy::throttling_only): a PUT that got no clear
// answer (a reset, a timeout, a 5xx) may have been applied, and resending it would be a blind
// retry of an ambiguous result (runbook §8).
struct ArmClients {
  const ArmClient& reader;
  const ArmClient& writer;
};

// Performs `request` against ARM, read-only in dry-run mode. The rules are aws's (perform_aws):
// the tag fence (the NIC must carry `run_id`'s routerd.cloudedge.run_id tag; empty run_id: some
// lab run's), the prior state described BEFORE any mutation and returned in observed, every
// PUT waited (send_and_wait) and the NIC described again after it — a result that does not
// show the change, or a PUT without a clear answer, is an ambiguous result (hard stop, never
// retried); an operation that ended Failed/Canceled is a clear failure (ExitCode::provider).
//   assign-secondary-ip adds the ipConfiguration "labctl-<a-b-c-d>" (Static, the primary's
//     subnet); refuses an address the NIC already holds. Azure has no AllowReassignment, so a
//     seize (parameters.allowReassignment) first removes the address from
//     parameters.previousHolder (fenced the same way, described before and after; never its
//     primary address) and then adds it: both PUTs are this one action, so they share its
//     journal row and ownership epoch; observed holds both priors.
//   unassign-secondary-ip removes the ipConfiguration holding the address; refuses one the NIC
//     no longer holds (drift) and the primary address.
//   ensure-forwarding-enabled sets enableIPForwarding=true and records the contract's
//     priorSourceDestCheck (= !enableIPForwarding before); ensure-forwarding-disabled restores
//     enableIPForwarding=false only when priorSourceDestCheck is true (else skipped), and
//     refuses when the NIC no longer shows enableIPForwarding=true (drift).
[[nodiscard]] Outcome perform_azure(const ArmClients& clients, const ActionRequest& request,
                                    const std::string& run_id);

// The ActionRunner of provider azure: the reader is `factory`'s client(live), the writer its
// writer(live), which retries only throttling (`live` false: both refuse every mutation,
// whatever the request's mode). A scoped credentials profile (aws's executor-fail fault) does
// not exist on Azure: refused.
[[nodiscard]] ActionRunner make_azure_runner(std::shared_ptr<ArmClientFactory> factory, bool live);

// `preflight` (runbook §4 on Azure, read-only; allowed in dry-run): describes the target NIC
// and its subnet, and reads every NIC of the subscription (GET .../providers/Microsoft.Network/
// networkInterfaces, all pages) for an IP configuration in the NIC's virtual network holding
// target.address. Checks: nic-is-lab-resource (the NIC carries run `run_id`'s
// routerd.cloudedge.run_id), address-not-assigned (no NIC IP configuration in the run's VNet
// holds it, the target's included: Azure has no reassignment), address-in-subnet, and
// forwarding-recorded (what ensure-forwarding-enabled will capture). The document without its
// collectedAt; usage error for a target that is not a NIC id and an address.
[[nodiscard]] Expected<nlohmann::ordered_json> preflight(const ArmClient& client,
                                                         const std::string& run_id,
                                                         const Target& target);

// `iam-policy --executor` on Azure: a custom role holding exactly what the executor's NIC
// actions send (NIC read and write, joining the NIC's subnet, reading the operations it waits
// on), and the scopes to assign it at — each NIC the executor may touch and its subnet, never a
// resource group or the subscription. The NICs are the run's routers' (VM rows with a router
// role, attrs.nicId) plus every NIC the run's journal targeted or took an address from; each is
// described (read-only) and only those carrying the run's routerd.cloudedge.run_id are in the
// policy (the others are listed under "excluded" with the reason). Usage error for a run
// without any.
[[nodiscard]] Expected<nlohmann::ordered_json> executor_role(state::Store& store,
                                                             const std::string& run_id,
                                                             const ArmClient& client);

}  // namespace labctl::providers::azure
