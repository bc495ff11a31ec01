#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "ssh/endpoint.hpp"
#include "ssh/session.hpp"
#include "ssh/settings.hpp"

// Node faults: faults on a node's operating system rather than on a cloud API, run as a remote
// command over SSH on the target node. Every provider whose nodes are reachable over SSH (aws,
// onprem; later azure, oci) runs them through this one runner, so a fault means the same command
// on every cloud.
namespace labctl::providers {

// drain, routerd-bgp-stop and heartbeat-stop. (stop-active is a cloud API call where the
// provider has one; providers without one, onprem, may give it a node command too.)
[[nodiscard]] bool is_node_fault(std::string_view fault);

// The remote commands of one fault, and where they came from (for the event and messages).
struct NodeFaultCommand {
  std::string inject;
  std::string restore;  // "" when the fault has no restore command
  std::string source;   // "file:line: node_faults.drain", "default", ...
};

// The commands of `fault`: the profile's node_faults.<fault> when given, else the default:
//
//   fault             inject                               restore
//   drain             sudo -n systemctl stop routerd       sudo -n systemctl start routerd
//   routerd-bgp-stop  sudo -n systemctl stop routerd-bgp   sudo -n systemctl start routerd-bgp
//   heartbeat-stop    sudo -n systemctl stop keepalived    sudo -n systemctl start keepalived
//
// drain stops routerd itself (a clean stop: it withdraws what it holds and the standby takes
// over), routerd-bgp-stop only its BGP speaker (sessions drop, routerd keeps running),
// heartbeat-stop the VRRP heartbeat (keepalived: the standby takes over when it stops hearing
// the active). `sudo -n` never waits for a password. A lab whose routerd drains through its
// maintenance config (MobilityPool maintenance.drain) gives node_faults.drain.inject the command
// that applies it. stop-active has no default. ExitCode::usage when `fault` has neither.
[[nodiscard]] Expected<NodeFaultCommand> node_fault_command(const profile::Profile& profile,
                                                            const std::string& fault);

// Where a node fault runs.
struct NodeFaultTarget {
  std::string provider;  // for the detail and messages
  std::string node;      // the node's name in the run
  std::string role;
  ssh::Endpoint endpoint;  // address, port and login user
};

enum class NodeFaultStep { inject, restore };

// Each step's command must finish within this long (channel, exec, output and exit status).
inline constexpr std::chrono::seconds k_node_fault_timeout{120};
// The command's stdout and stderr are kept, made printable, up to this many bytes each.
inline constexpr std::size_t k_node_fault_output_bytes = 2048;

// The SSH settings node faults (and onprem's verification) connect with: ssh/settings.hpp's
// resolver (env > the run's "ssh" meta `run_meta` > `profile` > default), except that host keys
// are always checked strictly whatever CE_SSH_STRICT_HOST_KEY_CHECKING says: a fault runs as
// root on the node, so an unknown or changed key fails closed (put the node's key in
// known_hosts, CE_SSH_KNOWN_HOSTS).
[[nodiscard]] Expected<ssh::Resolved> strict_ssh_settings(const EnvLookup& env,
                                                              const nlohmann::json& run_meta,
                                                              const ssh::SettingsLayer& profile);

// The run's "ssh" meta (written by `up`), or {} when it has none.
[[nodiscard]] nlohmann::json run_ssh_meta(state::Store& store, const std::string& run_id);

// Runs `step`'s command of `fault` on `target` over SSH with `settings`, bounded by
// k_node_fault_timeout. Returns the detail: provider, fault, step, node, role, address, port,
// user, command, commandSource, exitStatus, stdout, stderr (printable, bounded) and injectedAt
// or restoredAt (the clock's time just before the command is sent) and finishedAt. Errors: a
// restore of a fault without a restore command (ExitCode::usage); no connection, a host key
// that does not match, a timeout or a non-zero exit (ExitCode::provider, with the command's
// printable output).
[[nodiscard]] Expected<nlohmann::json> run_node_fault(const NodeFaultTarget& target,
                                                      const std::string& fault,
                                                      const NodeFaultCommand& command,
                                                      NodeFaultStep step,
                                                      const ssh::SshSettings& settings,
                                                      Clock& clock);

}  // namespace labctl::providers
