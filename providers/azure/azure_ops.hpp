#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "providers/azure/arm_client.hpp"
#include "providers/node_faults.hpp"
#include "providers/provider.hpp"

// The halves of the azure provider; azure_provider.cpp wires them into the Provider interface,
// each file keeps one concern.
//
// A run's Azure lab is one resource group, `<prefix>-<run-id>`, in the profile's region; every
// resource in it carries the five routerd.cloudedge.* tags (and `Name`, `role` on node
// resources). State rows: resource_kind is the ARM type's short name (resourceGroup,
// virtualNetwork, networkSecurityGroup, publicIPAddress, networkInterface, virtualMachine),
// cloud_id the full ARM resource id (/subscriptions/.../resourceGroups/.../providers/...),
// region the location.
namespace labctl::providers::azure {

// The run's resource group: "<resource_group_prefix>-<run-id>".
[[nodiscard]] std::string resource_group_name(const profile::Profile& profile,
                                              const std::string& run_id);

// The plan of `up`: one operation per ARM call, in order — PUT resource group, NSG (SSH from
// operator_cidr only), VNet with its subnet, then per node a public IP, a NIC (routers:
// enableIPForwarding) and a Linux VM with the run's SSH public key. Operation::action is the
// method ("PUT"), params {"path", "api-version", "body"} exactly as sent (the SSH public key
// as the placeholder "{{ssh_public_key}}" until apply generates the key pair).
// `subscription` is the resolved subscription id.
[[nodiscard]] Expected<Plan> plan_lab(const RunContext& ctx, const std::string& subscription);

// Runs the plan live: intent row before every PUT, each PUT waited to provisioningState
// Succeeded (ArmClient::send_and_wait), then every VM's addresses read back and recorded with
// its role (attrs.node for the matrix, as aws does), and the resources described again to add
// any of the five tags the endpoint dropped (warning "endpoint dropped create-time tags on
// <id>; added").
[[nodiscard]] Expected<void> apply_lab(const RunContext& ctx, const Plan& plan,
                                       const ArmClient& client);

// Deletes the run's resource group: tag fence first (the group must carry this run's
// routerd.cloudedge.run_id, else ExitCode::refused and nothing is deleted), one long-running
// DELETE (409 retried with backoff up to limits().conflict_retries), then confirmed by a GET
// (404) and by a tag query over the subscription that nothing tagged with the run remains
// (stray resources outside the group are deleted one by one behind the same fence). Marks the
// rows deleted, or failed for the next down.
[[nodiscard]] Expected<void> teardown_lab(const RunContext& ctx,
                                          const std::vector<state::ResourceRecord>& rows,
                                          const ArmClient& client,
                                          const std::string& subscription);

// The subscriptions the credentials can see (GET /subscriptions, all pages); the janitor scans
// each. AZURE_SUBSCRIPTION_ID, when set, limits the scan to that one.
[[nodiscard]] Expected<std::vector<std::string>> janitor_subscriptions(const ArmClient& client,
                                                                      const EnvLookup& env);

// Resource groups and stray resources tagged routerd.cloudedge.run_id in `subscriptions`
// (Resource Graph), each hit confirmed by a GET of the resource itself (gone: confirmed_gone).
[[nodiscard]] Expected<Discovery> discover_tagged(const DiscoverQuery& query,
                                                  const std::vector<std::string>& subscriptions,
                                                  const ArmClient& client);

// stop-active: POST .../powerOff on the run's active router VM (role router-a, else router; or
// request.node), behind the tag fence, waited until the VM's power state is stopped.
[[nodiscard]] Expected<nlohmann::json> power_off_router(const RunContext& ctx,
                                                       const FaultRequest& request,
                                                       const ArmClient& client);

// A node fault on the run's active router over SSH (providers/node_faults.hpp), at the address
// ARM reports, host key checked strictly.
[[nodiscard]] Expected<nlohmann::json> node_fault_on_router(const RunContext& ctx,
                                                           const FaultRequest& request,
                                                           NodeFaultStep step,
                                                           const ArmClient& client,
                                                           const EnvLookup& env);

// `iam-policy --provider azure`: a custom role definition (Name, IsCustom, Description,
// Actions: exactly the Microsoft.* operations `plan` and teardown/discovery/faults use,
// AssignableScopes: /subscriptions/<subscription>).
[[nodiscard]] nlohmann::ordered_json role_definition(const Plan& plan,
                                                     const std::string& subscription);

// evidence's providers.azure.providerState from ARM's view of the run (read-only).
[[nodiscard]] Expected<nlohmann::json> judge_state(const RunContext& ctx,
                                                   const ArmClient& client,
                                                   const std::string& subscription);

}  // namespace labctl::providers::azure
