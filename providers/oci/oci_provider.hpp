#pragma once

#include <memory>

#include "core/env.hpp"
#include "providers/oci/oci_client.hpp"
#include "providers/provider.hpp"

namespace labctl::providers {

// Real OCI (signed REST): the oci part of a profile as one VCN lab per run in the profile's
// compartment, its teardown, the janitor over the tenancy (Resource Search) and the faults.
// `clients` is the command's OCI client factory (shared by every oci provider of the command);
// `env` is read for the SSH settings of node faults.
[[nodiscard]] std::unique_ptr<Provider> make_oci_provider(
    std::shared_ptr<oci::OciClientFactory> clients, EnvLookup env);

}  // namespace labctl::providers
