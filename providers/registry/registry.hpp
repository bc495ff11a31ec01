#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/profile.hpp"
#include "core/seams.hpp"
#include "providers/provider.hpp"

namespace labctl::providers::aws {
class Ec2ClientFactories;
}  // namespace labctl::providers::aws
namespace labctl::providers::azure {
class ArmClientFactory;
}  // namespace labctl::providers::azure
namespace labctl::providers::oci {
class OciClientFactory;
}  // namespace labctl::providers::oci

// The registry: the one place that lists the providers labctl has and builds them. Only this
// folder includes a provider's folder; everything else holds a Provider, and code below the
// registry (core/) gets the names it checks from here.
namespace labctl::providers {

// The provider names labctl knows, in the registry's order: aws, oci, azure, onprem, local.
[[nodiscard]] const std::vector<std::string>& known_names();

// Every registered provider, including lifecycle-test ones; `down --expired` asks each to
// discover expired resources.
[[nodiscard]] std::vector<std::string> discoverable_names();

// True for a provider whose resources live on the machine that made them (the local lab's
// namespaces and processes): only that machine can tear them down, whatever state it shares.
[[nodiscard]] bool machine_local(std::string_view name);

// What every provider is built with: the process edges (environment, clock, child processes)
// and the cloud clients. labctl/ builds one per command (provider_seams) and hands that same
// one to each make_provider of the command, so its providers share clients and deadlines (the
// janitor's bound, armed while discovering, also bounds the teardowns that follow).
struct ProviderSeams {
  Seams seams;
  std::shared_ptr<aws::Ec2ClientFactories> aws_clients;  // EC2 client factories, dry and live
  std::shared_ptr<azure::ArmClientFactory> azure_clients;  // ARM clients, dry and live
  std::shared_ptr<oci::OciClientFactory> oci_clients;      // OCI clients, dry and live
};

// The production ProviderSeams over `seams`: EC2, ARM and OCI clients built on first use from
// seams.env and seams.clock (curl transport).
[[nodiscard]] ProviderSeams provider_seams(Seams seams);

// Returns the provider built with `seams`, or a usage error with a "did you mean" suggestion.
[[nodiscard]] Expected<std::unique_ptr<Provider>> make_provider(std::string_view name,
                                                                const ProviderSeams& seams);

// Applies a --provider-order mode to the provider list:
//   declared (or "")          the given order
//   cost-optimized, slow-first cheapest first: local, onprem, oci, aws, azure
//   fast-first                 quickest bring-up first: local, aws, azure, oci, onprem
// Providers a mode does not rank keep their declared order after the ranked ones.
// An unknown mode is a usage error listing the modes.
[[nodiscard]] Expected<std::vector<std::string>> order_providers(
    const std::vector<std::string>& providers, const std::string& mode);

// The names a profile may use for a provider (profile::check_provider_names).
[[nodiscard]] profile::ProviderNames profile_names();

// profile::load, then every provider the profile names checked against the registry.
[[nodiscard]] Expected<profile::Profile> load_profile(const std::string& name_or_path);

}  // namespace labctl::providers
