#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {

struct DownOptions {
  std::optional<std::string> run_id;  // --run-id
  bool expired = false;               // --expired (wins over the others)
  bool force = false;                 // --force: the latest active run when no --run-id
};

// One run as `down` left it: `result` is "down" (torn down now), "planned" (dry: `resources`
// is what a live run would delete), "already-down", "skipped" (another process holds it) or
// "failed"; `resources` counts what was confirmed gone, `discovered` what was found only by tag.
struct DownRun {
  std::string run_id;
  std::string result;
  std::size_t resources = 0;
  std::size_t discovered = 0;
};

// What one `labctl down` did, or would do: the runs it reached, appended by concurrent teardowns.
class DownOutcome {
 public:
  void add(DownRun run);
  [[nodiscard]] bool empty() const;
  // {"command":"down","dryRun":…,"runs":[{"runId","result","resources","discovered"}]}: the
  // command's one result on stdout.
  [[nodiscard]] nlohmann::json to_json(bool dry) const;

 private:
  mutable std::mutex m_mutex;
  std::vector<DownRun> m_runs;
};

// `labctl down`. Idempotent: a run with nothing left exits ok. --expired tears down every run
// past its TTL according to the state, plus every run a provider discovers by its
// ttl_expires_at tag (so it works with an empty state directory). Runs another process holds
// are skipped with a message. Returns ExitCode::provider if anything could not be deleted.
// `seams` build the providers (one set of cloud clients for the whole command); their clock
// decides which runs are past their TTL and stamps runs adopted from discovery. Each run reached
// is added to `outcome`, failed or not.
[[nodiscard]] Expected<void> run_down(const DownOptions& options,
                                      const providers::ProviderSeams& seams, DownOutcome& outcome);

}  // namespace labctl::lifecycle
