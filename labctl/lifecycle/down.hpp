#pragma once

#include <optional>
#include <string>

#include "core/error.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {

struct DownOptions {
  std::optional<std::string> run_id;  // --run-id
  bool expired = false;               // --expired (wins over the others)
  bool force = false;                 // --force: the latest active run when no --run-id
};

// `labctl down`. Idempotent: a run with nothing left exits ok. --expired tears down every run
// past its TTL according to the state, plus every run a provider discovers by its
// ttl_expires_at tag (so it works with an empty state directory). Runs another process holds
// are skipped with a message. Returns ExitCode::provider if anything could not be deleted.
// `seams` build the providers (one set of cloud clients for the whole command); their clock
// decides which runs are past their TTL and stamps runs adopted from discovery.
[[nodiscard]] Expected<void> run_down(const DownOptions& options,
                                      const providers::ProviderSeams& seams);

}  // namespace labctl::lifecycle
