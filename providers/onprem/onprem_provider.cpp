#include "providers/onprem/onprem_provider.hpp"

namespace labctl::providers {
namespace {

class OnpremProvider final : public Provider {
 public:
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

  Expected<void> apply_up(const RunContext&, const Plan&) override {
    return fail(ExitCode::provider,
                "provider onprem: live SSH verification is not in this build yet; use "
                "CE_DRY_RUN=1");
  }

  Expected<void> teardown(const RunContext&, const std::vector<state::ResourceRecord>&) override {
    return {};  // pre-provisioned hosts are released, never deleted
  }

  Expected<std::vector<Discovered>> discover(const DiscoverQuery&) override {
    return std::vector<Discovered>{};
  }
};

}  // namespace

std::unique_ptr<Provider> make_onprem_provider() { return std::make_unique<OnpremProvider>(); }

}  // namespace labctl::providers
