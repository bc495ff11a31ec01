#include <algorithm>
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

// Everything on the page is text or attribute values built here; every string goes through h().
std::string h(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A CSS class for a state: only known words, so no input can inject a class list.
std::string state_class(const std::string& state) {
  for (const char* known : {"pass", "fail", "skip", "na", "self", "missing"}) {
    if (state == known) return known;
  }
  return "na";
}

constexpr std::string_view k_style = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1d2430;background:#fff;max-width:1400px}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d8dde5}
h3{font-size:1em;margin:.8em 0 .3em}
code{background:#f1f3f6;padding:0 .25em;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;margin:.5em 0} th,td{border:1px solid #d0d6df;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f1f3f6} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:.2em .8em;border-radius:4px;font-weight:bold;color:#fff}
.badge.pass{background:#1f883d} .badge.fail{background:#cf222e}
.pair{display:flex;flex-wrap:wrap;gap:2.5em;align-items:flex-start}
.matrix td.cell{width:5.5em;height:2.6em;text-align:center;font-weight:bold}
.cell.pass,td.pass{background:#d6f5dd;color:#135c26} .cell.fail,td.fail{background:#ffd7d5;color:#8a1020}
.cell.skip,td.skip,.cell.na,td.na{background:#fff4c2;color:#6b5200} .cell.self{background:#e6e9ee;color:#7a8290}
.cell.missing{background:#fff;color:#b0b6c0} .detail{font-size:.9em;color:#3d4756}
ul.reasons li,ul.failed li{color:#8a1020} .muted{color:#6b7480}
)";

std::string verdict_html(const BundleView& view) {
  const json& result = view.result;
  const bool pass = text_at(result, "result") == k_pass;
  const AssertionTally tally = tally_assertions(result);
  std::string out = cat("<section id=\"verdict\">\n<h2>Verdict: ", pass ? "PASS" : "FAIL",
                        "</h2>\n<p>", tally.passed.size(), " assertions pass, ",
                        tally.failed.size(), " fail, ", tally.other.size(),
                        " not measured (na or skip).</p>\n");
  if (!view.fail_reasons.empty()) {
    out += "<h3>Why the result is fail</h3>\n<ul class=\"reasons\">\n";
    for (const std::string& reason : view.fail_reasons) out += "<li>" + h(reason) + "</li>\n";
    out += "</ul>\n";
  }
  if (!tally.failed.empty()) {
    out += "<h3>Failed assertions</h3>\n<ul class=\"failed\">\n";
    for (const json* a : tally.failed) {
      out += cat("<li><code>", h(text_at(*a, "name")), "</code>: ", h(text_at(*a, "detail")),
                 "</li>\n");
    }
    out += "</ul>\n";
  }
  out += "<h3>Passed assertions</h3>\n<p class=\"passed\">";
  if (tally.passed.empty()) out += "none";
  for (std::size_t i = 0; i < tally.passed.size(); ++i) {
    out += cat(i == 0 ? "" : ", ", "<code>", h(text_at(*tally.passed[i], "name")), "</code>");
  }
  return out + "</p>\n</section>\n";
}

// One event's three bars against the threshold, as inline SVG (no script, no external
// reference). Each bar is <rect class="bar STAGE" data-stage data-seconds>.
std::string failover_chart(const FailoverEventView& event, const std::optional<double>& threshold) {
  constexpr int k_width = 760, k_label = 110, k_plot = 520, k_row = 30, k_top = 24;
  const std::pair<const char*, const std::optional<double>*> bars[] = {
      {"detection", &event.detection}, {"switchover", &event.switchover},
      {"recovery", &event.recovery}};
  double scale_max = threshold.value_or(0);
  for (const auto& [stage, seconds] : bars) scale_max = std::max(scale_max, seconds->value_or(0));
  scale_max = scale_max > 0 ? scale_max * 1.1 : 1;
  const auto x_of = [&](double seconds) {
    return k_label + static_cast<int>(std::clamp(seconds, 0.0, scale_max) / scale_max * k_plot);
  };
  const int height = k_top + 3 * k_row + 10;
  std::string out =
      cat("<svg class=\"failover-chart\" width=\"", k_width, "\" height=\"", height,
          "\" viewBox=\"0 0 ", k_width, " ", height, "\" role=\"img\" aria-label=\"failover ",
          h(event.fault), " on ", h(event.provider), ": detection, switchover and recovery "
          "seconds against the threshold\" font-family=\"sans-serif\" font-size=\"13\">\n");
  int y = k_top;
  for (const auto& [stage, seconds] : bars) {
    const std::string_view fill = std::string_view(stage) == "recovery"
                                      ? (event.under_threshold == k_pass ? "#1f883d" : "#cf222e")
                                      : (std::string_view(stage) == "detection" ? "#3b6fd8"
                                                                                : "#8250df");
    out += cat("<text x=\"0\" y=\"", y + 15, "\">", stage, "</text>");
    if (*seconds) {
      const int end = x_of(**seconds);
      out += cat("<rect class=\"bar ", stage, "\" data-stage=\"", stage, "\" data-seconds=\"",
                 fixed(**seconds, 3), "\" x=\"", k_label, "\" y=\"", y, "\" width=\"",
                 std::max(end - k_label, 1), "\" height=\"20\" fill=\"", fill, "\"></rect>");
      out += cat("<text x=\"", end + 6, "\" y=\"", y + 15, "\">", h(seconds_text(**seconds)),
                 "</text>\n");
    } else {
      out += cat("<text x=\"", k_label, "\" y=\"", y + 15, "\" fill=\"#6b7480\">not measured</text>\n");
    }
    y += k_row;
  }
  if (threshold) {
    const int x = x_of(*threshold);
    out += cat("<line class=\"threshold\" x1=\"", x, "\" y1=\"", k_top - 6, "\" x2=\"", x,
               "\" y2=\"", y, "\" stroke=\"#cf222e\" stroke-width=\"2\" stroke-dasharray=\"6 4\">"
               "</line><text x=\"", std::max(x - 60, k_label), "\" y=\"14\" fill=\"#cf222e\">"
               "threshold ", h(seconds_text(*threshold)), "</text>\n");
  }
  return out + "</svg>\n";
}

std::string failover_html(const BundleView& view) {
  std::string out = "<section id=\"failover\">\n<h2>Failover timing</h2>\n";
  const auto failover = failover_view(view.inputs.timing);
  if (!failover) return out + "<p>No failover was measured (no timing input).</p>\n</section>\n";
  const std::string threshold =
      failover->threshold ? seconds_text(*failover->threshold) : std::string("not recorded");
  out += cat("<p>Status <span class=\"", state_class(failover->status), "\">",
             h(failover->status), "</span>, threshold ", h(threshold), ".</p>\n");
  if (failover->events.empty()) return out + "<p>No failover events.</p>\n</section>\n";
  out += "<table class=\"failover\">\n<tr><th>provider</th><th>fault</th><th>detection</th>"
         "<th>switchover</th><th>recovery</th><th>under threshold</th></tr>\n";
  const auto cell = [](const std::optional<double>& seconds) {
    return cat("<td class=\"num\">", seconds ? h(seconds_text(*seconds)) : "not measured",
               "</td>");
  };
  for (const FailoverEventView& event : failover->events) {
    out += cat("<tr><td>", h(event.provider), "</td><td><code>", h(event.fault), "</code></td>",
               cell(event.detection), cell(event.switchover), cell(event.recovery),
               "<td class=\"", state_class(event.under_threshold), "\">",
               h(event.under_threshold), "</td></tr>\n");
  }
  out += "</table>\n<p class=\"detail\">Detection: fault to the new gateway holder; switchover: "
         "holder to the probe flow pinging again; recovery: fault to the probe passing every "
         "check.</p>\n";
  constexpr std::size_t k_charted = 8;
  for (std::size_t i = 0; i < failover->events.size() && i < k_charted; ++i) {
    const FailoverEventView& event = failover->events[i];
    out += cat("<h3>", h(event.fault), " on ", h(event.provider), "</h3>\n",
               failover_chart(event, failover->threshold));
    if (!event.stages.empty()) {
      out += "<ul class=\"stages detail\">\n";
      for (const auto& [stage, detail] : event.stages) {
        out += cat("<li>", h(stage), ": ", h(detail), "</li>\n");
      }
      out += "</ul>\n";
    }
  }
  if (failover->events.size() > k_charted) {
    out += cat("<p class=\"muted\">", failover->events.size() - k_charted,
               " more event(s) in failover-timing.json.</p>\n");
  }
  return out + "</section>\n";
}

std::string grid_html(const MatrixView& matrix) {
  const MatrixGrid& grid = matrix.grid;
  if (grid.sites.empty()) return "<p>The matrix has no flows.</p>\n";
  std::string out = cat("<table class=\"matrix\" data-phase=\"", h(matrix.label),
                        "\" data-sites=\"", grid.sites.size(),
                        "\">\n<tr><th>src &rarr; dst</th>");
  for (const std::string& site : grid.sites) out += "<th>" + h(site) + "</th>";
  out += "</tr>\n";
  for (std::size_t i = 0; i < grid.sites.size(); ++i) {
    out += "<tr><th>" + h(grid.sites[i]) + "</th>";
    for (std::size_t j = 0; j < grid.sites.size(); ++j) {
      const std::string cls = state_class(grid.cells[i][j]);
      const std::string label =
          cls == "self" ? "&middot;" : (cls == "missing" ? "&ndash;" : h(cls));
      out += cat("<td class=\"cell ", cls, "\" data-from=\"", h(grid.sites[i]), "\" data-to=\"",
                 h(grid.sites[j]), "\" data-result=\"", cls, "\">", label, "</td>");
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string flows_html(const MatrixView& matrix) {
  std::string out = cat("<table class=\"flows\" data-phase=\"", h(matrix.label),
                        "\">\n<tr><th>src</th><th>dst</th><th>result</th><th>ping</th>"
                        "<th>SSH</th><th>reason</th></tr>\n");
  for (const FlowRow& flow : matrix.flows) {
    out += cat("<tr><td>", h(flow.src), "</td><td>", h(flow.dst), "</td><td class=\"",
               state_class(flow.result), "\">", h(flow.result), "</td><td class=\"num\">",
               ms_text(flow.ping_ms), "</td><td class=\"num\">", ms_text(flow.ssh_ms),
               "</td><td class=\"reason\">", h(flow.reason), "</td></tr>\n");
  }
  return out + "</table>\n";
}

std::string matrices_html(const BundleView& view) {
  const std::vector<MatrixView> matrices = matrix_views(view.inputs);
  std::string out = "<section id=\"matrices\">\n<h2>Connectivity matrices</h2>\n";
  if (matrices.empty()) return out + "<p>No connectivity matrix was given.</p>\n</section>\n";
  if (matrices.size() == 1) {
    out += "<p class=\"muted\">One matrix given; pass <code>--matrix-json</code> twice (before, "
           "after the fault) to compare.</p>\n";
  }
  out += "<div class=\"pair\">\n";
  for (const MatrixView& matrix : matrices) {
    out += cat("<div class=\"matrix-col\" data-phase=\"", h(matrix.label), "\">\n<h3>",
               h(matrix.label), "</h3>\n", grid_html(matrix), "<p class=\"detail\">",
               h(matrix.summary), "</p>\n</div>\n");
  }
  out += "</div>\n";
  for (const MatrixView& matrix : matrices) {
    out += cat("<h3>Flows ", h(matrix.label), "</h3>\n", flows_html(matrix));
  }
  return out + "</section>\n";
}

std::string lifecycle_html(const BundleView& view) {
  std::string out = "<section id=\"lifecycle\">\n<h2>Lifecycle</h2>\n";
  const std::vector<LifecycleStep> steps = lifecycle_steps(view.timeline["events"]);
  if (steps.empty()) {
    return out + "<p>No lifecycle steps recorded (the run is not in the state store).</p>\n"
                 "</section>\n";
  }
  out += "<table class=\"lifecycle\">\n<tr><th>step</th><th>finished</th><th>took</th>"
         "<th>result</th><th>what happened</th></tr>\n";
  for (const LifecycleStep& step : steps) {
    out += cat("<tr><td>", h(step.step), "</td><td>", h(step.ts), "</td><td class=\"num\">",
               step.seconds ? h(seconds_text(*step.seconds)) : "not recorded", "</td><td class=\"",
               state_class(step.result), "\">", h(step.result), "</td><td>", h(step.summary),
               "</td></tr>\n");
  }
  return out + "</table>\n</section>\n";
}

std::string qualification_html(const json& result) {
  std::string out =
      "<section id=\"qualification\">\n<h2>Qualification timings</h2>\n<table "
      "class=\"qualification\">\n";
  for (const auto& [label, value] : qualification_rows(result)) {
    out += cat("<tr><th>", h(label), "</th><td>", h(value), "</td></tr>\n");
  }
  return out + "</table>\n</section>\n";
}

std::string providers_and_cost_html(const json& result) {
  std::string out =
      "<section id=\"providers\">\n<h2>Providers and cost guard</h2>\n<table "
      "class=\"providers\">\n<tr><th>provider</th><th>dataplane</th><th>providerState</th></tr>\n";
  for (const auto& [name, state] : result["providers"].items()) {
    const std::string dataplane = text_at(state, "dataplane");
    const std::string provider_state = text_at(state, "providerState");
    out += cat("<tr><td>", h(name), "</td><td class=\"", state_class(dataplane), "\">",
               h(dataplane), "</td><td class=\"", state_class(provider_state), "\">",
               h(provider_state), "</td></tr>\n");
  }
  const json& cost = result["costGuard"];
  out += cat("</table>\n<table class=\"cost-guard\"><tr><th>TTL (hours)</th><td>",
             h(json_io::dump(cost["ttlHours"])), "</td></tr><tr><th>teardown</th><td>",
             h(text_at(cost, "teardown")), "</td></tr></table>\n</section>\n");
  return out;
}

std::string assertions_html(const json& result) {
  std::string out =
      "<section id=\"assertions\">\n<h2>Assertions</h2>\n<table class=\"assertions\">\n"
      "<tr><th>#</th><th>assertion</th><th>result</th><th>detail</th></tr>\n";
  std::size_t index = 0;
  for (const json& assertion : result["assertions"]) {
    const std::string state = text_at(assertion, "result");
    out += cat("<tr><td>", ++index, "</td><td><code>", h(text_at(assertion, "name")),
               "</code></td><td class=\"", state_class(state), "\">", h(state),
               "</td><td class=\"detail\">", h(text_at(assertion, "detail")), "</td></tr>\n");
  }
  return out + "</table>\n</section>\n";
}

std::string timeline_html(const json& timeline) {
  std::string out = "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
  if (timeline["events"].empty()) {
    return out + "<p>No run events recorded (the run is not in the state store).</p>\n"
                 "</section>\n";
  }
  out += "<table class=\"timeline\">\n<tr><th>time</th><th>event</th><th>what happened</th></tr>\n";
  for (const json& event : timeline["events"]) {
    const std::string kind = text_at(event, "kind");
    out += cat("<tr><td>", h(text_at(event, "ts")), "</td><td>", h(kind), "</td><td>",
               h(event_summary(kind, fields::member(event, "detail"))), "</td></tr>\n");
  }
  return out + "</table>\n<p class=\"detail\">Every field of every event: timeline.json.</p>\n"
               "</section>\n";
}

// Links to the bundle's own files, by their fixed names (never an input string).
std::string files_html(const BundleView& view) {
  std::string out = "<section id=\"files\">\n<h2>Files in this bundle</h2>\n<ul class=\"files\">\n";
  for (const std::string& file : bundle_files(view)) {
    out += cat("<li><a href=\"", h(file), "\">", h(file), "</a></li>\n");
  }
  return out + "</ul>\n<p class=\"detail\">Check them with <code>sha256sum -c "
               "MANIFEST.sha256</code>.</p>\n</section>\n";
}

}  // namespace

std::string render_html(const BundleView& view) {
  const json& result = view.result;
  const bool pass = text_at(result, "result") == k_pass;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>labctl evidence: " + h(text_at(result, "runId")) + "</title>\n";
  out += "<style>" + std::string(k_style) + "</style>\n</head>\n<body>\n";
  out += "<h1>CloudEdge lab evidence</h1>\n";
  out += cat("<p><span class=\"badge ", pass ? "pass" : "fail", "\">", pass ? "PASS" : "FAIL",
             "</span></p>\n");
  out += cat("<table class=\"identity\"><tr><th>run</th><td><code>", h(text_at(result, "runId")),
             "</code></td></tr><tr><th>scenario</th><td><code>", h(text_at(result, "scenario")),
             "</code></td></tr><tr><th>commit under test</th><td><code>",
             h(text_at(result, "commit")), "</code></td></tr><tr><th>collected by</th><td>labctl ",
             h(labctl::build_info::k_version), " (", h(labctl::build_info::k_commit),
             ")</td></tr></table>\n");
  out += verdict_html(view);
  out += failover_html(view);
  out += matrices_html(view);
  out += lifecycle_html(view);
  out += qualification_html(result);
  out += providers_and_cost_html(result);
  out += assertions_html(result);
  out += timeline_html(view.timeline);
  out += files_html(view);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace labctl::evidence
