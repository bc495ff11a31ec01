#pragma once

#include <string>

#include "core/error.hpp"
#include "core/state_store.hpp"
#include "providers/registry/registry.hpp"

namespace labctl::lifecycle {

// The teardown guard of `up`: armed once the run row exists, disarmed on success. If `up` ends
// any other way (an error, an exception, SIGINT/SIGTERM/SIGHUP), finish() tears down what the
// state says was created — shielded from further signals — unless --keep, in which case it
// leaves the partial lab and says how to remove it. The exit code is the original failure's
// (128 + signal for a signal).
class TeardownGuard {
 public:
  TeardownGuard(const providers::ProviderSeams& seams, state::Store& store, state::RunRecord run,
                bool keep)
      : m_seams(seams), m_store(store), m_run(std::move(run)), m_keep(keep) {}
  TeardownGuard(const TeardownGuard&) = delete;
  TeardownGuard& operator=(const TeardownGuard&) = delete;

  void disarm() { m_armed = false; }
  [[nodiscard]] bool armed() const { return m_armed; }

  // Handles a failed `up`: returns the Error to exit with (the original failure, or the
  // interruption), after tearing down or keeping the partial lab.
  [[nodiscard]] Error finish(Error failure);

 private:
  const providers::ProviderSeams& m_seams;
  state::Store& m_store;
  state::RunRecord m_run;
  bool m_keep;
  bool m_armed = true;
};

}  // namespace labctl::lifecycle
