#include "faults/failover_timing.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <sstream>

#include "core/log.hpp"
#include "core/progress.hpp"
#include "matrix/external_runner.hpp"
#include "matrix/plan.hpp"
#include "matrix/smoke.hpp"

namespace labctl::faults {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

double seconds_between(SteadyTime from, SteadyTime to) {
  const double s = std::chrono::duration<double>(to - from).count();
  return std::round(std::max(0.0, s) * 1000.0) / 1000.0;
}

nlohmann::ordered_json stage(bool passed, const std::string& detail) {
  return {{"result", passed ? "pass" : "fail"}, {"detail", detail}};
}

// One flow from another site's client into the faulted site's client, observed by the matrix
// engine the smoke uses.
class RecoveryProbe {
 public:
  static Expected<RecoveryProbe> create(const providers::RunContext& ctx, const std::string& site,
                                        const Seams& seams) {
    matrix::SmokeOptions options;
    options.run_id = ctx.run.run_id;
    const auto& env = seams.env;
    auto run = matrix::find_run(options, env);
    if (!run) return std::unexpected(run.error());
    auto plan = matrix::resolve_plan(options, env, *run ? &**run : nullptr);
    if (!plan) return std::unexpected(plan.error());
    RecoveryProbe probe;
    probe.m_plan = std::move(*plan);
    const auto& sites = probe.m_plan.sites;
    const auto dst = std::find_if(sites.begin(), sites.end(),
                                  [&](const auto& s) { return s.name == site; });
    if (dst == sites.end() || sites.size() < 2) {
      return fail(ExitCode::usage, "failover --measure: the run has no client at site '" + site +
                                       "' to probe, or no second site to probe from");
    }
    const std::size_t dst_index = static_cast<std::size_t>(dst - sites.begin());
    probe.m_flow = {dst_index == 0 ? 1u : 0u, dst_index};
    if (probe.m_plan.runner.empty()) {
      probe.m_runner = std::make_unique<matrix::SshRunner>(probe.m_plan.ssh);
    } else {
      probe.m_runner =
          std::make_unique<matrix::ExternalRunner>(probe.m_plan.runner, seams.processes);
    }
    return probe;
  }

  [[nodiscard]] matrix::Observation observe() {
    auto seen = m_runner->run(m_plan.sites, {m_flow}, 1, [](std::size_t, const auto&) {});
    return seen.empty() ? matrix::Observation{} : seen.front();
  }

  [[nodiscard]] bool passes(const matrix::Observation& seen) const {
    return seen.ping_ok && seen.ssh_ok && seen.peer_ip == m_plan.sites[m_flow.src].ip;
  }

  [[nodiscard]] std::string describe() const {
    return m_plan.sites[m_flow.src].name + "->" + m_plan.sites[m_flow.dst].name;
  }

 private:
  matrix::MatrixPlan m_plan;
  matrix::Flow m_flow;
  std::unique_ptr<matrix::FlowRunner> m_runner;
};

}  // namespace

std::optional<std::chrono::steady_clock::time_point> poll_until(
    const std::function<bool()>& reached, std::chrono::steady_clock::time_point deadline,
    std::chrono::milliseconds poll, Clock& clock) {
  while (true) {
    if (reached()) return clock.steady_now();
    if (clock.steady_now() >= deadline) return std::nullopt;
    if (!clock.sleep_for(poll)) return std::nullopt;
  }
}

