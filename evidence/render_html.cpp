#include <cstddef>
#include <string_view>

#include "evidence/render.hpp"
#include "core/strcat.hpp"
#include "core/build_info.hpp"
#include "core/json_io.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

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

std::string str(const json& document, const char* key) {
  const auto it = document.find(key);
  return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A CSS class for a state: only known words, so no input can inject a class list.
std::string state_class(const std::string& state) {
  for (const char* known : {"pass", "fail", "skip", "na", "self", "missing"}) {
    if (state == known) return known;
  }
  return "na";
}

constexpr std::string_view k_style = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1d2430;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #d8dde5}
code{background:#f1f3f6;padding:0 .25em;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;margin:.5em 0} th,td{border:1px solid #d0d6df;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f1f3f6}
.badge{display:inline-block;padding:.2em .8em;border-radius:4px;font-weight:bold;color:#fff}
.badge.pass{background:#1f883d} .badge.fail{background:#cf222e}
.matrix td.cell{width:5.5em;height:2.6em;text-align:center;font-weight:bold}
.cell.pass,td.pass{background:#d6f5dd;color:#135c26} .cell.fail,td.fail{background:#ffd7d5;color:#8a1020}
.cell.skip,td.skip,.cell.na,td.na{background:#fff4c2;color:#6b5200} .cell.self{background:#e6e9ee;color:#7a8290}
.cell.missing{background:#fff;color:#b0b6c0} .detail{font-size:.9em;color:#3d4756}
)";

std::string matrix_html(const BundleView& view) {
  const MatrixGrid grid = matrix_grid(view.inputs.matrix);
  if (grid.sites.empty()) return "<p>No connectivity matrix was given.</p>\n";
  std::string out = cat("<table class=\"matrix\" data-sites=\"", grid.sites.size(),
                        "\">\n<tr><th>src \\ dst</th>");
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
  out += "</table>\n<p class=\"detail\">" +
         h(matrix_summary(view.result["qualificationTimings"]["normalMatrix"])) + "</p>\n";
  return out;
}

std::string assertions_html(const json& result) {
  std::string out =
      "<table "
      "class=\"assertions\">\n<tr><th>#</th><th>assertion</th><th>result</th><th>detail</th></"
      "tr>\n";
  std::size_t index = 0;
  for (const json& assertion : result["assertions"]) {
    const std::string state = str(assertion, "result");
    out += cat("<tr><td>", ++index, "</td><td><code>", h(str(assertion, "name")),
               "</code></td><td class=\"", state_class(state), "\">", h(state),
               "</td><td class=\"detail\">", h(str(assertion, "detail")), "</td></tr>\n");
  }
  return out + "</table>\n";
}

std::string providers_and_cost_html(const json& result) {
  std::string out =
      "<table "
      "class=\"providers\">\n<tr><th>provider</th><th>dataplane</th><th>providerState</th></tr>\n";
  for (const auto& [name, state] : result["providers"].items()) {
    const std::string dataplane = str(state, "dataplane");
    const std::string provider_state = str(state, "providerState");
    out += cat("<tr><td>", h(name), "</td><td class=\"", state_class(dataplane), "\">",
               h(dataplane), "</td><td class=\"", state_class(provider_state), "\">",
               h(provider_state), "</td></tr>\n");
  }
  const json& cost = result["costGuard"];
  out += "</table>\n<h2>Cost guard</h2>\n";
  out +=
      cat("<table class=\"cost-guard\"><tr><th>TTL (hours)</th><td>", h(json_io::dump(cost["ttlHours"])),
          "</td></tr><tr><th>teardown</th><td>", h(str(cost, "teardown")), "</td></tr></table>\n");
  return out;
}

std::string timeline_html(const json& timeline) {
  if (timeline["events"].empty())
    return "<p>No run events recorded (the run is not in the state store).</p>\n";
  std::string out =
      "<table class=\"timeline\">\n<tr><th>time</th><th>event</th><th>detail</th></tr>\n";
  for (const json& event : timeline["events"]) {
    out +=
        cat("<tr><td>", h(str(event, "ts")), "</td><td>", h(str(event, "kind")),
            "</td><td class=\"detail\"><code>", h(json_io::dump(event["detail"])), "</code></td></tr>\n");
  }
  return out + "</table>\n";
}

}  // namespace

std::string render_html(const BundleView& view) {
  const json& result = view.result;
  const bool pass = str(result, "result") == k_pass;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>labctl evidence: " + h(str(result, "runId")) + "</title>\n";
  out += "<style>" + std::string(k_style) + "</style>\n</head>\n<body>\n";
  out += "<h1>CloudEdge lab evidence</h1>\n";
  out += cat("<p><span class=\"badge ", pass ? "pass" : "fail", "\">", pass ? "PASS" : "FAIL",
             "</span></p>\n");
  out +=
      cat("<table class=\"identity\"><tr><th>run</th><td><code>", h(str(result, "runId")),
          "</code></td></tr><tr><th>scenario</th><td><code>", h(str(result, "scenario")),
          "</code></td></tr><tr><th>commit under test</th><td><code>", h(str(result, "commit")),
          "</code></td></tr><tr><th>collected by</th><td>labctl ", h(labctl::build_info::k_version),
          " (", h(labctl::build_info::k_commit), ")</td></tr></table>\n");
  if (!view.fail_reasons.empty()) {
    out += "<h2>Why the result is fail</h2>\n<ul class=\"reasons\">\n";
    for (const std::string& reason : view.fail_reasons) out += "<li>" + h(reason) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>Connectivity matrix</h2>\n" + matrix_html(view);
  out += "<h2>Assertions</h2>\n" + assertions_html(result);
  out += "<h2>Providers</h2>\n" + providers_and_cost_html(result);
  out += "<h2>Qualification timings</h2>\n<table class=\"qualification\">\n";
  for (const auto& [label, value] : qualification_rows(result)) {
    out += cat("<tr><th>", h(label), "</th><td>", h(value), "</td></tr>\n");
  }
  out += "</table>\n";
  out += "<h2>Timeline</h2>\n" + timeline_html(view.timeline);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace labctl::evidence
