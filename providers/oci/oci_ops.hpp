#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "providers/node_faults.hpp"
#include "providers/oci/oci_client.hpp"
#include "providers/provider.hpp"

// The halves of the oci provider; oci_provider.cpp wires them into the Provider interface, each
// file keeps one concern.
//
// A run's OCI lab, in the profile's compartment (default: the tenancy's root compartment): one
// VCN, its internet gateway, a route table (0.0.0.0/0 to the gateway), a security list (SSH from
// operator_cidr only, everything inside the VCN), one public subnet using both, and one instance
// per node (routers: skipSourceDestCheck on the primary VNIC). Every resource carries the five
// routerd.cloudedge.* tags as freeform tags (plus "Name" and, on instances, "role"). State rows:
// resource_kind is an OciKind's kind (providers/oci/oci_resources.hpp), cloud_id the OCID, region
// the region. Instances record attrs {privateIp, publicIp, vnicId, role, node} as aws does.
namespace labctl::providers::oci {

// Where a lab goes: the compartment OCID and the region (the credentials' region; the profile's,
// when given, must match it), and the availability domain ("" until apply asks Identity for the
// region's first one; the plan then shows "{{availability_domain}}").
struct Placement {
  std::string compartment;
  std::string region;
  std::string availability_domain;
};

// The displayName prefix of every resource of run `run_id`: "labctl-<run-id>-" (then "vcn",
// "subnet", ..., or the node's name). Teardown reads it as the second sign of ownership of an
// instance whose tags OCI dropped.
[[nodiscard]] std::string display_name_prefix(const std::string& run_id);

// The plan of `up`: one operation per OCI call, in order — POST /vcns, /internetGateways,
// /routeTables, /securityLists, /subnets, then /instances per node. Operation::action is the
// method ("POST"), params {"service": "core", "path", "body", "retryToken": the logical resource
// ("vcn", "instance/<node>") retry_token() is computed from} exactly as sent; OCIDs learnt from
// earlier operations appear as placeholders "{{vcn}}", "{{internetGateway}}", "{{routeTable}}",
// "{{securityList}}", "{{subnet}}", the SSH public key as "{{ssh_public_key}}", and a missing
// image or availability domain as "{{image}}" / "{{availability_domain}}" with a note (a live up
// refuses a missing image: ExitCode::usage naming oci.image). Checks the profile (operator_cidr
// required unless allow_any_ssh; subnet inside vcn_cidr; compartment and image OCIDs well-formed).
[[nodiscard]] Expected<Plan> plan_lab(const RunContext& ctx, const Placement& where);

// Runs the plan live: the availability domain resolved (GET identity /availabilityDomains) when
// the plan has the placeholder; an intent row before every create (request recorded), each
// create sent with its opc-retry-token, the OCID recorded (mark_created) as soon as the answer
// names it, each resource waited to AVAILABLE (instances RUNNING) with progress; then every
// instance's primary VNIC (GET /vnicAttachments?instanceId=, GET /vnics/<id>) read for its
// addresses and recorded (attrs as above); then every created resource and every instance's
// VNIC read again and any of the five tags the endpoint dropped added (PUT with freeformTags,
// warning "oci: endpoint dropped create-time tags on <ocid>; added").
[[nodiscard]] Expected<void> apply_lab(const RunContext& ctx, const Plan& plan,
                                       const OciClient& client);

// Deletes the given rows of one run in dependency order (instances terminated with
// preserveBootVolume=false and waited TERMINATED, then subnet, route table, security list,
// internet gateway, VCN): the tag fence (fenced()) before every delete; 409 Conflict retried
// with the shared backoff, sleeping on the client's clock, up to k_conflict_retries; each row
// marked deleted only when confirm_gone() shows it gone, else failed for the next down. Then a
// Resource Search for the run's tag: any hit still present (confirmed by GET) is deleted behind
// the same fence, or reported. ExitCode::provider naming what remains.
inline constexpr int k_conflict_retries = 8;
[[nodiscard]] Expected<void> teardown_lab(const RunContext& ctx,
                                          const std::vector<state::ResourceRecord>& rows,
                                          const OciClient& client);

// Resources tagged routerd.cloudedge.run_id (query.run_id's, or any run's) in the tenancy
// (Resource Search covers every compartment), each hit confirmed by get_by_id (gone:
// confirmed_gone); run id and ttl from the resource's own tags; expired_only keeps those whose
// ttl tag is before query.now (compared as a date: core/time.hpp).
[[nodiscard]] Expected<Discovery> discover_tagged(const DiscoverQuery& query,
                                                  const OciClient& client);

// stop-active: POST /instances/<id>?action=STOP on the run's active router (role router-a, else
// router; or request.node), behind the tag fence, waited until STOPPED; the result as aws's.
[[nodiscard]] Expected<nlohmann::json> stop_router(const RunContext& ctx,
                                                  const FaultRequest& request,
                                                  const OciClient& client);

// A node fault on the run's active router over SSH (providers/node_faults.hpp), at the address
// OCI reports for its primary VNIC, host key checked strictly.
[[nodiscard]] Expected<nlohmann::json> node_fault_on_router(const RunContext& ctx,
                                                           const FaultRequest& request,
                                                           NodeFaultStep step,
                                                           const OciClient& client,
                                                           const EnvLookup& env);

// `iam-policy --provider oci`: {"statements": ["Allow group <group> to manage
// virtual-network-family in compartment id <ocid> where ...", ...], "notes": [...]} — exactly
// the resource families `plan`, teardown, discovery and faults use, with tag conditions where
// OCI policy supports them (request.resource... / target.resource.tag is defined tags only:
// freeform tags cannot condition a policy, said in a note).
[[nodiscard]] nlohmann::ordered_json policy_statements(const Plan& plan, const Placement& where);

// evidence's providers.oci.providerState from OCI's view of the run (read-only): every instance
// row RUNNING (or STOPPED when a recorded stop-active stopped it), the service address held by
// the VNIC the journal says, nothing of the run untagged.
[[nodiscard]] Expected<nlohmann::json> judge_state(const RunContext& ctx,
                                                   const OciClient& client);

}  // namespace labctl::providers::oci
