#include "providers/stub_provider.hpp"

#include "core/log.hpp"

namespace labctl::providers {
namespace {

class StubProvider final : public Provider {
 public:
  explicit StubProvider(std::string name) : m_name(std::move(name)) {}

  std::string_view name() const override { return m_name; }

  Expected<Plan> plan_up(const RunContext& ctx) override {
    warn_stub();
    Plan plan{m_name, {}, {"provider " + m_name + " is a STUB: this plan is illustrative only"}};
    for (const auto& site : ctx.profile.sites) {
      if (site.provider != m_name) continue;
      for (const auto& node : site.nodes) {
        nlohmann::ordered_json params;
        params["node"] = node.name;
        params["role"] = node.role;
        params["region"] = ctx.profile.oci.region;
        params["tags"] = tags_json(ctx.tags, node);
        plan.operations.push_back({"allocate-instance", params, true, "instance", node.name,
                                   params["region"].get<std::string>()});
      }
    }
    return plan;
  }

  Expected<void> apply_up(const RunContext&, const Plan&) override { return not_implemented(); }

  Expected<void> teardown(const RunContext&,
                          const std::vector<state::ResourceRecord>& rows) override {
    // A stub never created anything, so only rows a newer labctl wrote could be here.
    if (rows.empty()) return {};
    return not_implemented();
  }

  Expected<Discovery> discover(const DiscoverQuery&) override {
    warn_stub();
    return Discovery{};
  }

 private:
  static nlohmann::ordered_json tags_json(const Tags& tags, const profile::Node& node) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [key, value] : tags.pairs()) j[key] = value;
    j["Name"] = node.name;
    j["role"] = node.role;
    return j;
  }

  void warn_stub() const {
    log::warn("provider.stub", "provider " + m_name +
                                   ": STUB — not implemented; only a dry-run plan is available");
  }

  Expected<void> not_implemented() const {
    return fail(ExitCode::provider,
                "provider " + m_name + ": not implemented (stub); use CE_DRY_RUN=1");
  }

  std::string m_name;
};

}  // namespace

std::unique_ptr<Provider> make_stub_provider(std::string name) {
  return std::make_unique<StubProvider>(std::move(name));
}

}  // namespace labctl::providers
