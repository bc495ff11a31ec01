#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "matrix/site.hpp"
#include "ssh/session.hpp"

namespace labctl::matrix {

// A directed flow src -> dst, as indexes into the site list.
struct Flow {
  std::size_t src = 0;
  std::size_t dst = 0;
};

// Every ordered pair i != j in site order (N*(N-1) flows): the output order.
[[nodiscard]] std::vector<Flow> plan_flows(std::size_t site_count);

// What a runner observed for one flow; checks are derived from it by evaluate().
struct Observation {
  bool ping_ok = false;
  bool ssh_ok = false;  // the ssh op completed (connected, authenticated, script ran)
  std::string peer_ip;      // the client address dst saw ($SSH_CONNECTION field 1)
  std::string path_src_ip;  // src's own address towards dst (empty: the runner cannot tell)
  std::string default_gw;
  std::string src_hostname;
  std::string dst_hostname;
  std::string src_hostkey_sha256;
  std::string dst_hostkey_sha256;
  std::string src_identity_error;
  std::string dst_identity_error;
  std::optional<double> ping_ms;
  std::optional<double> ssh_ms;
  std::string error;  // why an op failed (connect, auth, host key, timeout, runner exit)
};

// Every string of an observation came from outside (remote command output, libssh's error
// text quoting the peer, MATRIX_RUNNER's output): this makes each one safe to log, store and
// serialise (text::printable: valid UTF-8, control characters escaped), cut to 512 bytes, or
// k_max_error_bytes for the error texts. Applied to every observation before evaluate().
using ssh::k_max_error_bytes;  // ssh/session.hpp
void make_printable(Observation& seen);

// The default-gateway expectation: "unchanged" compares with a per-source baseline when one is
// known (and passes on any non-empty gateway when not); any other value must match exactly.
struct GatewayExpectation {
  std::string value = "unchanged";
  std::map<std::string, std::string> baseline;  // site name -> gateway
};

struct FlowResult {
  Flow flow;
  Observation seen;
  bool ping = false;
  bool source_ip_preserved = false;
  bool default_gw_unchanged = false;
  bool no_nat = false;
  bool identity_check = false;
  bool result = false;
  // Names of the failing checks in output order, e.g. {"ping", "noNat"}; "ssh" when only the
  // ssh op itself failed.
  [[nodiscard]] std::vector<std::string> failing_checks() const;
};

// Applies the checks:
// - ping: the ping op passed;
// - sourceIpPreserved: peer_ip is non-empty and equals src's configured address;
// - noNat: peer_ip equals src's own address on the path AND that equals the configured address
//   (when the runner cannot report the path address, the configured address stands in for it);
// - defaultGwUnchanged: see GatewayExpectation;
// - identityCheck: no identity error, and each side's hostname matches its expectation (a
//   mismatch is recorded as "hostname mismatch: got X want Y" in that side's identity error);
// - result: all five and the ssh op passed.
[[nodiscard]] FlowResult evaluate(const Flow& flow, Observation seen, const std::vector<Site>& sites,
                                  const GatewayExpectation& gateway);

}  // namespace labctl::matrix
