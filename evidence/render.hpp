#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "evidence/model.hpp"

// The human views of a bundle: summary.md and report.html. Every string that came from an input
// (scenario, commit, site names, details) is escaped for the target format.
namespace labctl::evidence {

struct BundleView {
  const nlohmann::json& result;                  // the validated result.json document
  const std::vector<std::string>& fail_reasons;  // why result is fail
  const Inputs& inputs;
  const nlohmann::json& timeline;                 // timeline.json: {"runId", "events":[...]}
  const std::optional<InputDocument>& preflight;  // the run's preflight document, if any
};

// The connectivity matrix as an N x N truth table over its sites (in order of appearance).
// cells[i][j] is the flow's result for sites[i] -> sites[j]: "pass", "fail", "skip", "na",
// "self" on the diagonal, or "missing" when the matrix has no such flow.
struct MatrixGrid {
  std::vector<std::string> sites;
  std::vector<std::vector<std::string>> cells;
};
[[nodiscard]] MatrixGrid matrix_grid(const std::optional<InputDocument>& matrix);

// One flow of a matrix, for the flows tables.
struct FlowRow {
  std::string src, dst;
  std::string result;  // pass, fail, skip or na
  std::optional<double> ping_ms, ssh_ms;
  std::string reason;  // a failing flow's checks and its runner's error ("" when it passed)
};

// A matrix as the views show it.
struct MatrixView {
  std::string label;  // "before" and "after" when both were given, else "matrix"
  std::string file;   // its copy in the bundle
  MatrixGrid grid;
  std::vector<FlowRow> flows;
  std::string summary;  // matrix_summary() of it
};

// The before matrix (when given), then the judged one (when given).
[[nodiscard]] std::vector<MatrixView> matrix_views(const Inputs& inputs);

// A measured failover (the timing input) as the views show it.
struct FailoverEventView {
  std::string provider, fault;
  std::string under_threshold;  // recoveryUnderThreshold
  std::optional<double> detection, switchover, recovery;
  std::vector<std::pair<std::string, std::string>> stages;  // (stage, "pass: what was seen")
};
struct FailoverView {
  std::string status;
  std::optional<double> threshold;
  std::vector<FailoverEventView> events;
};
[[nodiscard]] std::optional<FailoverView> failover_view(const std::optional<InputDocument>& timing);

// result.json's assertions split for the verdict.
struct AssertionTally {
  std::vector<const nlohmann::json*> failed, passed, other;  // other: na and skip
};
[[nodiscard]] AssertionTally tally_assertions(const nlohmann::json& result);

// Every file of the bundle the views describe, in the order they list them.
[[nodiscard]] std::vector<std::string> bundle_files(const BundleView& view);

// One qualificationTimings matrix entry as text: "12/12 flows passed, result pass, phase ...".
[[nodiscard]] std::string matrix_summary(const nlohmann::json& entry);

// qualificationTimings as (label, value) rows for both views; a null reads "not measured".
[[nodiscard]] std::vector<std::pair<std::string, std::string>> qualification_rows(
    const nlohmann::json& result);

[[nodiscard]] std::string render_summary(const BundleView& view);

// One self-contained HTML page: inline CSS and SVG only, no scripts, no external resources
// (links only to the bundle's own files, by name). Sections, each a <section id=...>: verdict,
// failover (an SVG bar chart of detection/switchover/recovery against the threshold, each bar a
// <rect data-stage data-seconds>), matrices (before and after side by side; each matrix cell is
// a <td class="cell ..."> with data-from, data-to and data-result; per-flow latency and reason),
// lifecycle, qualification, providers, assertions, timeline, files.
[[nodiscard]] std::string render_html(const BundleView& view);

}  // namespace labctl::evidence
