#pragma once

#include "matrix/runner.hpp"
#include "ssh/session.hpp"

namespace labctl::matrix {

struct SshRunnerOptions {
  ssh::SshSettings ssh;
  int ping_count = 3;       // CE_MATRIX_PING_COUNT
  int ping_timeout_s = 2;   // CE_MATRIX_PING_TIMEOUT
  // Session slots (exec channels until sshd's close) held at once per host: below sshd's
  // default MaxSessions of 10; a lower server limit is learned from its refusals.
  int max_sessions = 8;
  int command_timeout_s = 60;  // CE_MATRIX_COMMAND_TIMEOUT: a started command (or a nested handshake) that hangs
  // Nested handshakes in flight towards one destination, from all sources together: below
  // sshd's MaxStartups (10 unauthenticated connections) so a full matrix is not dropped.
  int max_handshakes_per_host = 8;
};

// The built-in engine over libssh. Per source host: one session (through its jump host's
// session when it has one), one exec for its hostname and default gateway. Per flow, at the
// same time: an exec on src running `ip route get DST` (src's own address on the path) and
// `ping -c COUNT -W TIMEOUT -n DST`; and a direct-tcpip channel from src to DST:22 carrying a
// second session that authenticates with our key, verifies dst's host key and runs a script
// printing dst's hostname and the client address of $SSH_CONNECTION.
class SshRunner final : public FlowRunner {
 public:
  explicit SshRunner(SshRunnerOptions options) : m_options(std::move(options)) {}
  [[nodiscard]] std::vector<Observation> run(const std::vector<Site>& sites,
                                             const std::vector<Flow>& flows, int parallelism,
                                             const FlowDone& on_done) override;

 private:
  SshRunnerOptions m_options;
};

// Quotes `text` for a POSIX shell (single quotes).
[[nodiscard]] std::string shell_quote(const std::string& text);

}  // namespace labctl::matrix
