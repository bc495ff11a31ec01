#include "providers/onprem/onprem_provider.hpp"

#include "core/log.hpp"
#include "core/time.hpp"
#include "providers/node_faults.hpp"
#include "ssh/settings.hpp"

namespace labctl::providers {
namespace {

using Json = nlohmann::json;

// onprem_ssh_settings() for the run of `ctx`.
Expected<ssh::SshSettings> ssh_settings(const EnvLookup& env, const RunContext& ctx) {
  return onprem_ssh_settings(env, run_ssh_meta(ctx.store, ctx.run.run_id));
}

ssh::Endpoint endpoint_of(const profile::OnpremHost& host) {
  return {host.ssh.host, host.ssh.port, host.ssh.user.empty() ? "root" : host.ssh.user};
}

// The site whose node list names `node`; null when none does.
const profile::Site* site_of(const profile::Profile& profile, const std::string& node) {
  for (const auto& site : profile.sites) {
    for (const auto& n : site.nodes) {
      if (n.name == node) return &site;
    }
  }
  return nullptr;
}

Json node_attrs(const profile::Profile& profile, const profile::OnpremHost& host) {
  const auto* site = site_of(profile, host.name);
  const auto endpoint = endpoint_of(host);
  Json node;
  node["name"] = host.name;
  node["site"] = site != nullptr ? site->name : std::string("onprem");
  node["role"] = host.role;
  node["logical_address"] = site != nullptr ? site->logical_address : std::string();
  node["ssh"] = {{"host", endpoint.host},
                 {"port", endpoint.port},
                 {"user", endpoint.user},
                 {"jump", host.ssh.jump}};
  return node;
}

// Connects (through the jump host when set), checks the host key and authenticates.
ssh::SshExpected<ssh::Connected> connect(const profile::OnpremHost& host,
                                         const ssh::SshSettings& settings) {
  if (!host.ssh.jump.empty()) {
    return std::unexpected(
        ssh::SshError{ssh::SshErrorKind::error,
                      "onprem: host " + host.name + " has a jump host (" + host.ssh.jump +
                          "), which onprem verification does not support yet; reach it directly"});
  }
  return ssh::connect_session(endpoint_of(host), -1, settings);
}

// The host that takes faults: request.node, else the active router (router-a, else router).
const profile::OnpremHost* fault_target(const profile::Profile& profile, const std::string& node) {
  const profile::OnpremHost* router = nullptr;
  for (const auto& host : profile.onprem.hosts) {
    if (!node.empty()) {
      if (host.name == node) return &host;
      continue;
    }
    if (host.role == "router-a") return &host;
    if (host.role == "router" && router == nullptr) router = &host;
  }
  return router;
}

class OnpremProvider final : public Provider {
 public:
  explicit OnpremProvider(EnvLookup env) : m_env(std::move(env)) {}

  std::string_view name() const override { return "onprem"; }

  // One read-only SSH check per inventory host: reachability and host key.
  Expected<Plan> plan_up(const RunContext& ctx) override {
    Plan plan{"onprem", {}, {"onprem: no cloud allocation; uses pre-provisioned lab node(s)"}};
    for (const auto& host : ctx.profile.onprem.hosts) {
      nlohmann::ordered_json params;
      params["node"] = host.name;
      params["role"] = host.role;
      params["host"] = host.ssh.host;
      params["port"] = host.ssh.port;
      params["user"] = host.ssh.user;
      if (!host.ssh.jump.empty()) params["jump"] = host.ssh.jump;
      plan.operations.push_back({"ssh-verify", params, false, "", host.name, ""});
    }
    return plan;
  }

