#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "matrix/flow.hpp"

namespace labctl::matrix {

// Called once per finished flow, from a worker thread, never concurrently with itself.
using FlowDone = std::function<void(std::size_t index, const Observation& seen)>;

// Observes flows; the checks are applied afterwards by evaluate(). Implementations: the libssh
// engine (ssh_runner.hpp) and the external MATRIX_RUNNER (external_runner.hpp).
class FlowRunner {
 public:
  virtual ~FlowRunner() = default;
  // Observes every flow with at most `parallelism` in flight; returns the observations in
  // `flows` order. Failures are observations (ssh_ok=false, error set), never exceptions.
  [[nodiscard]] virtual std::vector<Observation> run(const std::vector<Site>& sites,
                                                     const std::vector<Flow>& flows,
                                                     int parallelism, const FlowDone& on_done) = 0;
};

// Runs work(i) for i in [0, count) on min(parallelism, count) threads, taking indexes in order;
// on_done(i) runs under one lock after work(i). Returns when all are done.
void for_each_bounded(std::size_t count, int parallelism,
                      const std::function<void(std::size_t)>& work,
                      const std::function<void(std::size_t)>& on_done);

}  // namespace labctl::matrix
