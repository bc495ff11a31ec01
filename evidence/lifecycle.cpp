#include "evidence/lifecycle.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/strcat.hpp"
#include "core/text.hpp"
#include "core/json_fields.hpp"
#include "evidence/model.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

using fields::member;
using fields::number_at;
using fields::string_at;
using fields::text_at;

constexpr std::size_t k_max_summary_bytes = 300;

// A field's text for a summary: `fallback` when absent.
std::string field(const json& detail, const char* key, const char* fallback = "?") {
  return string_at(detail, key).value_or(fallback);
}

std::string count_at(const json& detail, const char* key) {
  const auto value = number_at(detail, key);
  return value ? fixed(*value, 0) : std::string("?");
}

// The first error and how many more: a down's "errors" array or an "error" text.
std::string error_of(const json& detail) {
  if (auto error = string_at(detail, "error")) return *error;
  const json& errors = member(detail, "errors");
  if (!errors.is_array() || errors.empty()) return "no error recorded";
  std::string first = errors[0].is_string() ? errors[0].get<std::string>() : errors[0].dump();
  if (errors.size() > 1) first += cat(" (and ", errors.size() - 1, " more)");
  return first;
}

// key=value for each scalar field, for events this file has no words for.
std::string generic_summary(const json& detail) {
  if (!detail.is_object()) return detail.is_null() ? "" : detail.dump();
  std::string out;
  for (const auto& [key, value] : detail.items()) {
    if (value.is_structured()) continue;
    out += cat(out.empty() ? "" : ", ", key, "=",
               value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string up_summary(const json& detail) {
  const std::string result = field(detail, "result", "");
  if (result == "completed") {
    const auto seconds = number_at(detail, "infraProvisionSeconds");
    return seconds ? "lab up: every resource ready in " + seconds_text(*seconds) : "lab up";
  }
  if (result == "planned") return "dry run: planned, nothing created";
  if (result == "failed") {
    return cat("up failed", member(detail, "kept") == true ? " (partial lab kept)" : "", ": ",
               error_of(detail));
  }
  const std::string listed = generic_summary(detail);
  return listed.empty() ? "run recorded" : "run recorded: " + listed;
}

std::string deploy_summary(const json& detail) {
  if (string_at(detail, "kind") == "summary") {
    const json& summary = member(detail, "summary");
    return cat("deploy ", field(detail, "result"), ": ", count_at(summary, "passed"), "/",
               count_at(summary, "total"), " nodes, artifact ", field(detail, "artifact"));
  }
  const auto seconds = number_at(detail, "seconds");
  std::string line = cat("node ", field(detail, "node"), " (", field(detail, "site"), "): ",
                         field(detail, "result"),
                         seconds ? " in " + seconds_text(*seconds) : std::string());
  if (string_at(detail, "result") != k_pass) {
    line += cat(" at step ", field(detail, "step"), ": ", field(detail, "error", "no error"));
  }
  return line;
}

std::string smoke_summary(const json& detail) {
  const auto seconds = number_at(detail, "elapsedSeconds");
  return cat("smoke ", field(detail, "phase", "matrix"), ": ", count_at(detail, "passed"), "/",
             count_at(detail, "total"), " flows passed",
             seconds ? " in " + seconds_text(*seconds) : std::string(), " (",
             field(detail, "result"), ")");
}

std::string timing_text(const json& event) {
  std::string out;
  for (const auto& [key, label] : {std::pair{"detectionSeconds", "detection"},
                                   std::pair{"switchoverSeconds", "switchover"},
                                   std::pair{"recoverySeconds", "recovery"}}) {
    const auto seconds = number_at(event, key);
    out += cat(out.empty() ? "" : ", ", label, " ",
               seconds ? seconds_text(*seconds) : std::string("not measured"));
  }
  return out;
}

std::string failover_summary(const json& detail) {
  const std::string what = cat(field(detail, "fault"), " on ", field(detail, "provider"));
  const std::string result = field(detail, "result", "");
  const json& timing = member(detail, "timing");
  if (result == "injected" && timing.is_object()) {
    const json& events = member(timing, "events");
    const json& first = events.is_array() && !events.empty() ? events[0] : json();
    return cat("failover ", what, " measured: ", timing_text(first), " (",
               field(timing, "status"), ")");
  }
  if (result == "injected") return cat("failover ", what, ": injected");
  if (result == "restored") return cat("failover ", what, ": restored");
  if (result == "failed" || result == "restore-failed") {
    return cat("failover ", what, ": ", result, ": ", error_of(detail));
  }
  return cat("failover ", what, ": ", result.empty() ? "recorded" : result);
}

std::string down_summary(const json& detail) {
  const std::string result = field(detail, "result", "");
  if (result == "completed") {
    return cat("teardown completed: ", count_at(detail, "deleted"),
               " resource(s) confirmed deleted");
  }
  if (result == "failed") return "teardown failed: " + error_of(detail);
  return "teardown " + (result.empty() ? std::string("recorded") : result);
}

std::string step_result(const std::string& kind, const json& detail) {
  const std::string result = field(detail, "result", "");
  if (result == "planned") return k_skip;
  if (result == "failed" || result == "restore-failed" || result == k_fail) return k_fail;
  if (kind == "failover" && member(detail, "timing").is_object()) {
    return string_at(member(detail, "timing"), "status") == k_pass ? k_pass : k_fail;
  }
  return result.empty() ? k_na : k_pass;
}

}  // namespace

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "?";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string ms_text(const std::optional<double>& ms) {
  return ms ? fixed(*ms, 1) + " ms" : std::string("\u2013");
}

std::string seconds_text(double seconds) {
  return fixed(seconds, std::fabs(seconds) < 10 ? 2 : 1) + " s";
}

std::string event_summary(const std::string& kind, const json& detail) {
  std::string line;
  if (kind == "up") {
    line = up_summary(detail);
  } else if (kind == "deploy") {
    line = deploy_summary(detail);
  } else if (kind == "smoke") {
    line = smoke_summary(detail);
  } else if (kind == "failover") {
    line = failover_summary(detail);
  } else if (kind == "down") {
    line = down_summary(detail);
  } else {
    line = generic_summary(detail);
  }
  return text::printable(line, k_max_summary_bytes);
}

std::vector<LifecycleStep> lifecycle_steps(const json& events) {
  std::vector<LifecycleStep> steps;
  if (!events.is_array()) return steps;
  std::optional<double> slowest_node;  // of the deploy whose summary is still to come
  for (const json& event : events) {
    const std::string kind = text_at(event, "kind");
    const json& detail = member(event, "detail");
    LifecycleStep step{.step = kind,
                       .ts = text::printable(text_at(event, "ts"), 40),
                       .seconds = std::nullopt,
                       .result = step_result(kind, detail),
                       .summary = event_summary(kind, detail)};
    if (kind == "deploy") {
      if (string_at(detail, "kind") != "summary") {
        if (const auto seconds = number_at(detail, "seconds")) {
          slowest_node = std::max(slowest_node.value_or(0.0), *seconds);
        }
        continue;
      }
      step.seconds = std::exchange(slowest_node, std::nullopt);
    } else if (kind == "up") {
      if (!string_at(detail, "result")) continue;  // the run-recorded event: not a step's end
      step.seconds = number_at(detail, "infraProvisionSeconds");
    } else if (kind == "smoke") {
      step.seconds = number_at(detail, "elapsedSeconds");
    } else if (kind == "failover") {
      const json& timing_events = member(member(detail, "timing"), "events");
      if (timing_events.is_array() && !timing_events.empty()) {
        step.seconds = number_at(timing_events[0], "recoverySeconds");
      }
    } else if (kind == "down") {
      step.seconds = number_at(detail, "seconds");
    } else {
      continue;
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

std::optional<double> last_passing_seconds(const std::vector<LifecycleStep>& steps,
                                           const std::string& step) {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->step == step && it->result == k_pass && it->seconds) return it->seconds;
  }
  return std::nullopt;
}

}  // namespace labctl::evidence
