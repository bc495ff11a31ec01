#include "providers/provider.hpp"

namespace labctl::providers {

Expected<nlohmann::json> Provider::inject_fault(const RunContext&, const FaultRequest& request) {
  return fail(ExitCode::usage, "failover: provider " + std::string(name()) +
                                   " cannot do fault '" + request.fault + "'");
}

Expected<nlohmann::json> Provider::restore_fault(const RunContext&, const FaultRequest& request) {
  return fail(ExitCode::usage, "failover: provider " + std::string(name()) +
                                   " cannot restore fault '" + request.fault + "'");
}

Expected<std::string> Provider::gateway_holder(const RunContext&, const std::string& site) {
  return fail(ExitCode::provider, "failover --measure: provider " + std::string(name()) +
                                      " cannot tell which router holds the gateway of site " +
                                      site);
}

Expected<nlohmann::json> Provider::provider_state(const RunContext&) {
  return nlohmann::json{
      {"providerState", "na"},
      {"detail", {{"reason", "provider " + std::string(name()) + " does not judge its state"}}}};
}

// ---- Provider-specific checks (see provider.hpp): not supported unless overridden ----
Expected<Provider::PermissionReport> Provider::check_permissions(const Plan&) {
  return fail(ExitCode::usage,
              "provider " + std::string(name()) + " does not support permission checks");
}

Expected<nlohmann::ordered_json> Provider::least_privilege_policy(const profile::Profile&,
                                                                  state::Store&) {
  return fail(ExitCode::usage,
              "provider " + std::string(name()) + " does not support least-privilege policies");
}
// ---- end of the provider-specific checks ----

// ---- Provider actions (see provider.hpp): not supported unless overridden ----
bool Provider::has_actions() const { return false; }

Expected<ActionRunner> Provider::action_runner(bool) {
  return fail(ExitCode::usage, "provider " + std::string(name()) + " does not support actions");
}

Expected<nlohmann::ordered_json> Provider::executor_policy(state::Store&, const std::string&) {
  return fail(ExitCode::usage,
              "provider " + std::string(name()) + " does not support an executor policy");
}

Expected<nlohmann::ordered_json> Provider::preflight(const std::string&, const Target&) {
  return fail(ExitCode::usage, "provider " + std::string(name()) + " does not support preflight");
}
// ---- end of the provider actions ----

}  // namespace labctl::providers
