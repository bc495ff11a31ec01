#pragma once

#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/state_store.hpp"
#include "executor/gate.hpp"
#include "providers/provider.hpp"
#include "providers/registry/registry.hpp"

// How the executor finds the provider that performs an action: always through the registry,
// never by name of a cloud. Every provider is built with the command's `seams`.
namespace labctl::executor {

// The gate's runners from the registry (`live` false: the runners mutate nothing). A provider
// without actions answers refused "provider X has no actions".
[[nodiscard]] ActionRunners registry_runners(bool live, providers::ProviderSeams seams);

// The provider of `run`'s actions (preflight, action plan, iam-policy --executor): the first of
// the run's providers that has actions; a usage error naming `command` when none has.
[[nodiscard]] Expected<std::unique_ptr<providers::Provider>> action_provider(
    const state::RunRecord& run, const std::string& command,
    const providers::ProviderSeams& seams);

}  // namespace labctl::executor
