#pragma once

#include <memory>

#include "core/env.hpp"
#include "providers/provider.hpp"

namespace labctl::providers {

// A provider whose "resources" are files under $LABCTL_TESTFS_DIR/<run-id>/, each holding its
// tags as JSON. It exists to test the lifecycle (guard, leases, down, janitor) end to end
// without a cloud: it records intents, can be discovered by tag, and obeys three knobs:
//   LABCTL_TESTFS_BLOCK_AFTER=N   after creating N resources, wait until interrupted
//   LABCTL_TESTFS_FAIL_AFTER=N    fail `up` after creating N resources
//   LABCTL_TESTFS_FAIL_DELETE=X   deleting the resource named X fails (until unset)
// Those variables (and LABCTL_TESTFS_DIR) are read through `env`.
[[nodiscard]] std::unique_ptr<Provider> make_testfs_provider(EnvLookup env);

}  // namespace labctl::providers
