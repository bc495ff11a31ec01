// What summary.md and report.html both show, computed once: the matrix grid and the
// qualification rows.
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "evidence/render.hpp"
#include "core/json_io.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

std::string text_at(const json& flow, const char* key) {
  const auto it = flow.find(key);
  return it != flow.end() && it->is_string() ? it->get<std::string>() : std::string("?");
}

std::size_t site_index(std::vector<std::string>& sites, const std::string& site) {
  const auto it = std::ranges::find(sites, site);
  if (it != sites.end()) return static_cast<std::size_t>(it - sites.begin());
  sites.push_back(site);
  return sites.size() - 1;
}

}  // namespace

MatrixGrid matrix_grid(const std::optional<InputDocument>& matrix) {
  MatrixGrid grid;
  if (!matrix || !matrix->value.contains("flows") || !matrix->value["flows"].is_array())
    return grid;
  const json& flows = matrix->value["flows"];
  for (const json& flow : flows) {
    site_index(grid.sites, text_at(flow, "src"));
    site_index(grid.sites, text_at(flow, "dst"));
  }
  const std::size_t n = grid.sites.size();
  grid.cells.assign(n, std::vector<std::string>(n, "missing"));
  for (std::size_t i = 0; i < n; ++i) grid.cells[i][i] = "self";
  for (const json& flow : flows) {
    const std::size_t from = site_index(grid.sites, text_at(flow, "src"));
    const std::size_t to = site_index(grid.sites, text_at(flow, "dst"));
    if (from == to) continue;
    std::string result = text_at(flow, "result");
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
