#include "providers/oci/oci_provider.hpp"

#include <filesystem>

#include "core/log.hpp"
#include "core/shield.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/oci/credentials.hpp"
#include "providers/oci/oci_actions.hpp"
#include "providers/oci/oci_ops.hpp"

namespace labctl::providers {
namespace {

constexpr const char* k_compartment_placeholder = "{{compartment}}";

class OciProvider final : public Provider {
 public:
  OciProvider(std::shared_ptr<oci::OciClientFactory> clients, EnvLookup env)
      : m_clients(std::move(clients)), m_env(std::move(env)) {}

  std::string_view name() const override { return "oci"; }

  // A dry run without credentials still shows the plan, with a placeholder where the
  // compartment goes (when the profile names none) and a note saying so; a live run needs them.
  Expected<Plan> plan_up(const RunContext& ctx) override {
    return shielded("oci plan", [&]() -> Expected<Plan> {
      auto account = m_clients->account();
      if (!account) {
        if (!ctx.dry_run) return std::unexpected(account.error());
        const auto& oci = ctx.profile.oci;
        const oci::Placement where{
            oci.compartment.empty() ? k_compartment_placeholder : oci.compartment, oci.region,
            oci.availability_domain};
        auto plan = oci::plan_lab(ctx, where);
        if (plan) {
          plan->notes.push_back(account.error().message +
                                (oci.compartment.empty()
                                     ? std::string("; the plan shows ") + k_compartment_placeholder
                                     : std::string("; the region is not checked against the "
                                                   "credentials'")));
        }
        return plan;
      }
      auto where = placement(ctx.profile, *account);
      if (!where) return std::unexpected(where.error());
      return oci::plan_lab(ctx, *where);
    });
  }

  Expected<void> apply_up(const RunContext& ctx, const Plan& plan) override {
    return shielded("oci up", [&]() -> Expected<void> {
      auto client = client_for_phase(!ctx.dry_run);
      if (!client) return std::unexpected(client.error());
      return oci::apply_lab(ctx, plan, **client);
    });
  }

  Expected<void> teardown(const RunContext& ctx,
                          const std::vector<state::ResourceRecord>& rows) override {
    if (rows.empty()) return {};
    return shielded("oci teardown", [&]() -> Expected<void> {
      auto client = client_for_phase(!ctx.dry_run);
      if (!client) return std::unexpected(client.error());
      return oci::teardown_lab(ctx, rows, **client);
    });
  }

  // A janitor on a host without OCI credentials says so in one line and goes on, as aws and
  // azure do; one whose OCI settings exist but are broken (a config file or an OCI_CLI_*
  // variable is there) fails, so a cron's janitor never skips OCI quietly while it is meant to
  // guard it. The scan for expired labs bounds the rest of the process by CE_JANITOR_TIMEOUT.
  Expected<Discovery> discover(const DiscoverQuery& query) override {
    return shielded("oci discovery", [&]() -> Expected<Discovery> {
      auto client = client_for_phase(false);
      if (!client) {
        if (client.error().code != ExitCode::usage || oci_configured()) {
          return std::unexpected(client.error());
        }
        log::warn("oci.discover",
                  log::verbose() ? "oci: no credentials, so no discovery by tag (" +
                                       client.error().message + ")"
                                 : "oci: no credentials, so no discovery by tag (set up "
                                   "~/.oci/config or OCI_CLI_*; -v says what was missing)",
                  {{"provider", "oci"}, {"skipped", "discovery"}, {"reason", "no credentials"}});
        return Discovery{};
      }
      if (query.expired_only) m_clients->start_janitor();
      return oci::discover_tagged(query, **client);
    });
  }

  // stop-active stops the instance through Core; the node faults run their command on it over
  // SSH; any other fault is not oci's to do.
  Expected<nlohmann::json> inject_fault(const RunContext& ctx,
                                        const FaultRequest& request) override {
    if (request.fault != "stop-active" && !is_node_fault(request.fault)) {
      return Provider::inject_fault(ctx, request);
    }
    return shielded("oci failover", [&]() -> Expected<nlohmann::json> {
      auto client = client_for_phase(true);
      if (!client) return std::unexpected(client.error());
      if (request.fault == "stop-active") return oci::stop_router(ctx, request, **client);
      return oci::node_fault_on_router(ctx, request, NodeFaultStep::inject, **client, m_env);
    });
  }

  Expected<nlohmann::json> restore_fault(const RunContext& ctx,
                                         const FaultRequest& request) override {
    if (!is_node_fault(request.fault)) return Provider::restore_fault(ctx, request);
    return shielded("oci failover", [&]() -> Expected<nlohmann::json> {
      auto client = client_for_phase(true);
      if (!client) return std::unexpected(client.error());
      return oci::node_fault_on_router(ctx, request, NodeFaultStep::restore, **client, m_env);
    });
  }

