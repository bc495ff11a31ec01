#include <algorithm>
#include <cstddef>
#include <string_view>

#include "evidence/render.hpp"
#include "core/strcat.hpp"
#include "core/build_info.hpp"
#include "core/json_io.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

// Escapes text for Markdown so an input string can add no structure: control characters become
// visible escapes (\n, \u0007) and the punctuation that can open Markdown structure (emphasis,
// code, links, HTML, headings, tables, strikethrough, entities) is backslash-escaped. Plain names
// like d3-4site-directed-matrix stay readable.
std::string md(std::string_view text) {
  constexpr std::string_view k_escaped = "\\`*[]<>#!|~&";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\\\n";
    } else if (c == '\r') {
      out += "\\\\r";
    } else if (c == '\t') {
      out += "\\\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\\\u00" + hex_byte(byte);
    } else {
      if (k_escaped.find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

std::string str(const json& document, const char* key) {
  const auto it = document.find(key);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string cell_text(const std::string& result) {
  if (result == "self") return "·";
  if (result == "missing") return "(no flow)";
  if (result == k_fail) return "**FAIL**";
  return result;
}

void matrix_section(std::string& out, const BundleView& view) {
  out += "\n## Connectivity matrix (rows: source, columns: destination)\n\n";
  const MatrixGrid grid = matrix_grid(view.inputs.matrix);
  if (grid.sites.empty()) {
    out += "No connectivity matrix was given.\n";
    return;
  }
  out += "| src \\\\ dst |";
  for (const std::string& site : grid.sites) out += " " + md(site) + " |";
  out += "\n|---|";
  for (std::size_t i = 0; i < grid.sites.size(); ++i) out += "---|";
  out += "\n";
  for (std::size_t i = 0; i < grid.sites.size(); ++i) {
    out += "| " + md(grid.sites[i]) + " |";
    for (const std::string& cell : grid.cells[i]) out += " " + cell_text(cell) + " |";
    out += "\n";
  }
  out += "\n" + md(matrix_summary(view.result["qualificationTimings"]["normalMatrix"])) + "\n";
}

// A JSON bool as text; "not recorded" for anything else.
std::string flag_text(const json& document, const char* key) {
  const auto it = document.find(key);
  if (it == document.end() || !it->is_boolean()) return "not recorded";
  return it->get<bool>() ? "true" : "false";
}

// The read-only preflight run before any mutation (runbook §4): which ENI and address, whether
// the address was already on the ENI (a dirty lab), the SourceDestCheck the executor will
// record as prior, and every check.
void preflight_section(std::string& out, const json& preflight) {
  const json eni =
      preflight.contains("eni") && preflight["eni"].is_object() ? preflight["eni"] : json::object();
  const std::string address = str(preflight, "address");
  std::string assigned = "not recorded";
  if (const auto ips = eni.find("privateIps"); ips != eni.end() && ips->is_array()) {
    const bool held =
        std::ranges::find(*ips, json(address)) != ips->end() || str(eni, "primaryIp") == address;
    assigned = held ? "yes" : "no";
  }
  out += "\n## Preflight (read-only, before any mutation)\n\n";
  out += cat("- Result: ", md(str(preflight, "result")), " (collected ",
             md(str(preflight, "collectedAt")), ")\n");
  out += cat("- ENI: ", md(str(eni, "id")),
             ", sourceDestCheck: ", flag_text(eni, "sourceDestCheck"), "\n");
  out += cat("- Address: ", md(address), ", addressAlreadyAssigned: ", assigned, "\n");
  const auto checks = preflight.find("checks");
  if (checks == preflight.end() || !checks->is_array() || checks->empty()) return;
  out += "\n| check | status | detail |\n|---|---|---|\n";
  for (const json& check : *checks) {
    if (!check.is_object()) continue;
    const std::string state = str(check, "status");
    out += cat("| ", md(str(check, "name")), " | ", state == k_fail ? "**fail**" : md(state), " | ",
               md(str(check, "detail")), " |\n");
  }
}

}  // namespace

std::string render_summary(const BundleView& view) {
  const json& result = view.result;
  std::string out = cat("# CloudEdge lab evidence: ", md(str(result, "runId")), "\n\n");
  out += cat("- Result: **", str(result, "result") == k_pass ? "PASS" : "FAIL", "**\n");
  out += cat("- Scenario: ", md(str(result, "scenario")), "\n");
  out += cat("- Commit under test: ", md(str(result, "commit")), "\n");
  out += cat("- Cost guard: ttlHours=", json_io::dump(result["costGuard"]["ttlHours"]),
             ", teardown=", md(str(result["costGuard"], "teardown")), "\n");
  out += cat("- Collected by labctl ", labctl::build_info::k_version, " (",
             md(labctl::build_info::k_commit), ")\n");
  if (!view.fail_reasons.empty()) {
    out += "\n## Why the result is fail\n\n";
    for (const std::string& reason : view.fail_reasons) out += "- " + md(reason) + "\n";
  }
  matrix_section(out, view);

  out += "\n## Qualification timings\n\n| part | time |\n|---|---|\n";
  for (const auto& [label, value] : qualification_rows(result)) {
    out += cat("| ", label, " | ", md(value), " |\n");
  }
  out += "\n## Providers\n\n| provider | dataplane | providerState |\n|---|---|---|\n";
  for (const auto& [name, state] : result["providers"].items()) {
    out += cat("| ", md(name), " | ", md(str(state, "dataplane")), " | ",
               md(str(state, "providerState")), " |\n");
  }
  if (view.preflight) preflight_section(out, view.preflight->value);
  out += "\n## Assertions\n\n| # | assertion | result | detail |\n|---|---|---|---|\n";
  std::size_t index = 0;
  for (const json& assertion : result["assertions"]) {
    const std::string state = str(assertion, "result");
    out +=
        cat("| ", ++index, " | ", md(str(assertion, "name")), " | ",
            state == k_fail ? "**fail**" : md(state), " | ", md(str(assertion, "detail")), " |\n");
  }
  out += "\n## Timeline\n\n";
  if (view.timeline["events"].empty()) {
    out += "No run events recorded (the run is not in the state store).\n";
  } else {
    out += "| time | event | detail |\n|---|---|---|\n";
    for (const json& event : view.timeline["events"]) {
      out += cat("| ", md(str(event, "ts")), " | ", md(str(event, "kind")), " | ",
                 md(json_io::dump(event["detail"])), " |\n");
    }
  }
  out +=
      "\nFiles: result.json (schema-validated), report.html, timeline.json, the input copies, "
      "preflight.json when the run has a preflight, "
      "MANIFEST.sha256 (check with `sha256sum -c MANIFEST.sha256`).\n";
  return out;
}

}  // namespace labctl::evidence
