#pragma once

#include <memory>
#include <string>

#include "providers/provider.hpp"

namespace labctl::providers {

// A provider that exists only as a dry-run plan (oci, until its issue). Live mode exits 3 with
// "provider NAME: not implemented (stub); use CE_DRY_RUN=1", and every use warns on stderr.
[[nodiscard]] std::unique_ptr<Provider> make_stub_provider(std::string name);

}  // namespace labctl::providers
