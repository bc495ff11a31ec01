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

// One qualificationTimings matrix entry as text: "12/12 flows passed, result pass, phase ...".
[[nodiscard]] std::string matrix_summary(const nlohmann::json& entry);

// qualificationTimings as (label, value) rows for both views; a null reads "not measured".
[[nodiscard]] std::vector<std::pair<std::string, std::string>> qualification_rows(
    const nlohmann::json& result);

[[nodiscard]] std::string render_summary(const BundleView& view);

// One self-contained HTML page: inline CSS only, no scripts, no external resources. Each matrix
// cell is a <td class="cell ..."> with data-from, data-to and data-result attributes.
[[nodiscard]] std::string render_html(const BundleView& view);

}  // namespace labctl::evidence
