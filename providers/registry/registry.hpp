#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "providers/provider.hpp"

// The registry: the one place that lists the providers labctl has and builds them. Only this
// folder includes a provider's folder; everything else holds a Provider.
namespace labctl::providers {

// The provider names labctl knows, in the registry's order: aws, oci, azure, onprem, local.
[[nodiscard]] const std::vector<std::string>& known_names();

// Every registered provider, including lifecycle-test ones; `down --expired` asks each to
// discover expired resources.
[[nodiscard]] std::vector<std::string> discoverable_names();

// Returns the provider, or a usage error with a "did you mean" suggestion.
[[nodiscard]] Expected<std::unique_ptr<Provider>> make_provider(std::string_view name);

}  // namespace labctl::providers
