#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/env.hpp"
#include "providers/aws/ec2_client.hpp"
#include "providers/node_faults.hpp"
#include "providers/provider.hpp"

// The live halves of the aws provider (labctl_providers). aws_provider.cpp wires them into the
// Provider interface; each file keeps one concern.
namespace labctl::providers::aws {

// How often a wait (running, terminated, stopped) describes again: from 200 ms, growing by half
// each time up to 5 s — quick for the common fast transition, cheap on the describe bucket for
// the slow ones (instances take seconds to minutes).
inline constexpr std::chrono::milliseconds k_first_poll{200};
[[nodiscard]] inline std::chrono::milliseconds next_poll(std::chrono::milliseconds interval) {
  return std::min(interval * 3 / 2, std::chrono::milliseconds(5000));
}

// The earlier of `bound` from now and the client's deadline: a wait never outlives the phase.
[[nodiscard]] inline std::chrono::steady_clock::time_point wait_until(
    const Clock& clock, const Ec2Client& client, std::chrono::steady_clock::duration bound) {
  const auto own = clock.steady_now() + bound;
  const auto phase = client.deadline();
  return phase && *phase < own ? *phase : own;
}

// How long a describe that fails is asked again before its resources are reported as neither
// confirmed present nor confirmed gone (discovery), or a delete as unconfirmed (teardown).
inline constexpr std::chrono::seconds k_confirm_bound{60};

// Runs the plan: intent row before every mutating call, ids substituted into later calls,
// the private key written 0600 into the run's directory, then waits for every instance to be
// running and records their addresses, ENIs and roles (attrs.node for the matrix). Every
// create that sent TagSpecifications is described afterwards, and the instances' ENIs and root
// volumes too (recorded as rows of their own): whatever lacks one of the five tags gets them
// with CreateTags and a warning ("endpoint dropped create-time tags on ...; added"), so nothing
// labctl created is untagged when this returns.
[[nodiscard]] Expected<void> apply_plan(const RunContext& ctx, const Plan& plan,
                                        Ec2ClientFactory& factory);

// Deletes the run's rows in dependency order (instances -> wait terminated -> network
// interfaces, volumes -> security group -> key pair -> route table -> internet gateway ->
// subnet -> vpc). Only resources whose routerd.cloudedge.run_id tag is this run are touched;
// anything else is refused (ExitCode::refused) and left alone. DependencyViolation is retried
// with backoff up to a bound. Key pairs are deleted by the name labctl gave them (and refused
// if the id's key pair carries another name). A delete answered with success is only marked
// deleted once a describe shows the resource gone (key pairs: filter key-name), asked again up
// to k_confirm_bound; one still described is failed for the next down.
[[nodiscard]] Expected<void> teardown_rows(const RunContext& ctx,
                                           const std::vector<state::ResourceRecord>& rows,
                                           Ec2ClientFactory& factory);

// Resources tagged with routerd.cloudedge.run_id in `regions`, scanned concurrently: DescribeTags
// finds the candidates, and each type's own describe by id (in chunks) decides. A hit the
// describe shows gone (or an instance shutting down or terminated) is counted in
// confirmed_gone; a present one is found, its run id and TTL read from the describe's tags,
// not the index. A describe that keeps failing is asked again up to k_confirm_bound (or the
// phase deadline, through `clock`), then its hits make the discovery fail naming each one.
[[nodiscard]] Expected<Discovery> discover_tagged(const DiscoverQuery& query,
                                                  const std::vector<std::string>& regions,
                                                  Ec2ClientFactory& factory, Clock& clock);

// StopInstances on the run's active router (role router-a, else router), waits for stopped.
[[nodiscard]] Expected<nlohmann::json> stop_active_router(const RunContext& ctx,
                                                         const FaultRequest& request,
                                                         Ec2ClientFactory& factory);

// A node fault (providers/node_faults.hpp) on the run's active router (role router-a, else
// router; or request.node): the instance is described first (tag fence, must be running), then
// the step's command runs over SSH at the address EC2 reports (public, else private), as the
// resolved SSH user with the run's key pair (the run's "ssh" meta), host key checked strictly.
[[nodiscard]] Expected<nlohmann::json> node_fault_on_router(const RunContext& ctx,
                                                           const FaultRequest& request,
                                                           NodeFaultStep step,
                                                           Ec2ClientFactory& factory,
                                                           const EnvLookup& env);

// The regions the janitor scans: CE_AWS_REGIONS (csv, read through `env`), else the profile's
// allowlist, else the union of the shipped profiles' allowlists.
[[nodiscard]] std::vector<std::string> janitor_regions(const EnvLookup& env,
                                                       const profile::Profile* profile);

// The run's directory in the state store's directory (private keys live here, 0700).
[[nodiscard]] std::filesystem::path run_dir(const state::Store& store, const std::string& run_id);

}  // namespace labctl::providers::aws
