#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "core/time.hpp"
#include "providers/local/gateway.hpp"
#include "providers/local/host.hpp"
#include "providers/local/lab_ops.hpp"
#include "providers/local/local_provider.hpp"

namespace labctl::providers::local {
namespace {

using Json = nlohmann::json;

// The router the fault targets: the named node, else the router holding the gateway of the
// first A/B site (the "active router"), else the first router.
Expected<LocalRouter> pick_router(const RunContext& ctx, const FaultRequest& request,
                                  const std::vector<LocalRouter>& routers, LabEnv& env) {
  if (routers.empty()) {
    return fail(ExitCode::usage, "failover: run " + ctx.run.run_id +
                                     " has no local routers in state; is it a live local run?");
  }
  if (!request.node.empty()) {
    std::string names;
    for (const auto& router : routers) {
      if (router.name == request.node) return router;
      names += (names.empty() ? "" : ", ") + router.name;
    }
    return fail(ExitCode::usage, "failover: no router \"" + request.node + "\" in run " +
                                     ctx.run.run_id + " (routers: " + names + ")");
  }
  for (const auto& router : routers) {
    if (router.redundant && netns_holds_address(env.runner, router.netns, router.gateway)) {
      return router;
    }
  }
  for (const auto& router : routers) {
    if (router.redundant) {
      return fail(ExitCode::provider, "failover: no router of site " + router.site +
                                          " holds its gateway " + router.gateway +
                                          " right now; the lab is already failed over or down");
    }
  }
  return routers.front();
}

// The keepalived row of a router: {pid, match}, or nullopt when none runs there.
Expected<std::optional<std::pair<pid_t, std::string>>> keepalived_of(const RunContext& ctx,
                                                                     const LocalRouter& router) {
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  for (const auto& row : *rows) {
    if (row.provider != "local" || row.kind != "process" ||
        row.name != router.name + "-keepalived" || row.state != state::k_res_created) {
      continue;
    }
    return std::make_pair(static_cast<pid_t>(std::atol(row.cloud_id.c_str())),
                          row.attrs.value("match", row.run_id));
  }
  return std::nullopt;
}

Expected<Json> stop_keepalived(const RunContext& ctx, const LocalRouter& router) {
  auto keepalived = keepalived_of(ctx, router);
  if (!keepalived) return std::unexpected(keepalived.error());
  if (!*keepalived) return Json{{"action", "stop keepalived"}, {"result", "none running"}};
  const auto [pid, match] = **keepalived;
  if (auto stopped = stop_process(pid, match); !stopped) return std::unexpected(stopped.error());
  return Json{
      {"action", "stop keepalived"}, {"pid", pid}, {"at", format_rfc3339_ms(ctx.clock.now())}};
}

Expected<Json> links_down(const RunContext& ctx, const LocalRouter& router, LabEnv& env) {
  Json actions = Json::array();
  for (const char* link : {k_lan_if, k_transit_if}) {
    if (auto down =
            run_checked(env.runner, {"ip", "-n", router.netns, "link", "set", link, "down"});
        !down) {
      return std::unexpected(down.error());
    }
    actions.push_back(
        {{"action", std::string("link down ") + link}, {"at", format_rfc3339_ms(ctx.clock.now())}});
  }
  return actions;
}

Expected<Json> drain(const RunContext& ctx, const LocalRouter& router) {
  if (!router.redundant) {
    return fail(ExitCode::usage, "failover: drain needs a standby, and site " + router.site +
                                     " has a single router; use stop-active");
  }
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  std::string file;
  for (const auto& row : *rows) {
    if (row.kind == "netns" && row.attrs.contains("node") &&
        row.attrs["node"].value("name", "") == router.name) {
      file = row.attrs["node"].value("drain_file", "");
    }
  }
  if (file.empty()) {
    return fail(ExitCode::provider, "failover: no drain file recorded for " + router.name);
  }
  // keepalived watches the file: priority 150 - 100 = 50 < the standby's 100, so it hands over.
  if (auto written = write_file_atomic(file, "1\n", 0600); !written) {
    return std::unexpected(written.error());
  }
  return Json{{"action", "lower VRRP priority by 100 (track_file)"},
              {"file", file},
              {"at", format_rfc3339_ms(ctx.clock.now())}};
}

}  // namespace

Expected<Json> inject_lab_fault(const RunContext& ctx, const FaultRequest& request, LabEnv& env) {
  const std::string& fault = request.fault;
  if (fault == "executor-fail" || fault == "stale-replay") {
    return fail(ExitCode::usage, "failover: fault '" + fault +
                                     "' is not applicable on local: it exercises the AWS "
                                     "provider-action executor, which the local lab does not use");
  }
  if (fault != "stop-active" && fault != "drain" && fault != "routerd-bgp-stop" &&
      fault != "heartbeat-stop") {
    return fail(ExitCode::usage, "failover: unknown fault '" + fault +
                                     "' (local knows stop-active, drain, routerd-bgp-stop, "
                                     "heartbeat-stop)");
  }
  auto routers = local_routers(ctx.store, ctx.run.run_id);
  if (!routers) return std::unexpected(routers.error());
  auto router = pick_router(ctx, request, *routers, env);
  if (!router) return std::unexpected(router.error());
  Json detail{{"fault", fault},         {"provider", "local"},
              {"node", router->name},   {"site", router->site},
              {"netns", router->netns}, {"injected_at", format_rfc3339_ms(ctx.clock.now())}};
  Json actions = Json::array();
  if (fault == "stop-active") {
    // Links first, like a crash: the peer hears nothing more and takes over after its
    // master-down interval; then the daemon is stopped so the router stays down.
    auto down = links_down(ctx, *router, env);
    if (!down) return std::unexpected(down.error());
    actions = std::move(*down);
    auto stopped = stop_keepalived(ctx, *router);
    if (!stopped) return std::unexpected(stopped.error());
    actions.push_back(std::move(*stopped));
  } else if (fault == "drain") {
    auto drained = drain(ctx, *router);
    if (!drained) return std::unexpected(drained.error());
    actions.push_back(std::move(*drained));
  } else {
    // No routerd runs on the local lab: its BGP speaker and heartbeat are keepalived here.
    auto stopped = stop_keepalived(ctx, *router);
    if (!stopped) return std::unexpected(stopped.error());
    actions.push_back(std::move(*stopped));
  }
  detail["actions"] = std::move(actions);
  log::info("local.fault", "local: " + fault + " on " + router->name,
            {{"node", router->name}, {"site", router->site}});
  return detail;
}

}  // namespace labctl::providers::local
