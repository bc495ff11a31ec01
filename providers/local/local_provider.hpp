#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/process.hpp"
#include "core/state_store.hpp"
#include "providers/provider.hpp"

namespace labctl::providers {

// The network-namespace lab on this host (needs root for live mode).
struct LocalOptions {
  std::shared_ptr<ProcessRunner> runner;  // every command of the lab runs through it
  std::filesystem::path meta_dir;         // empty: $LABCTL_LOCAL_META_DIR or /run/labctl/local
};
[[nodiscard]] std::unique_ptr<Provider> make_local_provider(LocalOptions options);

// A router of a live local lab as recorded in state (the netns rows' "node" attrs).
struct LocalRouter {
  std::string name;  // e.g. aws-router-a
  std::string role;  // router, router-a, router-b
  std::string site;
  std::string netns;
  std::string gateway;  // the site's gateway address (the VRRP address on A/B sites)
  bool redundant = false;
};

// The run's routers, in creation order. Errors only when the state cannot be read.
[[nodiscard]] Expected<std::vector<LocalRouter>> local_routers(state::Store& store,
                                                               const std::string& run_id);

// The router node (e.g. "aws-router-b") holding `site`'s gateway address right now, "" when no
// router holds it (during a failover). Failover timing polls this: detection is the moment it
// names the standby. Errors (usage) when the run has no such local site.
[[nodiscard]] Expected<std::string> local_gateway_holder(state::Store& store,
                                                         const std::string& run_id,
                                                         const std::string& site,
                                                         ProcessRunner& runner);

}  // namespace labctl::providers
