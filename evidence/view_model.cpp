// What summary.md and report.html both show, computed once: the matrices, the failover, the
// verdict's tallies, the qualification rows and the bundle's file list.
#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "evidence/render.hpp"
#include "core/json_io.hpp"
#include "core/strcat.hpp"
#include "core/text.hpp"
#include "evidence/bundle.hpp"
#include "evidence/derive.hpp"
#include "core/json_fields.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

// A flow's text field; "?" when absent, so a grid never has an empty site name.
std::string field_or_unknown(const json& flow, const char* key) {
  return fields::string_at(flow, key).value_or("?");
}

std::size_t site_index(std::vector<std::string>& sites, const std::string& site) {
  const auto it = std::ranges::find(sites, site);
  if (it != sites.end()) return static_cast<std::size_t>(it - sites.begin());
  sites.push_back(site);
  return sites.size() - 1;
}

using fields::member;
using fields::number_at;
using fields::string_at;

// The longest reason or stage detail shown; the input copy holds the rest.
constexpr std::size_t k_max_reason_bytes = 300;

// Why a flow failed: its failing checks, then the runner's and the identity errors.
std::string flow_reason(const json& flow) {
  std::string checks;
  for (const char* check :
       {"ping", "sourceIpPreserved", "defaultGwUnchanged", "noNat", "identityCheck"}) {
    if (flow.contains(check) && string_at(flow, check) != k_pass) {
      checks += cat(checks.empty() ? "" : ", ", check);
    }
  }
  std::string reason = checks.empty() ? std::string() : "failed " + checks;
  for (const char* key : {"error", "srcIdentityError", "dstIdentityError"}) {
    const std::string detail = string_at(flow, key).value_or("");
    if (!detail.empty() && reason.find(detail) == std::string::npos) {
      reason += cat(reason.empty() ? "" : ": ", detail);
    }
  }
  return text::printable(reason.empty() ? "no failing check recorded" : reason,
                         k_max_reason_bytes);
}

std::vector<FlowRow> flow_rows(const InputDocument& matrix) {
  std::vector<FlowRow> rows;
  const json& flows = member(matrix.value, "flows");
  if (!flows.is_array()) return rows;
  for (const json& flow : flows) {
    std::string result = field_or_unknown(flow, "result");
    if (result != k_pass && result != k_fail && result != k_skip) result = k_na;
    rows.push_back({.src = field_or_unknown(flow, "src"),
                    .dst = field_or_unknown(flow, "dst"),
                    .result = result,
                    .ping_ms = number_at(flow, "pingMs"),
                    .ssh_ms = number_at(flow, "sshMs"),
                    .reason = result == k_pass ? std::string() : flow_reason(flow)});
  }
  return rows;
}

}  // namespace

std::vector<MatrixView> matrix_views(const Inputs& inputs) {
  const bool both = inputs.matrix_before && inputs.matrix;
  std::vector<MatrixView> views;
  const std::tuple<const std::optional<InputDocument>*, const char*, const char*> sources[] = {
      {&inputs.matrix_before, "before", "connectivity-matrix-before.json"},
      {&inputs.matrix, both ? "after" : "matrix", "connectivity-matrix.json"}};
  for (const auto& [matrix, label, file] : sources) {
    if (!*matrix) continue;
    views.push_back({.label = label,
                     .file = file,
                     .grid = matrix_grid(*matrix),
                     .flows = flow_rows(**matrix),
                     .summary = matrix_summary(matrix_timing(*matrix, label))});
  }
  return views;
}

