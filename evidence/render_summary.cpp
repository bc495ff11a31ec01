#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string_view>

#include "core/build_info.hpp"
#include "core/json_io.hpp"
#include "core/strcat.hpp"
#include "core/json_fields.hpp"
#include "evidence/lifecycle.hpp"
#include "evidence/render.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

using fields::text_at;

bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Text for Markdown that adds no structure yet reads as written: only what could open
// structure is escaped. Control characters become visible (\n, \u0007) so a value stays on its
// line (it cannot start a heading or a table row); `|` is escaped so it cannot end a table
// cell; `<` so it cannot open HTML or an autolink; `&` before a name or `#` so it cannot form
// an entity; `` ` * [ ] ~ `` and `\` before punctuation so they cannot open code, emphasis,
// links or strikethrough; `_` only where it could open emphasis (not inside a word such as
// CE_ONPREM_CLIENT_SSH_HOST). A value never starts a line (it follows "- Label: " or "| "), so
// line-start markers (#, >, -, 1.) stay as they are.
std::string md(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\u00" + hex_byte(byte);
    } else {
      bool escape = std::string_view("|<`*[]~").find(c) != std::string_view::npos;
      if (c == '&') escape = is_word(next) || next == '#';
      if (c == '\\') escape = std::ispunct(static_cast<unsigned char>(next)) != 0 || next == '\0';
      if (c == '_') escape = !(i > 0 && is_word(text[i - 1]) && is_word(next));
      if (escape) out += '\\';
      out += c;
    }
  }
  return out;
}

std::string cell_text(const std::string& result) {
  if (result == "self") return "·";
  if (result == "missing") return "(no flow)";
  if (result == k_fail) return "**FAIL**";
  return result;
}

std::string state_text(const std::string& state) {
  return state == k_fail ? "**fail**" : md(state);
}

std::string seconds_or(const std::optional<double>& seconds, const char* otherwise) {
  return seconds ? seconds_text(*seconds) : std::string(otherwise);
}

void verdict_section(std::string& out, const BundleView& view) {
  const AssertionTally tally = tally_assertions(view.result);
  out += cat("\n## Verdict: ", text_at(view.result, "result") == k_pass ? "PASS" : "FAIL",
             "\n\n", tally.passed.size(), " assertions pass, ", tally.failed.size(), " fail, ",
             tally.other.size(), " not measured (na or skip).\n");
  if (!view.fail_reasons.empty()) {
    out += "\nWhy the result is fail:\n\n";
    for (const std::string& reason : view.fail_reasons) out += "- " + md(reason) + "\n";
  }
  if (!tally.failed.empty()) {
    out += "\nFailed assertions:\n\n";
    for (const json* a : tally.failed) {
      out += cat("- ", md(text_at(*a, "name")), ": ", md(text_at(*a, "detail")), "\n");
    }
  }
  out += "\nPassed assertions: ";
  if (tally.passed.empty()) out += "none";
  for (std::size_t i = 0; i < tally.passed.size(); ++i) {
    out += cat(i == 0 ? "" : ", ", md(text_at(*tally.passed[i], "name")));
  }
  out += "\n";
}

// A text bar chart in a code block: fixed labels and numbers only, so nothing needs escaping.
std::string bar_chart(const FailoverEventView& event, const std::optional<double>& threshold) {
  constexpr int k_width = 40;
  double scale_max = std::max({threshold.value_or(0), event.detection.value_or(0),
                               event.switchover.value_or(0), event.recovery.value_or(0)});
  if (scale_max <= 0) scale_max = 1;
  const auto bar = [&](const char* label, const std::optional<double>& seconds) {
    std::string line = cat(label, std::string(11 - std::string_view(label).size(), ' '));
    if (!seconds) return line + "not measured\n";
    const int length = static_cast<int>(std::clamp(*seconds, 0.0, scale_max) / scale_max * k_width);
    for (int i = 0; i < length; ++i) line += "█";
    return cat(line, length > 0 ? " " : "", seconds_text(*seconds), "\n");
  };
  std::string out = "```\n" + bar("detection", event.detection) +
                    bar("switchover", event.switchover) + bar("recovery", event.recovery);
  if (threshold) out += bar("threshold", threshold);
  return out + "```\n";
}

