#include "providers/aws/aws_provider.hpp"

#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/aws/aws_action_runner.hpp"
#include "providers/aws/aws_executor_policy.hpp"
#include "providers/aws/aws_holder.hpp"
#include "providers/aws/aws_state.hpp"
#include "providers/aws/aws_iam.hpp"
#include "providers/aws/aws_preflight.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_permissions.hpp"
#include "providers/aws/aws_plan.hpp"

namespace labctl::providers {
namespace {

// The provider's boundary: nothing thrown inside (a library's exception, bad_alloc, a bug) may
// escape a phase, least of all a teardown, where an escaped exception leaks the lab. It becomes
// a provider error (exit 3); the caller then keeps the run recorded as not down, so a later
// `down` retries.
template <class T, class Body>
Expected<T> guarded(std::string_view phase, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail(ExitCode::provider, "aws " + std::string(phase) +
                                        ": unexpected failure: " + text::printable(e.what()) +
                                        "; nothing is assumed done, run the command again");
  } catch (...) {
    return fail(ExitCode::provider, "aws " + std::string(phase) +
                                        ": unexpected failure of unknown type; nothing is "
                                        "assumed done, run the command again");
  }
}

class AwsProvider final : public Provider {
 public:
  AwsProvider(std::shared_ptr<aws::Ec2ClientFactories> clients, EnvLookup env,
              std::shared_ptr<Clock> clock, std::shared_ptr<ProcessRunner> processes)
      : m_clients(std::move(clients)),
        m_env(std::move(env)),
        m_clock(std::move(clock)),
        m_processes(std::move(processes)) {}

  std::string_view name() const override { return "aws"; }

