#include "providers/local/local_provider.hpp"

namespace labctl::providers {

// The registry's entry point; the provider itself lives in labctl_local (local_lab_provider.cpp).
std::unique_ptr<Provider> make_local_provider() { return make_local_provider(LocalOptions{}); }

}  // namespace labctl::providers
