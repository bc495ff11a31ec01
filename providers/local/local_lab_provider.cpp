#include <unistd.h>

#include "providers/local/host.hpp"
#include "providers/local/lab_ops.hpp"
#include "providers/local/lab_plan.hpp"
#include "providers/local/local_provider.hpp"

namespace labctl::providers {
namespace {

using local::LabEnv;

constexpr const char* k_needs_root =
    "the local lab needs root to create network namespaces; run as root or use CE_DRY_RUN=1";

// The local provider: wires the plan builder, executor, teardown, discovery and faults of
// providers/local/ to the Provider interface.
class LocalProvider final : public Provider {
 public:
  explicit LocalProvider(LocalOptions options)
      : m_runner(std::move(options.runner)),
        m_meta_dir(options.meta_dir.empty() ? local::default_meta_dir()
                                            : std::move(options.meta_dir)) {}

  std::string_view name() const override { return "local"; }

  Expected<Plan> plan_up(const RunContext& ctx) override {
    auto topo = topology_for(ctx);
    if (!topo) return std::unexpected(topo.error());
    return local::build_lab_plan(
        {*topo, ctx.run.owner, ctx.tags.ttl_expires_at, local::find_program("sshd")});
  }

  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    if (::geteuid() != 0) return fail(ExitCode::refused, std::string("up: ") + k_needs_root);
    if (auto tools = check_tools(); !tools) return std::unexpected(tools.error());
    auto topo = topology_for(ctx);
    if (!topo) return std::unexpected(topo.error());
    LabEnv env{*m_runner, m_meta_dir};
    return local::apply_lab(ctx, plan, *topo, env);
  }

  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    if (rows.empty()) return {};
    if (::geteuid() != 0) {
      return fail(ExitCode::refused,
                  "down: the local lab needs root to remove network "
                  "namespaces; run `labctl down` as root");
    }
    LabEnv env{*m_runner, m_meta_dir};
    return local::teardown_lab(ctx, rows, env);
  }

  Expected<Discovery> discover(const DiscoverQuery& query) override {
    LabEnv env{*m_runner, m_meta_dir};
    auto found = local::discover_labs(query, env);
    if (!found) return std::unexpected(found.error());
    return Discovery{std::move(*found)};
  }

  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    if (::geteuid() != 0) {
      return fail(ExitCode::refused, "failover: faults on the local lab need root; run as root");
    }
    LabEnv env{*m_runner, m_meta_dir};
    return local::inject_lab_fault(ctx, request, env);
  }

  Expected<std::string> gateway_holder(const RunContext& ctx, const std::string& site) override {
    return local_gateway_holder(ctx.store, ctx.run.run_id, site, *m_runner);
  }

 private:
  Expected<local::Topology> topology_for(const RunContext& ctx) const {
    return local::build_topology(ctx.run.run_id, ctx.profile,
                                 ctx.store.dir() / "runs" / ctx.run.run_id / "local", m_meta_dir);
  }

  // Every program the plan runs, checked before the first namespace exists.
  static Expected<void> check_tools() {
    static constexpr std::pair<const char*, const char*> k_tools[] = {
        {"ip", "iproute2"},         {"sysctl", "procps"},
        {"unshare", "util-linux"},  {"ssh-keygen", "openssh-client"},
        {"sshd", "openssh-server"}, {"keepalived", "keepalived"}};
    for (const auto& [tool, package] : k_tools) {
      if (local::find_program(tool) == tool) {
        return fail(ExitCode::provider, std::string("up: the local lab needs `") + tool +
                                            "`, which is not installed; install the Debian "
                                            "package " +
                                            package);
      }
    }
    return {};
  }

  std::shared_ptr<ProcessRunner> m_runner;
  std::filesystem::path m_meta_dir;
};

}  // namespace

std::unique_ptr<Provider> make_local_provider(LocalOptions options) {
  return std::make_unique<LocalProvider>(std::move(options));
}

}  // namespace labctl::providers
