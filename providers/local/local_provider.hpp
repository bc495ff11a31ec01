#pragma once

#include <memory>

#include "providers/provider.hpp"

namespace labctl::providers {

// The network-namespace lab on this host (needs root for live mode).
[[nodiscard]] std::unique_ptr<Provider> make_local_provider();

}  // namespace labctl::providers
