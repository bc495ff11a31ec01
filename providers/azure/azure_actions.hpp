#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "core/error.hpp"
#include "providers/action_contract.hpp"
#include "providers/azure/arm_client.hpp"

// The azure provider's actions (the contract in providers/action_contract.hpp) on ARM network
// interfaces (Microsoft.Network 2022-07-01). Target.nic_ref is the NIC's ARM resource id;
// Target.address a private IPv4, bare or as a /32.
namespace labctl::providers::azure {

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
[[nodiscard]] ActionRunner make_azure_runner(std::shared_ptr<ArmClientFactory> factory,
                                             bool live);

}  // namespace labctl::providers::azure
