#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The run's lifecycle as its state-store events tell it (timeline.json's "events": {ts, kind,
// detail}). Events are our own rows but are read as hostile: any field may be missing or of
// another type, and every text is made printable and cut.
namespace labctl::evidence {

struct LifecycleStep {
  std::string step;               // up, deploy, smoke, failover, down
  std::string ts;                 // when the step's event was recorded (its end)
  std::optional<double> seconds;  // how long the step took, when its event records it
  std::string result;             // pass, fail or skip (a dry run's plan)
  std::string summary;            // one line for humans
};

// One step per up, smoke, failover and down event and per deploy (its per-node events folded
// into the step of the summary event that closes them; its seconds the slowest node's, as nodes
// are pushed at once). Down records no duration. Other event kinds are not steps.
[[nodiscard]] std::vector<LifecycleStep> lifecycle_steps(const nlohmann::json& events);

// The last passing step of `step` that recorded its seconds (the qualification timings: "up"
// for provisioning, "deploy" for routerd readiness).
[[nodiscard]] std::optional<double> last_passing_seconds(const std::vector<LifecycleStep>& steps,
                                                         const std::string& step);

// One printable line for an event of `kind`: "smoke before: 12/12 flows passed in 1.10 s",
// "failover stop-active on local: detection 1.20 s, switchover 0.30 s, recovery 2.10 s (pass)";
// an unknown kind lists its scalar fields. At most 300 bytes.
[[nodiscard]] std::string event_summary(const std::string& kind, const nlohmann::json& detail);

// Seconds for people: two decimals under 10 s, one from 10 s ("0.25 s", "12.5 s").
[[nodiscard]] std::string seconds_text(double seconds);

// A number with `decimals` digits after the point ("4.0", "12.35").
[[nodiscard]] std::string fixed(double value, int decimals);

// A latency for the views: "12.3 ms", or an en dash when it was not measured.
[[nodiscard]] std::string ms_text(const std::optional<double>& ms);

}  // namespace labctl::evidence
