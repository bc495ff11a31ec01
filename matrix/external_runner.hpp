#pragma once

#include <memory>
#include <string>

#include "core/process.hpp"
#include "matrix/runner.hpp"

namespace labctl::matrix {

// The original's MATRIX_RUNNER contract: `RUNNER ping SRC DSTIP` (exit 0 = pass) and
// `RUNNER ssh SRC DSTIP DSTSITE` printing key=value lines (first match wins): peer_ip,
// default_gw, src_/dst_hostname, src_/dst_hostkey_sha256, src_/dst_identity_error, and, new,
// optional path_src_ip. Both ops' stdout is captured and never reaches our stdout.
class ExternalRunner final : public FlowRunner {
 public:
  ExternalRunner(std::string runner, std::shared_ptr<ProcessRunner> processes);
  [[nodiscard]] std::vector<Observation> run(const std::vector<Site>& sites,
                                             const std::vector<Flow>& flows, int parallelism,
                                             const FlowDone& on_done) override;

 private:
  [[nodiscard]] Observation observe(const Site& src, const Site& dst);

  std::string m_runner;
  std::shared_ptr<ProcessRunner> m_processes;
};

}  // namespace labctl::matrix