void failover_section(std::string& out, const BundleView& view) {
  out += "\n## Failover timing\n\n";
  const auto failover = failover_view(view.inputs.timing);
  if (!failover) {
    out += "No failover was measured (no timing input).\n";
    return;
  }
  out += cat("Status ", state_text(failover->status), ", threshold ",
             seconds_or(failover->threshold, "not recorded"), ".\n");
  if (failover->events.empty()) {
    out += "\nNo failover events.\n";
    return;
  }
  out += "\n| provider | fault | detection | switchover | recovery | under threshold |\n"
         "|---|---|---|---|---|---|\n";
  for (const FailoverEventView& event : failover->events) {
    out += cat("| ", md(event.provider), " | ", md(event.fault), " | ",
               seconds_or(event.detection, "not measured"), " | ",
               seconds_or(event.switchover, "not measured"), " | ",
               seconds_or(event.recovery, "not measured"), " | ", state_text(event.under_threshold),
               " |\n");
  }
  for (const FailoverEventView& event : failover->events) {
    out += cat("\n", md(event.fault), " on ", md(event.provider), ":\n\n",
               bar_chart(event, failover->threshold));
    for (const auto& [stage, detail] : event.stages) {
      out += cat("- ", md(stage), ": ", md(detail), "\n");
    }
  }
}

void matrices_section(std::string& out, const BundleView& view) {
  out += "\n## Connectivity matrices (rows: source, columns: destination)\n";
  const std::vector<MatrixView> matrices = matrix_views(view.inputs);
  if (matrices.empty()) {
    out += "\nNo connectivity matrix was given.\n";
    return;
  }
  for (const MatrixView& matrix : matrices) {
    out += cat("\n### ", matrix.label, " (", matrix.file, ")\n\n");
    const MatrixGrid& grid = matrix.grid;
    if (!grid.sites.empty()) {
      out += "| src → dst |";
      for (const std::string& site : grid.sites) out += " " + md(site) + " |";
      out += "\n|---|";
      for (std::size_t i = 0; i < grid.sites.size(); ++i) out += "---|";
      out += "\n";
      for (std::size_t i = 0; i < grid.sites.size(); ++i) {
        out += "| " + md(grid.sites[i]) + " |";
        for (const std::string& cell : grid.cells[i]) out += " " + cell_text(cell) + " |";
        out += "\n";
      }
      out += "\n";
    }
    out += md(matrix.summary) + "\n\n| src | dst | result | ping | SSH | reason |\n"
                                "|---|---|---|---|---|---|\n";
    for (const FlowRow& flow : matrix.flows) {
      out += cat("| ", md(flow.src), " | ", md(flow.dst), " | ", state_text(flow.result), " | ",
                 ms_text(flow.ping_ms), " | ", ms_text(flow.ssh_ms), " | ", md(flow.reason),
                 " |\n");
    }
  }
}

