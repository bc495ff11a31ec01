#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "providers/aws/ec2_client.hpp"
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

// Runs the plan: intent row before every mutating call, ids substituted into later calls,
// the private key written 0600 into the run's directory, then waits for every instance to be
// running and records their addresses, ENIs and roles (attrs.node for the matrix).
[[nodiscard]] Expected<void> apply_plan(const RunContext& ctx, const Plan& plan,
                                        Ec2ClientFactory& factory);

// Deletes the run's rows in dependency order (instances -> wait terminated -> network
// interfaces, volumes -> security group -> key pair -> route table -> internet gateway ->
// subnet -> vpc). Only resources whose routerd.cloudedge.run_id tag is this run are touched;
// anything else is refused (ExitCode::refused) and left alone. DependencyViolation is retried
// with backoff up to a bound.
[[nodiscard]] Expected<void> teardown_rows(const RunContext& ctx,
                                           const std::vector<state::ResourceRecord>& rows,
                                           Ec2ClientFactory& factory);

// Resources tagged with routerd.cloudedge.run_id in `regions`, scanned concurrently, every
// describe filtered by tag and paginated.
[[nodiscard]] Expected<std::vector<Discovered>> discover_tagged(
    const DiscoverQuery& query, const std::vector<std::string>& regions,
    Ec2ClientFactory& factory);

// StopInstances on the run's active router (role router-a, else router), waits for stopped.
[[nodiscard]] Expected<nlohmann::json> stop_active_router(const RunContext& ctx,
                                                         const FaultRequest& request,
                                                         Ec2ClientFactory& factory);

// The regions the janitor scans: CE_AWS_REGIONS (csv, read through `env`), else the profile's
// allowlist, else the union of the shipped profiles' allowlists.
[[nodiscard]] std::vector<std::string> janitor_regions(const EnvLookup& env,
                                                       const profile::Profile* profile);

// The run's directory in the state store's directory (private keys live here, 0700).
[[nodiscard]] std::filesystem::path run_dir(const state::Store& store, const std::string& run_id);

}  // namespace labctl::providers::aws
