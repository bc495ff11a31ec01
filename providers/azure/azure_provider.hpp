#pragma once

#include <memory>

#include "core/env.hpp"
#include "providers/azure/arm_client.hpp"
#include "providers/provider.hpp"

namespace labctl::providers {

// Real Azure (Resource Manager REST): the azure part of a profile as one resource group per
// run, its teardown, the janitor over every visible subscription, and the faults. `clients` is
// the command's ARM client factory (shared by every azure provider of the command); `env` is
// read for AZURE_SUBSCRIPTION_ID and the SSH settings of node faults.
[[nodiscard]] std::unique_ptr<Provider> make_azure_provider(
    std::shared_ptr<azure::ArmClientFactory> clients, EnvLookup env);

}  // namespace labctl::providers
