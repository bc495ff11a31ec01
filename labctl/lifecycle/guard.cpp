#include "labctl/lifecycle/guard.hpp"

#include "core/interrupt.hpp"
#include "labctl/lifecycle/teardown.hpp"
#include "core/log.hpp"
#include "core/shield.hpp"

namespace labctl::lifecycle {

namespace {

Error finish_with_signal(Error failure) {
  if (const int signo = interrupt::pending(); signo != 0) {
    return Error{static_cast<ExitCode>(128 + signo),
                 "up: interrupted by signal " + std::to_string(signo)};
  }
  return failure;
}

}  // namespace

Error TeardownGuard::finish(Error failure) {
  Error outcome = finish_with_signal(std::move(failure));
  if (!m_armed) return outcome;
  m_armed = false;
  if (m_keep) {
    (void)m_store.set_run_status(m_run.run_id, state::k_run_failed);
    (void)m_store.add_event(m_run.run_id, "up", {{"result", "failed"}, {"kept", true}});
    log::warn("guard.keep", "up failed; --keep leaves the partial lab " + m_run.run_id +
                                ". Remove it with: labctl down --run-id " + m_run.run_id);
    return outcome;
  }
  log::warn("guard.teardown", "EXIT guard: tearing down " + m_run.run_id + " (rc=" +
                                  std::to_string(to_int(outcome.code)) + ")");
  (void)shielded("teardown guard: recording the failure", [&] {
    return m_store.add_event(m_run.run_id, "up",
                             {{"result", "failed"}, {"error", outcome.message}});
  });
  interrupt::shield();
  auto torn = teardown_run(m_seams, m_store, m_run, false);
  const int ignored = interrupt::unshield();
  if (ignored > 0) {
    log::warn("guard.signal", std::to_string(ignored) +
                                  " signal(s) arrived during teardown and were ignored so it "
                                  "could finish");
  }
  if (!torn) {
    log::error("guard.teardown", "teardown guard: down failed: " + torn.error().message);
  }
  return outcome;
}

}  // namespace labctl::lifecycle