void lifecycle_section(std::string& out, const BundleView& view) {
  out += "\n## Lifecycle\n\n";
  const std::vector<LifecycleStep> steps = lifecycle_steps(view.timeline["events"]);
  if (steps.empty()) {
    out += "No lifecycle steps recorded (the run is not in the state store).\n";
    return;
  }
  out += "| step | finished | took | result | what happened |\n|---|---|---|---|---|\n";
  for (const LifecycleStep& step : steps) {
    out += cat("| ", md(step.step), " | ", md(step.ts), " | ",
               seconds_or(step.seconds, "not recorded"), " | ", state_text(step.result), " | ",
               md(step.summary), " |\n");
  }
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
  const std::string address = text_at(preflight, "address");
  std::string assigned = "not recorded";
  if (const auto ips = eni.find("privateIps"); ips != eni.end() && ips->is_array()) {
    const bool held =
        std::ranges::find(*ips, json(address)) != ips->end() || text_at(eni, "primaryIp") == address;
    assigned = held ? "yes" : "no";
  }
  out += "\n## Preflight (read-only, before any mutation)\n\n";
  out += cat("- Result: ", md(text_at(preflight, "result")), " (collected ",
             md(text_at(preflight, "collectedAt")), ")\n");
  out += cat("- ENI: ", md(text_at(eni, "id")),
             ", sourceDestCheck: ", flag_text(eni, "sourceDestCheck"), "\n");
  out += cat("- Address: ", md(address), ", addressAlreadyAssigned: ", assigned, "\n");
  const auto checks = preflight.find("checks");
  if (checks == preflight.end() || !checks->is_array() || checks->empty()) return;
  out += "\n| check | status | detail |\n|---|---|---|\n";
  for (const json& check : *checks) {
    if (!check.is_object()) continue;
    out += cat("| ", md(text_at(check, "name")), " | ", state_text(text_at(check, "status")),
               " | ", md(text_at(check, "detail")), " |\n");
  }
}

}  // namespace

std::string render_summary(const BundleView& view) {
  const json& result = view.result;
  std::string out = cat("# CloudEdge lab evidence: ", md(text_at(result, "runId")), "\n\n");
  out += cat("- Result: **", text_at(result, "result") == k_pass ? "PASS" : "FAIL", "**\n");
  out += cat("- Scenario: ", md(text_at(result, "scenario")), "\n");
  out += cat("- Commit under test: ", md(text_at(result, "commit")), "\n");
  out += cat("- Cost guard: ttlHours=", json_io::dump(result["costGuard"]["ttlHours"]),
             ", teardown=", md(text_at(result["costGuard"], "teardown")), "\n");
  out += cat("- Collected by labctl ", md(labctl::build_info::k_version), " (",
             md(labctl::build_info::k_commit), ")\n");
  verdict_section(out, view);
  failover_section(out, view);
  matrices_section(out, view);
  lifecycle_section(out, view);

  out += "\n## Qualification timings\n\n| part | time |\n|---|---|\n";
  for (const auto& [label, value] : qualification_rows(result)) {
    out += cat("| ", label, " | ", md(value), " |\n");
  }
  out += "\n## Providers\n\n| provider | dataplane | providerState |\n|---|---|---|\n";
  for (const auto& [name, state] : result["providers"].items()) {
    out += cat("| ", md(name), " | ", md(text_at(state, "dataplane")), " | ",
               md(text_at(state, "providerState")), " |\n");
  }
  if (view.preflight) preflight_section(out, view.preflight->value);
  out += "\n## Assertions\n\n| # | assertion | result | detail |\n|---|---|---|---|\n";
  std::size_t index = 0;
  for (const json& assertion : result["assertions"]) {
    out += cat("| ", ++index, " | ", md(text_at(assertion, "name")), " | ",
               state_text(text_at(assertion, "result")), " | ", md(text_at(assertion, "detail")),
               " |\n");
  }
  out += "\n## Timeline\n\n";
  if (view.timeline["events"].empty()) {
    out += "No run events recorded (the run is not in the state store).\n";
  } else {
    out += "| time | event | what happened |\n|---|---|---|\n";
    for (const json& event : view.timeline["events"]) {
      const std::string kind = text_at(event, "kind");
      out += cat("| ", md(text_at(event, "ts")), " | ", md(kind), " | ",
                 md(event_summary(kind, fields::member(event, "detail"))), " |\n");
    }
  }
  out += "\n## Files\n\n";
  for (const std::string& file : bundle_files(view)) out += "- " + file + "\n";
  out += "\nCheck them with `sha256sum -c MANIFEST.sha256`.\n";
  return out;
}

}  // namespace labctl::evidence
