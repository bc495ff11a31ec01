#pragma once

#include <string>

#include "providers/local/topology.hpp"
#include "providers/provider.hpp"

namespace labctl::providers::local {

struct PlanInput {
  const Topology& topo;
  std::string owner;
  std::string ttl_expires_at;  // RFC3339 UTC, copied into the run's metadata file
  std::string sshd_path;       // absolute: sshd re-executes itself and refuses a relative path
};

// Operation kinds the executor understands (Operation::action):
//   "mkdir"            params {path, mode}
//   "write file"       params {path, mode, content} or {path, mode, assemble, sources}
//   "netns add"        params {argv, netns, node?}
//   "link add"         params {argv, netns ("" = root namespace), link}
//   "link set", "addr add", "route add", "sysctl"   params {argv}
//   "ssh-keygen"       params {argv, path, public_key}
//   "start keepalived", "start sshd"   params {argv, netns, pid_file, match}
//   "wait vrrp"        params {site, address, routers: [netns...], timeout_ms} (not mutating)
// Every operation with "argv" runs exactly that command; resource-creating operations carry
// what teardown needs to delete the resource without the plan.
[[nodiscard]] Plan build_lab_plan(const PlanInput& input);

// The configuration files, exposed for tests.
[[nodiscard]] std::string keepalived_config(const Topology& topo, const LabSite& site,
                                            const LabNode& router);
[[nodiscard]] std::string sshd_config(const Topology& topo, const LabNode& client);

// Files of a node in the run directory, e.g. <run_dir>/aws-client.sshd_config.
[[nodiscard]] std::string node_file(const Topology& topo, const LabNode& node,
                                    const std::string& suffix);

}  // namespace labctl::providers::local
