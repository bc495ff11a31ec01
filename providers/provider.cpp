#include "providers/provider.hpp"

namespace labctl::providers {

Expected<nlohmann::json> Provider::inject_fault(const RunContext&, const FaultRequest& request) {
  return fail(ExitCode::provider, "failover: fault '" + request.fault +
                                      "' is not available for provider " + std::string(name()));
}

}  // namespace labctl::providers