  // The gated executor's VNIC actions (providers/oci/oci_actions.hpp).
  bool has_actions() const override { return true; }

  Expected<ActionRunner> action_runner(bool live) override {
    return oci::make_oci_runner(m_clients, live);
  }

  Expected<nlohmann::ordered_json> executor_policy(state::Store& store,
                                                   const std::string& run_id) override {
    return shielded("oci iam-policy --executor", [&]() -> Expected<nlohmann::ordered_json> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      return oci::executor_policy(store, run_id, **client);
    });
  }

  Expected<nlohmann::ordered_json> preflight(const std::string& run_id,
                                             const Target& target) override {
    return shielded("oci preflight", [&]() -> Expected<nlohmann::ordered_json> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      return oci::preflight(**client, run_id, target);
    });
  }

  Expected<nlohmann::json> provider_state(const RunContext& ctx) override {
    return shielded("oci provider state", [&]() -> Expected<nlohmann::json> {
      auto client = client_for_phase(false);
      if (!client) return std::unexpected(client.error());
      return oci::judge_state(ctx, **client);
    });
  }

  // The statements are derived from the very plan `up` would send for this profile.
  Expected<nlohmann::ordered_json> least_privilege_policy(const profile::Profile& profile,
                                                          state::Store& store) override {
    return shielded("oci iam-policy", [&]() -> Expected<nlohmann::ordered_json> {
      oci::Placement where{profile.oci.compartment, profile.oci.region,
                           profile.oci.availability_domain};
      if (where.compartment.empty()) {
        auto account = m_clients->account();
        if (!account) {
          return fail(ExitCode::usage,
                      account.error().message +
                          "; or set oci.compartment in the profile to name the compartment "
                          "the policy is for");
        }
        where.compartment = account->tenancy;
      }
      state::RunRecord run;  // a placeholder run: only the shape of the plan matters here
      run.run_id = "iam-policy";
      run.ttl_expires_at = format_rfc3339(m_clients->clock().now());
      const RunContext ctx{run,
                           profile,
                           make_tags(run.run_id, "owner", run.ttl_expires_at, "oci", "policy"),
                           store,
                           m_clients->clock(),
                           true};
      auto plan = oci::plan_lab(ctx, where);
      if (!plan) return std::unexpected(plan.error());
      return oci::policy_statements(*plan, where);
    });
  }

 private:
  // True when this host has OCI settings of some kind: the config file exists, or one of the
  // variables that name a credential is set.
  bool oci_configured() const {
    for (const char* name : {"OCI_CLI_USER", "OCI_CLI_TENANCY", "OCI_CLI_FINGERPRINT",
                             "OCI_CLI_KEY_FILE", "OCI_CLI_CONFIG_FILE", "OCI_CONFIG_FILE"}) {
      if (!m_env(name).value_or("").empty()) return true;
    }
    const auto location = oci::config_location(m_env);
    std::error_code ec;
    return !location.file.empty() && std::filesystem::exists(location.file, ec);
  }

  // The command's client with a fresh phase deadline (CE_OCI_COMMAND_TIMEOUT).
  Expected<std::shared_ptr<oci::OciClient>> client_for_phase(bool live) {
    auto client = m_clients->client(live);
    if (client) m_clients->start_phase();
    return client;
  }

  // Where the lab goes: the profile's compartment (else the tenancy's root compartment), in
  // the credentials' region — OCI endpoints are regional, so a profile naming another region
  // is a mistake to fix, not to guess about.
  static Expected<oci::Placement> placement(const profile::Profile& profile,
                                            const oci::OciClientFactory::Account& account) {
    const auto& oci = profile.oci;
    if (!oci.region.empty() && oci.region != account.region) {
      return fail(ExitCode::usage,
                  profile.path.string() + ": oci.region \"" + text::printable(oci.region, 64) +
                      "\" is not the region of the OCI credentials (\"" + account.region +
                      "\"); OCI endpoints are regional: set OCI_CLI_REGION (or region in the "
                      "OCI config file) to it, or change oci.region");
    }
    return oci::Placement{oci.compartment.empty() ? account.tenancy : oci.compartment,
                          account.region, oci.availability_domain};
  }

  std::shared_ptr<oci::OciClientFactory> m_clients;
  EnvLookup m_env;
};

}  // namespace

std::unique_ptr<Provider> make_oci_provider(std::shared_ptr<oci::OciClientFactory> clients,
                                            EnvLookup env) {
  return std::make_unique<OciProvider>(std::move(clients), std::move(env));
}

}  // namespace labctl::providers
