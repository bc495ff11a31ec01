#pragma once

#include <memory>

#include "providers/provider.hpp"

namespace labctl::providers {

// Pre-provisioned hosts from the profile's onprem inventory: nothing to create or delete.
[[nodiscard]] std::unique_ptr<Provider> make_onprem_provider();

}  // namespace labctl::providers
