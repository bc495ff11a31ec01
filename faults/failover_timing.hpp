#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "core/seams.hpp"
#include "providers/provider.hpp"

namespace labctl::faults {

struct MeasureOptions {
  double threshold_seconds = 60;  // --threshold-seconds: recovery must be faster than this
  int timeout_seconds = 120;      // --timeout-seconds: how long each stage may take
  int poll_ms = 250;              // how often each stage is checked
};

// Injects the fault and times the failover as the original's failover-timing JSON
// (reference §5): detection = the gateway of the faulted site is held by another router;
// switchover = a probe flow into the faulted site pings again (measured from detection);
// recovery = the probe flow passes every matrix check again (ping, SSH, source address),
// measured from the injection. Each stage has its own deadline of `timeout_seconds` from the
// previous stage, so a slow detection does not eat recovery's budget. The probe runs from the
// first other site's client to the faulted site's client through the matrix engine (its sites
// and SSH settings read from seams.env; an external flow runner started through
// seams.processes). Every time is read from ctx.clock.
[[nodiscard]] Expected<nlohmann::ordered_json> measure_failover(
    providers::Provider& provider, const providers::RunContext& ctx,
    const providers::FaultRequest& request, const MeasureOptions& options, const Seams& seams);

// Checks `reached` every `poll` until it holds or clock.steady_now() passes `deadline`; returns
// the steady time at which it held, else nullopt (also when a signal cut a sleep short).
[[nodiscard]] std::optional<std::chrono::steady_clock::time_point> poll_until(
    const std::function<bool()>& reached, std::chrono::steady_clock::time_point deadline,
    std::chrono::milliseconds poll, Clock& clock);

}  // namespace labctl::faults
