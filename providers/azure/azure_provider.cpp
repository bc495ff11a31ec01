#include "providers/azure/azure_provider.hpp"

#include "core/log.hpp"
#include "core/shield.hpp"
#include "core/time.hpp"
#include "providers/azure/azure_actions.hpp"
#include "providers/azure/azure_ops.hpp"

namespace labctl::providers {
namespace {

constexpr const char* k_subscription_placeholder = "{{subscription}}";

class AzureProvider final : public Provider {
 public:
  AzureProvider(std::shared_ptr<azure::ArmClientFactory> clients, EnvLookup env)
      : m_clients(std::move(clients)), m_env(std::move(env)) {}

  std::string_view name() const override { return "azure"; }

  // A dry run without a subscription still shows the plan, with a placeholder where the
  // subscription goes and a note saying so; a live run needs the real one.
  Expected<Plan> plan_up(const RunContext& ctx) override {
    return shielded("azure plan", [&]() -> Expected<Plan> {
      auto subscription = m_clients->subscription(ctx.profile.azure.subscription);
      if (!subscription && !ctx.dry_run) return std::unexpected(subscription.error());
      auto plan = azure::plan_lab(ctx, subscription ? *subscription : k_subscription_placeholder);
      if (plan && !subscription) {
        plan->notes.push_back(subscription.error().message + "; the plan shows " +
                              k_subscription_placeholder);
      }
      return plan;
    });
  }

  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    return shielded("azure up", [&]() -> Expected<void> {
      auto client = client_for_phase(!ctx.dry_run);
      if (!client) return std::unexpected(client.error());
      return azure::apply_lab(ctx, plan, **client);
    });
  }

  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    if (rows.empty()) return {};
    return shielded("azure teardown", [&]() -> Expected<void> {
      auto client = client_for_phase(!ctx.dry_run);
      if (!client) return std::unexpected(client.error());
      auto subscription = subscription_of(rows, ctx.profile);
      if (!subscription) return std::unexpected(subscription.error());
      return azure::teardown_lab(ctx, rows, **client, *subscription);
    });
  }

