#pragma once

#include <memory>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/process.hpp"

namespace labctl {

// The process edges that are not a cloud: the environment, time and child processes. labctl/
// builds one Seams from the real system and passes it (or the part a callee needs) down; no
// code below labctl/ reaches for a global instead. Tests build one from tests/fakes/.
struct Seams {
  EnvLookup env;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<ProcessRunner> processes;

  // The real environment, system clock and fork/exec runner.
  [[nodiscard]] static Seams system() {
    return Seams{env::process(), system_clock(), system_process_runner()};
  }
};

}  // namespace labctl
