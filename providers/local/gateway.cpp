#include "providers/local/gateway.hpp"

#include "providers/local/host.hpp"
#include "providers/local/local_provider.hpp"
#include "providers/local/topology.hpp"

namespace labctl::providers {

namespace local {

bool netns_holds_address(ProcessRunner& runner, const std::string& netns,
                         const std::string& address) {
  auto shown = run_checked(runner, {"ip", "-n", netns, "-4", "-o", "addr", "show", "dev", k_lan_if},
                           std::chrono::seconds(5));
  return shown && shown->out.find(" inet " + address + "/") != std::string::npos;
}

}  // namespace local

Expected<std::vector<LocalRouter>> local_routers(state::Store& store, const std::string& run_id) {
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  std::vector<LocalRouter> routers;
  for (const auto& row : *rows) {
    if (row.provider != "local" || row.kind != "netns" || !row.attrs.contains("node")) continue;
    const auto& node = row.attrs["node"];
    const std::string role = node.value("role", "");
    if (role != "router" && role != "router-a" && role != "router-b") continue;
    routers.push_back({node.value("name", row.name), role, node.value("site", ""),
                       row.attrs.value("netns", row.cloud_id), node.value("gateway", ""),
                       node.value("redundant", false)});
  }
  return routers;
}

Expected<std::string> local_gateway_holder(state::Store& store, const std::string& run_id,
                                           const std::string& site, ProcessRunner& runner) {
  auto routers = local_routers(store, run_id);
  if (!routers) return std::unexpected(routers.error());
  bool known = false;
  for (const auto& router : *routers) {
    if (router.site != site) continue;
    known = true;
    if (local::netns_holds_address(runner, router.netns, router.gateway)) return router.name;
  }
  if (!known) {
    return fail(ExitCode::usage, "local: run " + run_id + " has no router at site \"" + site +
                                     "\"; see `labctl runs show " + run_id + "`");
  }
  return std::string();
}

}  // namespace labctl::providers