  // A janitor on a host without Azure credentials says so in one line and goes on, as aws
  // does; the scan for expired labs bounds the rest of the process by CE_JANITOR_TIMEOUT.
  Expected<Discovery> discover(const DiscoverQuery& query) override {
    return shielded("azure discovery", [&]() -> Expected<Discovery> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      if (query.expired_only) m_clients->start_janitor();
      // A malformed AZURE_SUBSCRIPTION_ID is a usage error of its own, not "no credentials".
      if (m_env("AZURE_SUBSCRIPTION_ID").value_or("") != "") {
        if (auto given = m_clients->subscription(""); !given) {
          return std::unexpected(given.error());
        }
      }
      auto subscriptions = azure::janitor_subscriptions(**client, m_env);
      if (!subscriptions) {
        if (subscriptions.error().code != ExitCode::usage) {
          return std::unexpected(subscriptions.error());
        }
        log::warn("azure.discover",
                  log::verbose() ? "azure: no credentials, so no discovery by tag (" +
                                       subscriptions.error().message + ")"
                                 : "azure: no credentials, so no discovery by tag (set "
                                   "AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET; -v "
                                   "lists the sources tried)",
                  {{"provider", "azure"}, {"skipped", "discovery"},
                   {"reason", "no credentials"}});
        return Discovery{};
      }
      return azure::discover_tagged(query, *subscriptions, **client);
    });
  }

  // stop-active powers the VM off through ARM; the node faults run their command on it over
  // SSH; any other fault is not azure's to do.
  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    if (request.fault != "stop-active" && !is_node_fault(request.fault)) {
      return Provider::inject_fault(ctx, request);
    }
    return shielded("azure failover", [&]() -> Expected<nlohmann::json> {
      auto client = client_for_phase(true);
      if (!client) return std::unexpected(client.error());
      if (request.fault == "stop-active") return azure::power_off_router(ctx, request, **client);
      return azure::node_fault_on_router(ctx, request, NodeFaultStep::inject, **client, m_env);
    });
  }

  Expected<nlohmann::json> restore_fault(const RunContext& ctx,
                                         const FaultRequest& request) override {
    if (!is_node_fault(request.fault)) return Provider::restore_fault(ctx, request);
    return shielded("azure failover", [&]() -> Expected<nlohmann::json> {
      auto client = client_for_phase(true);
      if (!client) return std::unexpected(client.error());
      return azure::node_fault_on_router(ctx, request, NodeFaultStep::restore, **client, m_env);
    });
  }

  // The gated executor's NIC actions (providers/azure/azure_actions.hpp).
  bool has_actions() const override { return true; }

  Expected<ActionRunner> action_runner(bool live) override {
    return azure::make_azure_runner(m_clients, live);
  }

  Expected<nlohmann::ordered_json> executor_policy(state::Store& store,
                                                   const std::string& run_id) override {
    return shielded("azure iam-policy --executor", [&]() -> Expected<nlohmann::ordered_json> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      return azure::executor_role(store, run_id, **client);
    });
  }

  Expected<nlohmann::ordered_json> preflight(const std::string& run_id,
                                             const Target& target) override {
    return shielded("azure preflight", [&]() -> Expected<nlohmann::ordered_json> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      return azure::preflight(**client, run_id, target);
    });
  }

  Expected<nlohmann::json> provider_state(const RunContext& ctx) override {
    return shielded("azure provider state", [&]() -> Expected<nlohmann::json> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      auto subscription = m_clients->subscription(ctx.profile.azure.subscription);
      if (!subscription) return std::unexpected(subscription.error());
      return azure::judge_state(ctx, **client, *subscription);
    });
  }

  // The custom role is derived from the very plan `up` would send for this profile.
  Expected<nlohmann::ordered_json> least_privilege_policy(const profile::Profile& profile,
                                                          state::Store& store) override {
    return shielded("azure iam-policy", [&]() -> Expected<nlohmann::ordered_json> {
      auto subscription = m_clients->subscription(profile.azure.subscription);
      if (!subscription) return std::unexpected(subscription.error());
      state::RunRecord run;  // a placeholder run: only the shape of the plan matters here
      run.run_id = "iam-policy";
      run.ttl_expires_at = format_rfc3339(m_clients->clock().now());
      const RunContext ctx{run,   profile, make_tags(run.run_id, "owner", run.ttl_expires_at,
                                                     "azure", "policy"),
                           store, m_clients->clock(), true};
      auto plan = azure::plan_lab(ctx, *subscription);
      if (!plan) return std::unexpected(plan.error());
      return azure::role_definition(*plan, *subscription);
    });
  }

 private:
  // The command's client with a fresh phase deadline (CE_AZURE_COMMAND_TIMEOUT).
  Expected<std::shared_ptr<azure::ArmClient>> client_for_phase(bool live) {
    auto client = m_clients->client(live);
    if (client) m_clients->start_phase();
    return client;
  }

  // The subscription a run's rows live in: the one in their resource ids (a run created under
  // another AZURE_SUBSCRIPTION_ID is torn down where it is), else the configured one.
  Expected<std::string> subscription_of(const std::vector<state::ResourceRecord>& rows,
                                        const profile::Profile& profile) const {
    for (const auto& row : rows) {
      if (auto from_id = azure::subscription_in_id(row.cloud_id)) return *from_id;
    }
    return m_clients->subscription(profile.azure.subscription);
  }

  std::shared_ptr<azure::ArmClientFactory> m_clients;
  EnvLookup m_env;
};

}  // namespace

std::unique_ptr<Provider> make_azure_provider(std::shared_ptr<azure::ArmClientFactory> clients,
                                              EnvLookup env) {
  return std::make_unique<AzureProvider>(std::move(clients), std::move(env));
}

}  // namespace labctl::providers
