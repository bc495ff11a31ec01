#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evidence/model.hpp"

// The per-part derivations of result.json, each a pure function of the parsed inputs. The rules
// are the original harness's (reference spec §3) minus its bugs; where ours differ, the comment
// at the function says how and why.
namespace labctl::evidence {

// The matrix's four assertions plus its overall summary.result (the result rule needs it).
struct MatrixAssertions {
  Assertion directed;          // directed_ping_ssh_matrix
  Assertion source_ip;         // source_ip_preserved
  Assertion default_gateway;   // default_gateway_unchanged
  Assertion no_nat;            // no_nat
  std::string overall = k_na;  // summary.result, "na" when absent
};

// directed_ping_ssh_matrix passes when summary.result is pass and summary.total equals
// `expected_flows` (the scenario's expectedDirectedFlows, else 12, the original's d3 size).
// The per-field assertions pass when the field passes in every flow; with no flows all are na.
[[nodiscard]] MatrixAssertions derive_matrix(const std::optional<InputDocument>& matrix,
                                             long long expected_flows);

// failover_recovery_under_60s: na without events; pass when status is pass and every event's
// recoveryUnderThreshold is pass; fail otherwise.
[[nodiscard]] Assertion derive_failover_recovery(const std::optional<InputDocument>& timing);

// protocol_transparency, ftp_active_passive, nfs_rpc, bulk_transfer_pmtu,
// protocol_source_ip_preserved, protocol_no_nat (in that order). All na without the file; with
// it, a paired assertion needs both of its checks (summary.checks) to pass.
[[nodiscard]] std::vector<Assertion> derive_protocol(const std::optional<InputDocument>& protocol);

// l2_loop_free, broadcast_storm_absent, stp_rstp_stable, mac_flap_absent, failover_ping_stable,
// l2_suppression_mechanism_recorded (in that order), copied from status / summary.*.
[[nodiscard]] std::vector<Assertion> derive_l2(const std::optional<InputDocument>& l2_loop);

// {aws,oci,azure,onprem: {dataplane, providerState}}. dataplane looks at every flow whose src or
// dst is the provider (none: na; all pass: pass; else fail). providerState comes from the
// provider-state file ({"aws":"pass"} | {"aws":{"providerState":s}} | {"aws":{"result":s}}),
// else na. With a known run, a provider outside it that nothing measured is "skip".
[[nodiscard]] nlohmann::json derive_providers(const Inputs& inputs,
                                              const std::optional<RunFacts>& run);

// {ttlHours, teardown}. Without a run: the default TTL (4 h) and "pending" (nothing confirms a
// teardown). With a run: its real TTL; teardown "skipped" for a dry run, "completed" once the
// run is down with every resource confirmed deleted, "failed" when teardown (or up) failed or a
// "down" run still lists resources, "pending" otherwise.
[[nodiscard]] nlohmann::json derive_cost_guard(const std::optional<RunFacts>& run);

// One qualificationTimings matrix entry {status, phase, total, passed, failed, elapsedSeconds,
// parallelism} from a matrix's summary; `default_phase` when it names none; na and zeros
// without a matrix.
[[nodiscard]] nlohmann::json matrix_timing(const std::optional<InputDocument>& matrix,
                                           const char* default_phase);

// qualificationTimings: the two matrix entries, their summed elapsed time as
// dataplaneProbeSeconds, providerConvergenceSeconds from the timing file, and from the run's
// events (RunFacts) the provisioning time of its live `up` and the last passing deploy's time
// to routerd restarted; null when not measured (no run, a dry run, no such event).
[[nodiscard]] nlohmann::json derive_qualification_timings(const Inputs& inputs,
                                                          const std::optional<RunFacts>& run);

// The timings / protocols / l2Loop objects: the input re-emitted (keys sorted), or the
// original's default shape when the input is absent.
[[nodiscard]] nlohmann::json embedded_timings(const std::optional<InputDocument>& timing);
[[nodiscard]] nlohmann::json embedded_protocols(const std::optional<InputDocument>& protocol);
[[nodiscard]] nlohmann::json embedded_l2_loop(const std::optional<InputDocument>& l2_loop);

}  // namespace labctl::evidence
