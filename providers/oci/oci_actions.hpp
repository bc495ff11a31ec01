#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/state_store.hpp"
#include "providers/action_contract.hpp"
#include "providers/oci/oci_client.hpp"

// The oci provider's actions (the contract in providers/action_contract.hpp) on VNICs and their
// private IPs (Core 20160918). Target.nic_ref is the VNIC's OCID (is_ocid_of(id, "vnic"), so it
// is always one path segment); Target.address a private IPv4, bare or as a /32.
namespace labctl::providers::oci {

// One private IP as GET /privateIps reports it.
struct PrivateIpState {
  std::string id;  // a privateip OCID (checked: it becomes a request path)
  std::string address;
  std::string vnic_id;
  bool primary = false;
};

// A VNIC as GET /vnics/<id> and GET /privateIps?vnicId=<id> (every page) report it.
struct VnicState {
  std::string id;
  std::string compartment_id;
  bool skip_source_dest_check = false;
  std::string primary_ip;  // the VNIC's privateIp
  std::string subnet_id;
  std::vector<PrivateIpState> secondary_ips;  // isPrimary false
  std::map<std::string, std::string> tags;    // freeform tags

  [[nodiscard]] bool holds(const std::string& address) const;
  [[nodiscard]] std::vector<std::string> secondary_addresses() const;
};

// Describes one VNIC (read-only; allowed in dry-run). An answer for another id, without the
// shape a VNIC has (string privateIp, a subnet OCID, a boolean or absent skipSourceDestCheck),
// or a private IP list naming another VNIC or an id that is not a privateip OCID, is an error
// (ExitCode::provider): nothing is changed on a guess.
[[nodiscard]] Expected<VnicState> describe_vnic(const OciClient& client,
                                                const std::string& vnic_id);

// The private IP of `subnet_id` holding `address` (GET /privateIps?subnetId=&ipAddress=), nullopt
// when none does. Answers for another address or subnet are ignored; two holders, or a holder
// whose id is not a privateip OCID, are an error.
[[nodiscard]] Expected<std::optional<PrivateIpState>> private_ip_at(const OciClient& client,
                                                                    const std::string& subnet_id,
                                                                    const std::string& address);

// The OCI clients of one action. Reads go through `reader`; every mutation through `writer`,
// which must retry nothing but throttling (OciClientFactory::writer): a mutation that got no
// clear answer may have been applied, and resending it would be a blind retry of an ambiguous
// result (runbook §8).
struct OciClients {
  const OciClient& reader;
  const OciClient& writer;
};

// Performs `request` against OCI, read-only in dry-run mode. The rules are aws's and azure's:
// the tag fence (the VNIC must carry `run_id`'s routerd.cloudedge.run_id freeform tag; empty
// run_id: some lab run's), the prior state described BEFORE any mutation and returned in
// observed, the VNIC described again after each mutation — a result that does not show the
// change, or a mutation without a clear answer (no answer, a timeout, a 5xx, an unreadable
// 2xx), is an ambiguous result (hard stop, never retried); a clear error answer is a failure
// (ExitCode::provider, auth and 4xx alike).
//   assign-secondary-ip: POST /privateIps {vnicId, ipAddress, freeformTags: the VNIC's
//     routerd.cloudedge.* tags} with opc-retry-token retry_token(run, "privateIp/<idempotency
//     key>") (a rerun of the same journal row cannot create twice); refuses an address the
//     VNIC already holds. A seize (parameters.allowReassignment) needs
//     parameters.previousHolder (a VNIC OCID): the private IP holding the address in the
//     target's subnet is found (private_ip_at); none: a plain create; held by previousHolder
//     (fenced the same way, described before and after; never its primary): PUT
//     /privateIps/<id> {vnicId: target}, OCI's own move, one call, so it shares the action's
//     journal row and ownership epoch; held by any other VNIC: hard stop (drift).
//     observed.previousHolderHasAddress (the holder described again) is what evidence judges.
//   unassign-secondary-ip: DELETE /privateIps/<id> of the VNIC's secondary private IP holding
//     the address; refuses one the VNIC no longer holds (drift) and its primary address.
//   ensure-forwarding-enabled: PUT /vnics/<id> {skipSourceDestCheck: true}, recording the
//     contract's priorSourceDestCheck (= !skipSourceDestCheck before);
//     ensure-forwarding-disabled: PUT {skipSourceDestCheck: false} only when
//     priorSourceDestCheck is true (else skipped), refused when the VNIC no longer shows
//     skipSourceDestCheck=true (drift).
[[nodiscard]] Outcome perform_oci(const OciClients& clients, const ActionRequest& request,
                                  const std::string& run_id);

// The ActionRunner of provider oci: the reader is `factory`'s client(live), the writer its
// writer(live) (`live` false: both refuse every mutation, whatever the request's mode). A
// scoped credentials profile (aws's executor-fail fault) does not exist on OCI: refused.
[[nodiscard]] ActionRunner make_oci_runner(std::shared_ptr<OciClientFactory> factory, bool live);

// `preflight` (runbook §4 on OCI, read-only; allowed in dry-run): describes the target VNIC,
// its subnet (GET /subnets/<id>) and the private IP holding target.address in that subnet.
// Checks: vnic-is-lab-resource (the VNIC carries run `run_id`'s routerd.cloudedge.run_id),
// address-not-assigned (no private IP of the subnet holds it, or a secondary one on another
// VNIC of the run does: reassignable by a seize; the target's own or a primary never passes),
// address-in-subnet, and forwarding-recorded (what ensure-forwarding-enabled will capture). The
// document without its collectedAt; usage error for a target that is not a VNIC OCID and an
// address.
[[nodiscard]] Expected<nlohmann::ordered_json> preflight(const OciClient& client,
                                                         const std::string& run_id,
                                                         const Target& target);

// `iam-policy --executor` on OCI: the policy statements for exactly what the executor's VNIC
// actions send (VNIC read and update, private IP list/create/update/delete, the subnet
// attach/detach those imply), in each compartment holding one of the VNICs it may touch. The
// VNICs are the run's routers' (instance rows with a router role, attrs.vnicId) plus every VNIC
// the run's journal targeted or took an address from; each is described (read-only) and only
// those carrying the run's routerd.cloudedge.run_id are listed (the others under "excluded"
// with the reason). Usage error for a run without any; ExitCode::refused when none is tagged.
[[nodiscard]] Expected<nlohmann::ordered_json> executor_policy(state::Store& store,
                                                               const std::string& run_id,
                                                               const OciClient& client);

}  // namespace labctl::providers::oci
