#include "providers/provider.hpp"

namespace labctl::providers {

Expected<nlohmann::json> Provider::inject_fault(const RunContext&, const FaultRequest& request) {
  return fail(ExitCode::provider, "failover: fault '" + request.fault +
                                      "' is not available for provider " + std::string(name()));
}

Expected<std::string> Provider::gateway_holder(const RunContext&, const std::string& site) {
  return fail(ExitCode::provider, "failover --measure: provider " + std::string(name()) +
                                      " cannot tell which router holds the gateway of site " +
                                      site);
}

}  // namespace labctl::providers
