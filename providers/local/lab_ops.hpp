#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "providers/local/topology.hpp"
#include "providers/provider.hpp"

// The live halves of the local provider, one file each; the provider class in
// local_lab_provider.cpp only wires them together.
namespace labctl::providers::local {

struct LabEnv {
  ProcessRunner& runner;
  std::filesystem::path meta_dir;
};

// Executes the plan in order: intent row, operation, created row (with the node attrs on each
// node's netns row). Ends with the run's "ssh" meta (key_file, known_hosts, user).
[[nodiscard]] Expected<void> apply_lab(const RunContext& ctx, const Plan& plan,
                                       const Topology& topo, LabEnv& env);

// Deletes the rows (intent ones too): processes by pid (only while their command line still
// names the run), then links, namespaces, files, directories, and the metadata file last.
// Then verifies nothing named with the run is left on the host.
[[nodiscard]] Expected<void> teardown_lab(const RunContext& ctx,
                                          const std::vector<state::ResourceRecord>& rows,
                                          LabEnv& env);

// Labs on this host found through their metadata files (and what of them still exists).
[[nodiscard]] Expected<std::vector<Discovered>> discover_labs(const DiscoverQuery& query,
                                                              LabEnv& env);

[[nodiscard]] Expected<nlohmann::json> inject_lab_fault(const RunContext& ctx,
                                                        const FaultRequest& request, LabEnv& env);

}  // namespace labctl::providers::local