  Expected<Plan> plan_up(const RunContext& ctx) override {
    return guarded<Plan>("plan", [&] { return aws::build_up_plan(ctx); });
  }

  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    return guarded<void>("up", [&]() -> Expected<void> {
      auto factory = factory_for_phase(!ctx.dry_run);
      if (!factory) return std::unexpected(factory.error());
      return aws::apply_plan(ctx, plan, **factory);
    });
  }

  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    if (rows.empty()) return {};
    return guarded<void>("teardown", [&]() -> Expected<void> {
      auto factory = factory_for_phase(!ctx.dry_run);
      if (!factory) return std::unexpected(factory.error());
      return aws::teardown_rows(ctx, rows, **factory);
    });
  }

  // Without credentials there is nothing to scan: the janitor says so and goes on (the state
  // and other providers may still have work), as `down --expired` must run without a cloud.
  // A scan for expired labs is the janitor's first step: it bounds the rest of the process by
  // CE_JANITOR_TIMEOUT, for the dry and the live clients alike.
  Expected<Discovery> discover(const DiscoverQuery& query) override {
    return guarded<Discovery>(
        "discovery", [&]() -> Expected<Discovery> {
          const auto regions = query.locations.empty()
                                   ? aws::janitor_regions(m_env, query.profile)
                                   : query.locations;
          auto factory = factory_for_phase(false);
          if (!factory) return std::unexpected(factory.error());
          if (query.expired_only) {
            (*factory)->start_janitor();
            if (auto live = m_clients->get(true); live) (*live)->start_janitor();
          }
          if (auto credentials = (*factory)->credentials(); !credentials) {
            // One line by default: a janitor on a host with no AWS account is normal. -v
            // gives the chain's account of every source it tried and the fix.
            log::warn("aws.discover",
                      log::verbose()
                          ? "aws: no credentials, so no discovery by tag (" +
                                credentials.error().message + ")"
                          : "aws: no credentials, so no discovery by tag (set AWS_PROFILE or "
                            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; -v lists the sources tried)",
                      {{"provider", "aws"}, {"skipped", "discovery"}, {"reason", "no credentials"}});
            return Discovery{};
          }
          return aws::discover_tagged(query, regions, **factory, *m_clock);
        });
  }

  // stop-active stops the instance through EC2; the node faults run their command on it over
  // SSH (providers/node_faults.hpp); executor-fail and stale-replay go through the executor
  // (faults/), and any other fault is not aws's to do.
  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    if (request.fault != "stop-active" && !is_node_fault(request.fault)) {
      return Provider::inject_fault(ctx, request);
    }
    return guarded<nlohmann::json>("failover", [&]() -> Expected<nlohmann::json> {
      auto factory = factory_for_phase(true);
      if (!factory) return std::unexpected(factory.error());
      if (request.fault == "stop-active") return aws::stop_active_router(ctx, request, **factory);
      return aws::node_fault_on_router(ctx, request, NodeFaultStep::inject, **factory, m_env);
    });
  }

  // Only the node faults have a restore (their restore command); a stopped instance is not
  // started again by labctl.
  Expected<nlohmann::json> restore_fault(const RunContext& ctx,
                                         const FaultRequest& request) override {
    if (!is_node_fault(request.fault)) return Provider::restore_fault(ctx, request);
    return guarded<nlohmann::json>("failover", [&]() -> Expected<nlohmann::json> {
      auto factory = factory_for_phase(true);
      if (!factory) return std::unexpected(factory.error());
      return aws::node_fault_on_router(ctx, request, NodeFaultStep::restore, **factory, m_env);
    });
  }

  // Failover timing and evidence read the cloud only: the dry client factory (describes).
  Expected<std::string> gateway_holder(const RunContext& ctx, const std::string& site) override {
    return guarded<std::string>("gateway holder", [&]() -> Expected<std::string> {
      auto factory = factory_for_phase(false);
      if (!factory) return std::unexpected(factory.error());
      return aws::gateway_holder(ctx, site, **factory);
    });
  }

  Expected<nlohmann::json> provider_state(const RunContext& ctx) override {
    return guarded<nlohmann::json>("provider state", [&]() -> Expected<nlohmann::json> {
      auto factory = factory_for_phase(false);
      if (!factory) return std::unexpected(factory.error());
      return aws::judge_run_state(ctx, **factory);
    });
  }

  Expected<PermissionReport> check_permissions(const Plan& plan) override {
    return guarded<PermissionReport>("permission check", [&]() -> Expected<PermissionReport> {
      auto factory = m_clients->get(false);
      if (!factory) return std::unexpected(factory.error());
      auto checks = aws::check_permissions(plan, **factory);
      if (!checks) return std::unexpected(checks.error());
      return PermissionReport{aws::to_json(*checks), aws::permissions_exit_code(*checks)};
    });
  }

  Expected<nlohmann::ordered_json> least_privilege_policy(const profile::Profile& profile,
                                                          state::Store& store) override {
    return aws::iam_policy_for_profile(profile, store, *m_clock);
  }

  // Provider actions (the gated executor): ENI secondary IPs and SourceDestCheck. The runner
  // builds its own clients (a writer that retries throttling only; a scoped identity's).
  bool has_actions() const override { return true; }
  Expected<ActionRunner> action_runner(bool live) override {
    return aws::make_aws_runner(m_env, m_clock, m_processes, live);
  }
  Expected<nlohmann::ordered_json> executor_policy(state::Store& store,
                                                   const std::string& run_id) override {
    auto factory = m_clients->get(false);
    if (!factory) return std::unexpected(factory.error());
    return aws::executor_policy(store, run_id, **factory);
  }
  Expected<nlohmann::ordered_json> preflight(const std::string& run_id,
                                             const Target& target) override {
    auto factory = m_clients->get(false);
    if (!factory) return std::unexpected(factory.error());
    return aws::preflight(run_id, target, **factory);
  }

 private:
  // The command's client factory with a fresh phase deadline (CE_AWS_COMMAND_TIMEOUT).
  Expected<std::shared_ptr<aws::Ec2ClientFactory>> factory_for_phase(bool live) {
    auto factory = m_clients->get(live);
    if (factory) (*factory)->start_phase();
    return factory;
  }

  std::shared_ptr<aws::Ec2ClientFactories> m_clients;
  EnvLookup m_env;
  std::shared_ptr<Clock> m_clock;
  std::shared_ptr<ProcessRunner> m_processes;
};

}  // namespace

std::unique_ptr<Provider> make_aws_provider(std::shared_ptr<aws::Ec2ClientFactories> clients,
                                            EnvLookup env, std::shared_ptr<Clock> clock,
                                            std::shared_ptr<ProcessRunner> processes) {
  return std::make_unique<AwsProvider>(std::move(clients), std::move(env), std::move(clock),
                                       std::move(processes));
}

}  // namespace labctl::providers