Expected<nlohmann::ordered_json> measure_failover(providers::Provider& provider,
                                                  const providers::RunContext& ctx,
                                                  const providers::FaultRequest& request,
                                                  const MeasureOptions& options,
                                                  const Seams& seams) {
  const auto timeout = std::chrono::seconds(options.timeout_seconds);
  const auto poll = std::chrono::milliseconds(options.poll_ms);
  const auto start = ctx.clock.steady_now();
  std::atomic<const char*> phase = "inject";  // the live status line (a terminal only)
  std::optional<progress::Status> status;
  status.emplace("failover", [&phase] { return std::string("phase ") + phase.load(); });
  auto injected = provider.inject_fault(ctx, request);
  if (!injected) return std::unexpected(injected.error());
  const std::string site = injected->value("site", "");
  const std::string stopped = injected->value("node", "");
  auto probe = RecoveryProbe::create(ctx, site, seams);
  if (!probe) return std::unexpected(probe.error());
  log::info("failover.measure",
            "failover: measuring: site " + site + ", stopped " + stopped + ", probe " +
                probe->describe(),
            {{"provider", provider.name()}, {"fault", request.fault}, {"site", site},
             {"stopped", stopped}, {"probe", probe->describe()}});

  // The last answer, kept for the detection stage's detail: a holder, or why there was none
  // (an address held by a resource not the run's is an error, not a holder).
  std::string holder, holder_error;
  phase = "detection";
  const auto detected = poll_until(
      [&] {
        auto now = provider.gateway_holder(ctx, site);
        if (now) holder = *now;
        holder_error = now ? std::string() : now.error().message;
        return now && !now->empty() && *now != stopped;
      },
      start + timeout, poll, ctx.clock);
  std::optional<SteadyTime> switched, recovered;
  matrix::Observation last;
  if (detected) {
    phase = "switchover";
    switched = poll_until([&] { return (last = probe->observe()).ping_ok; },
                          *detected + timeout, poll, ctx.clock);
  }
  if (switched) {
    phase = "recovery";
    recovered = probe->passes(last) ? switched
                                    : poll_until([&] { return probe->passes(last = probe->observe()); },
                                                 *switched + timeout, poll, ctx.clock);
  }
  status.reset();
  const double detection = detected ? seconds_between(start, *detected) : 0;
  const double switchover = switched ? seconds_between(*detected, *switched) : 0;
  const double recovery = recovered ? seconds_between(start, *recovered) : 0;
  const bool under = recovered && recovery < options.threshold_seconds;

  nlohmann::ordered_json event;
  event["provider"] = std::string(provider.name());
  event["fault"] = request.fault;
  event["detectionSeconds"] = detection;
  event["switchoverSeconds"] = switchover;
  event["recoverySeconds"] = recovery;
  event["recoveryUnderThreshold"] = under ? "pass" : "fail";
  event["stages"] = {
      {"inject", stage(true, injected->dump())},
      {"detection", stage(detected.has_value(),
                          detected ? "gateway of " + site + " now held by " + holder
                                   : "gateway of " + site + " not taken over" +
                                         (holder_error.empty() ? ""
                                                               : " (last answer: " + holder_error +
                                                                     ")"))},
      {"switchover", stage(switched.has_value(),
                           switched ? "probe " + probe->describe() + " pings again"
                                    : "probe " + probe->describe() + " does not ping")},
      {"recovery", stage(recovered.has_value(),
                         recovered ? "probe " + probe->describe() + " passes every check"
                                   : "probe " + probe->describe() + ": " + last.error)}};
  nlohmann::ordered_json timing;
  timing["status"] = detected && switched && recovered && under ? "pass" : "fail";
  timing["thresholdSeconds"] = options.threshold_seconds;
  timing["timeoutSeconds"] = options.timeout_seconds;
  timing["events"] = nlohmann::ordered_json::array({event});
  progress::result(timing["status"] == "pass", "failover.timing",
                   "failover: detection " + std::to_string(detection) + " s, switchover " +
                       std::to_string(switchover) + " s, recovery " + std::to_string(recovery) +
                       " s (" + timing["status"].get<std::string>() + ")",
                   {{"provider", provider.name()},
                    {"fault", request.fault},
                    {"status", timing["status"]},
                    {"detectionSeconds", detection},
                    {"switchoverSeconds", switchover},
                    {"recoverySeconds", recovery},
                    {"thresholdSeconds", options.threshold_seconds},
                    {"stages",
                     {{"detection", detected.has_value()},
                      {"switchover", switched.has_value()},
                      {"recovery", recovered.has_value()}}}});
  return timing;
}

}  // namespace labctl::faults
