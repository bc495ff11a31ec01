#include "providers/onprem/onprem_provider.hpp"

#include "core/log.hpp"
#include "core/time.hpp"
#include "ssh/settings.hpp"

namespace labctl::providers {
namespace {

using Json = nlohmann::json;

// onprem_ssh_settings() for the run of `ctx`.
Expected<ssh::SshSettings> ssh_settings(const EnvLookup& env, const RunContext& ctx) {
  Json meta = Json::object();
  if (auto stored = ctx.store.get_meta(ctx.run.run_id, "ssh");
      stored && *stored && (*stored)->is_object()) {
    meta = **stored;
  }
  return onprem_ssh_settings(env, meta);
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

  Expected<std::vector<Discovered>> discover(const DiscoverQuery&) override {
    return std::vector<Discovered>{};
  }

  // Runs onprem.fault_commands[fault] on the target host over SSH.
  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    const auto& commands = ctx.profile.onprem.fault_commands;
    const auto command = commands.find(request.fault);
    if (command == commands.end()) {
      return fail(ExitCode::usage, "failover: the profile " + ctx.profile.name +
                                       " has no onprem.fault_commands." + request.fault +
                                       " (the remote command that injects it)");
    }
    const auto* host = fault_target(ctx.profile, request.node);
    if (host == nullptr) {
      return fail(ExitCode::usage,
                  "failover: no onprem host " +
                      (request.node.empty() ? std::string("with role router-a or router")
                                            : "named " + request.node) +
                      " in the profile's onprem.hosts");
    }
    if (ctx.dry_run) {
      return Json{{"provider", "onprem"},
                  {"fault", request.fault},
                  {"node", host->name},
                  {"command", command->second},
                  {"dryRun", true}};
    }
    const auto settings = ssh_settings(m_env, ctx);
    if (!settings) return std::unexpected(settings.error());
    auto connected = connect(*host, *settings);
    if (!connected) {
      return fail(ExitCode::provider,
                  "failover: cannot reach " + host->name + ": " + connected.error().message);
    }
    const std::string injected_at = format_rfc3339_ms(ctx.clock.now());
    auto result =
        ssh::exec_blocking(connected->session.get(), command->second, std::chrono::seconds(120));
    if (!result) {
      return fail(ExitCode::provider, "failover: " + request.fault + " on " + host->name + ": " +
                                          result.error().message);
    }
    if (result->exit_status != 0) {
      return fail(ExitCode::provider, "failover: " + request.fault + " on " + host->name + ": `" +
                                          command->second + "` exited with " +
                                          std::to_string(result->exit_status) + ": " + result->err);
    }
    return Json{{"provider", "onprem"},       {"fault", request.fault},
                {"node", host->name},         {"role", host->role},
                {"command", command->second}, {"exitStatus", result->exit_status},
                {"injected_at", injected_at}};
  }

 private:
  EnvLookup m_env;
};

}  // namespace

std::unique_ptr<Provider> make_onprem_provider(EnvLookup env) {
  return std::make_unique<OnpremProvider>(std::move(env));
}

Expected<ssh::SshSettings> onprem_ssh_settings(const EnvLookup& env, const nlohmann::json& meta) {
  auto resolved = ssh::resolve_settings(env, ssh::layer_from_meta(meta), {});
  if (!resolved) return std::unexpected(resolved.error());
  resolved->session.policy = ssh::HostKeyPolicy::strict;
  return resolved->session;
}

}  // namespace labctl::providers