  // Verifies every host; each is recorded first (intent) and marked created with its node
  // attrs and host-key fingerprint once verified. The first failure stops up.
  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    if (ctx.profile.onprem.hosts.empty()) {
      return fail(ExitCode::usage, "provider onprem: the profile " + ctx.profile.name +
                                       " lists no onprem.hosts to verify");
    }
    const auto settings = ssh_settings(m_env, ctx);
    if (!settings) return std::unexpected(settings.error());
    for (std::size_t i = 0; i < ctx.profile.onprem.hosts.size(); ++i) {
      const auto& host = ctx.profile.onprem.hosts[i];
      state::ResourceRecord row;
      row.run_id = ctx.run.run_id;
      row.provider = "onprem";
      row.kind = "host";
      row.name = host.name;
      row.request = Json(plan.operations.at(i).params);
      auto id = ctx.store.record_intent(row);
      if (!id) return std::unexpected(id.error());
      auto connected = connect(host, *settings);
      if (!connected) {
        return fail(ExitCode::provider, "provider onprem: cannot verify host " + host.name + ": " +
                                            connected.error().message);
      }
      Json attrs;
      attrs["node"] = node_attrs(ctx.profile, host);
      attrs["hostkey_sha256"] = connected->hostkey_sha256;
      if (auto marked = ctx.store.mark_created(*id, host.ssh.host, attrs); !marked) {
        return std::unexpected(marked.error());
      }
      log::info("onprem.up", "onprem: " + host.name + " (" + ssh::describe(endpoint_of(host)) +
                                 ") verified, host key " + connected->hostkey_sha256);
    }
    const Json meta{{"key_file", settings->key_file},
                    {"known_hosts", settings->known_hosts},
                    {"user", endpoint_of(ctx.profile.onprem.hosts.front()).user}};
    return ctx.store.set_meta(ctx.run.run_id, "ssh", meta);
  }

  // Pre-provisioned hosts are released, never deleted: the rows are only marked.
  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    for (const auto& row : rows) {
      if (auto marked = ctx.store.set_resource_state(row.id, state::k_res_deleted); !marked) {
        return std::unexpected(marked.error());
      }
      log::info("onprem.down", "onprem: released " + row.name + " (nothing to delete)");
    }
    return {};
  }

  Expected<Discovery> discover(const DiscoverQuery&) override {
    return Discovery{};
  }

  // Runs the fault's node command (providers/node_faults.hpp) on the target host over SSH.
  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    return node_fault(ctx, request, NodeFaultStep::inject);
  }

  Expected<nlohmann::json> restore_fault(const RunContext& ctx,
                                         const FaultRequest& request) override {
    return node_fault(ctx, request, NodeFaultStep::restore);
  }

 private:
  // Every onprem fault is a node command: onprem has no API that stops a machine, so
  // stop-active needs one too (node_faults.stop-active). The older onprem.fault_commands, when
  // given, lists onprem's faults exactly as before: inject commands only, and a fault it does
  // not name is not available.
  Expected<nlohmann::json> node_fault(const RunContext& ctx, const FaultRequest& request,
                                      NodeFaultStep step) {
    if (request.fault == "executor-fail" || request.fault == "stale-replay") {
      return step == NodeFaultStep::inject ? Provider::inject_fault(ctx, request)
                                           : Provider::restore_fault(ctx, request);
    }
    NodeFaultCommand command;
    if (const auto& legacy = ctx.profile.onprem.fault_commands; !legacy.empty()) {
      const auto given = legacy.find(request.fault);
      if (given == legacy.end()) {
        return fail(ExitCode::usage, "failover: the profile " + ctx.profile.name +
                                         " has no onprem.fault_commands." + request.fault +
                                         " (the remote command that injects it; or move them "
                                         "to node_faults, which has defaults)");
      }
      command = {given->second, "", "onprem.fault_commands." + request.fault};
    } else {
      auto resolved = node_fault_command(ctx.profile, request.fault);
      if (!resolved) return std::unexpected(resolved.error());
      command = std::move(*resolved);
    }
    const auto* host = fault_target(ctx.profile, request.node);
    if (host == nullptr) {
      return fail(ExitCode::usage,
                  "failover: no onprem host " +
                      (request.node.empty() ? std::string("with role router-a or router")
                                            : "named " + request.node) +
                      " in the profile's onprem.hosts");
    }
    if (!host->ssh.jump.empty()) {
      return fail(ExitCode::usage, "failover: onprem host " + host->name + " has a jump host (" +
                                       host->ssh.jump +
                                       "), which node faults do not support yet; reach it directly");
    }
    const auto settings = ssh_settings(m_env, ctx);
    if (!settings) return std::unexpected(settings.error());
    return run_node_fault({"onprem", host->name, host->role, endpoint_of(*host)}, request.fault,
                          command, step, *settings, ctx.clock);
  }

  EnvLookup m_env;
};

}  // namespace

std::unique_ptr<Provider> make_onprem_provider(EnvLookup env) {
  return std::make_unique<OnpremProvider>(std::move(env));
}

Expected<ssh::SshSettings> onprem_ssh_settings(const EnvLookup& env, const nlohmann::json& meta) {
  auto resolved = strict_ssh_settings(env, meta, {});
  if (!resolved) return std::unexpected(resolved.error());
  return resolved->session;
}

}  // namespace labctl::providers