std::optional<FailoverView> failover_view(const std::optional<InputDocument>& timing) {
  if (!timing) return std::nullopt;
  FailoverView view{.status = string_at(timing->value, "status").value_or(k_na),
                    .threshold = number_at(timing->value, "thresholdSeconds"),
                    .events = {}};
  const json& events = member(timing->value, "events");
  if (!events.is_array()) return view;
  for (const json& event : events) {
    FailoverEventView row{.provider = text::printable(field_or_unknown(event, "provider"), 64),
                          .fault = text::printable(field_or_unknown(event, "fault"), 64),
                          .under_threshold = string_at(event, "recoveryUnderThreshold").value_or(k_na),
                          .detection = number_at(event, "detectionSeconds"),
                          .switchover = number_at(event, "switchoverSeconds"),
                          .recovery = number_at(event, "recoverySeconds"),
                          .stages = {}};
    const json& stages = member(event, "stages");
    if (stages.is_object()) {
      for (const auto& [name, stage] : stages.items()) {
        row.stages.emplace_back(
            text::printable(name, 64),
            text::printable(cat(string_at(stage, "result").value_or("?"), ": ",
                                string_at(stage, "detail").value_or("")),
                            k_max_reason_bytes));
      }
    }
    view.events.push_back(std::move(row));
  }
  return view;
}

AssertionTally tally_assertions(const json& result) {
  AssertionTally tally;
  const json& assertions = member(result, "assertions");
  if (!assertions.is_array()) return tally;
  for (const json& assertion : assertions) {
    const auto state = string_at(assertion, "result");
    (state == k_fail ? tally.failed : state == k_pass ? tally.passed : tally.other)
        .push_back(&assertion);
  }
  return tally;
}

std::vector<std::string> bundle_files(const BundleView& view) {
  std::vector<std::string> files{"result.json", "summary.md", "report.html", "timeline.json"};
  for (const auto& [name, document] : input_copies(view.inputs, view.preflight)) {
    if (*document) files.push_back(name);
  }
  files.emplace_back("MANIFEST.sha256");
  return files;
}

MatrixGrid matrix_grid(const std::optional<InputDocument>& matrix) {
  MatrixGrid grid;
  if (!matrix || !matrix->value.contains("flows") || !matrix->value["flows"].is_array())
    return grid;
  const json& flows = matrix->value["flows"];
  for (const json& flow : flows) {
    site_index(grid.sites, field_or_unknown(flow, "src"));
    site_index(grid.sites, field_or_unknown(flow, "dst"));
  }
  const std::size_t n = grid.sites.size();
  grid.cells.assign(n, std::vector<std::string>(n, "missing"));
  for (std::size_t i = 0; i < n; ++i) grid.cells[i][i] = "self";
  for (const json& flow : flows) {
    const std::size_t from = site_index(grid.sites, field_or_unknown(flow, "src"));
    const std::size_t to = site_index(grid.sites, field_or_unknown(flow, "dst"));
    if (from == to) continue;
    std::string result = field_or_unknown(flow, "result");
    if (result != k_pass && result != k_fail && result != k_skip) result = k_na;
    // Duplicate site names can give one pair several flows: any failing flow fails the cell.
    if (grid.cells[from][to] != k_fail) grid.cells[from][to] = result;
  }
  return grid;
}

std::string matrix_summary(const json& entry) {
  if (entry["total"] == 0 && entry["elapsedSeconds"].is_null()) return "no matrix given";
  const json& elapsed = entry["elapsedSeconds"];
  return json_io::dump(entry["passed"]) + "/" + json_io::dump(entry["total"]) + " flows passed, result " +
         entry["status"].get<std::string>() + ", phase " + entry["phase"].get<std::string>() +
         ", parallelism " + json_io::dump(entry["parallelism"]) + ", elapsed " +
         (elapsed.is_number() ? json_io::dump(elapsed) + " s" : std::string("not recorded"));
}

std::vector<std::pair<std::string, std::string>> qualification_rows(const json& result) {
  const json& timings = result["qualificationTimings"];
  const auto seconds = [&](const char* key) {
    const json& value = timings[key];
    return value.is_number() ? json_io::dump(value) + " s" : std::string("not measured");
  };
  return {{"infrastructure provisioning", seconds("infraProvisionSeconds")},
          {"deploy to routerd ready", seconds("deployRouterdReadySeconds")},
          {"provider convergence", seconds("providerConvergenceSeconds")},
          {"dataplane probes (both matrices)", seconds("dataplaneProbeSeconds")},
          {"normal matrix", matrix_summary(timings["normalMatrix"])},
          {"cloud-ingress matrix", matrix_summary(timings["cloudIngressMatrix"])}};
}

}  // namespace labctl::evidence
