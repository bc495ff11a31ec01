#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/flow.hpp"

namespace labctl::matrix {

struct Summary {
  std::size_t total = 0;
  std::size_t passed = 0;
  std::string phase = "matrix";
  int parallelism = 1;
  double elapsed_seconds = 0;  // rounded to milliseconds in the JSON
  [[nodiscard]] std::size_t failed() const { return total - passed; }
  [[nodiscard]] bool pass() const { return passed == total; }
};

[[nodiscard]] Summary summarize(const std::vector<FlowResult>& results, std::string phase,
                                int parallelism, double elapsed_seconds);

// The matrix JSON: {"flows": [...], "summary": {...}}. Flow keys keep the original's order
// (src dst dstIp srcIp peerIp defaultGw srcHostname dstHostname srcHostKeySHA256
// dstHostKeySHA256 srcIdentityError dstIdentityError ping sourceIpPreserved defaultGwUnchanged
// noNat identityCheck result), then the additions pathSrcIp, pingMs, sshMs (null when not
// measured) and error. Checks are "pass"/"fail".
[[nodiscard]] nlohmann::ordered_json to_json(const std::vector<FlowResult>& results,
                                             const std::vector<Site>& sites,
                                             const Summary& summary);

// `matrix: src (ip) -> dst (ip): pass` or `...: fail [check,check] error text`.
[[nodiscard]] std::string flow_line(const FlowResult& result, const std::vector<Site>& sites);

// The facts of flow_line as NDJSON fields: src, dst, srcIp, dstIp, result ("pass"/"fail"),
// failing (the failing checks, empty when it passed), pingMs and sshMs (null when not
// measured) and error (empty when none).
[[nodiscard]] nlohmann::ordered_json flow_fields(const FlowResult& result,
                                                 const std::vector<Site>& sites);

// The summary's facts as NDJSON fields: the matrix JSON's "summary" object.
[[nodiscard]] nlohmann::ordered_json summary_fields(const Summary& summary);

// `matrix summary: P/T passed, result=R, phase=PH, parallelism=N, elapsed=Es`.
[[nodiscard]] std::string summary_line(const Summary& summary);

// The N x N truth table, rows = src, columns = dst: "✓" for a passing flow, "✗ check" naming
// the first failing check, "·" on the diagonal. When several flows share a (src, dst) name pair
// (duplicate site names) the last one is shown.
[[nodiscard]] std::string truth_table(const std::vector<FlowResult>& results,
                                      const std::vector<Site>& sites);

// The same table as NDJSON fields: {"columns": [dst names], "rows": [[src name, cell, ...],
// ...]}, where a cell is "pass", "fail:<first failing check>" or null on the diagonal.
[[nodiscard]] nlohmann::ordered_json truth_table_fields(const std::vector<FlowResult>& results,
                                                        const std::vector<Site>& sites);

}  // namespace labctl::matrix
