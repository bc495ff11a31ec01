#include "evidence/derive.hpp"

#include <algorithm>
#include <cstddef>

#include "core/strcat.hpp"
#include "core/json_fields.hpp"
#include "core/json_io.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

using fields::member;
using fields::string_at;

bool passes(const json& object, const char* key) { return string_at(object, key) == k_pass; }

// A state field copied as given; an invalid string is kept so schema validation reports it.
std::string state_or_na(const json& object, const char* key) {
  return string_at(object, key).value_or(k_na);
}

json number_or_null(const json& object, const char* key) {
  const json& value = member(object, key);
  return value.is_number() ? value : json(nullptr);
}

const json& flows_of(const std::optional<InputDocument>& matrix) {
  static const json k_empty = json::array();
  if (!matrix) return k_empty;
  const json& flows = member(matrix->value, "flows");
  return flows.is_array() ? flows : k_empty;
}

std::string flow_label(const json& flow) {
  return cat(string_at(flow, "src").value_or("?"), "->", string_at(flow, "dst").value_or("?"));
}

// "a, b, c" for at most six items, then ", ... (N more)".
std::string short_list(const std::vector<std::string>& items) {
  constexpr std::size_t k_shown = 6;
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < k_shown; ++i) {
    out += (i == 0 ? "" : ", ") + items[i];
  }
  if (items.size() > k_shown) out += cat(", ... (", items.size() - k_shown, " more)");
  return out;
}

Assertion every_flow(const char* name, const json& flows, const char* field) {
  if (flows.empty()) return {name, k_na, "no matrix flows"};
  std::vector<std::string> failing;
  for (const json& flow : flows) {
    if (!passes(flow, field)) failing.push_back(flow_label(flow));
  }
  if (failing.empty()) {
    return {name, k_pass, cat(flows.size(), "/", flows.size(), " flows: ", field, " pass")};
  }
  return {name, k_fail,
          cat(failing.size(), "/", flows.size(), " flows fail ", field, ": ", short_list(failing))};
}

std::string shown(const std::optional<std::string>& value) { return value.value_or("missing"); }

Assertion both_checks(const char* name, const json& checks, const char* first, const char* second) {
  const bool ok = passes(checks, first) && passes(checks, second);
  return {name, ok ? k_pass : k_fail,
          cat(first, "=", shown(string_at(checks, first)), ", ", second, "=",
              shown(string_at(checks, second)))};
}

Assertion copied(const char* name, const json& object, const char* key, const char* where) {
  return {name, state_or_na(object, key), cat(where, key, "=", shown(string_at(object, key)))};
}

std::optional<std::string> provider_state_of(const std::optional<InputDocument>& file,
                                             const std::string& provider) {
  if (!file) return std::nullopt;
  const json& entry = member(file->value, provider.c_str());
  if (entry.is_string()) return entry.get<std::string>();
  if (auto state = string_at(entry, "providerState")) return state;
  return string_at(entry, "result");
}

}  // namespace

json matrix_timing(const std::optional<InputDocument>& matrix, const char* default_phase) {
  json entry = {{"status", k_na},
                {"phase", default_phase},
                {"total", 0},
                {"passed", 0},
                {"failed", 0},
                {"elapsedSeconds", nullptr},
                {"parallelism", nullptr}};
  if (!matrix) return entry;
  const json& summary = member(matrix->value, "summary");
  entry["status"] = state_or_na(summary, "result");
  entry["phase"] = string_at(summary, "phase").value_or(default_phase);
  for (const char* key : {"total", "passed", "failed"}) {
    if (member(summary, key).is_number()) entry[key] = member(summary, key);
  }
  entry["elapsedSeconds"] = number_or_null(summary, "elapsedSeconds");
  entry["parallelism"] = number_or_null(summary, "parallelism");
  return entry;
}

MatrixAssertions derive_matrix(const std::optional<InputDocument>& matrix,
                               long long expected_flows) {
  const json& flows = flows_of(matrix);
  MatrixAssertions out{
      .directed = {"directed_ping_ssh_matrix", k_na, "no connectivity matrix"},
      .source_ip = every_flow("source_ip_preserved", flows, "sourceIpPreserved"),
      .default_gateway = every_flow("default_gateway_unchanged", flows, "defaultGwUnchanged"),
      .no_nat = every_flow("no_nat", flows, "noNat"),
  };
  if (!matrix) return out;
  const json& summary = member(matrix->value, "summary");
  out.overall = state_or_na(summary, "result");
  const json& total = member(summary, "total");
  const bool total_ok =
      total.is_number() && total.get<double>() == static_cast<double>(expected_flows);
  out.directed.result = (out.overall == k_pass && total_ok) ? k_pass : k_fail;
  out.directed.detail =
      cat("summary.result=", out.overall, ", total=", total.is_number() ? json_io::dump(total) : "missing",
          " (expected ", expected_flows, "), passed=",
          member(summary, "passed").is_number() ? json_io::dump(member(summary, "passed")) : "missing");
  return out;
}

Assertion derive_failover_recovery(const std::optional<InputDocument>& timing) {
  const char* name = "failover_recovery_under_60s";
  if (!timing) return {name, k_na, "no failover timing"};
  const json& events = member(timing->value, "events");
  if (!events.is_array() || events.empty()) return {name, k_na, "no failover events"};
  const std::string status = state_or_na(timing->value, "status");
  std::vector<std::string> slow;
  for (const json& event : events) {
    if (!passes(event, "recoveryUnderThreshold")) {
      slow.push_back(cat(shown(string_at(event, "provider")), " ", shown(string_at(event, "fault")),
                         " recoverySeconds=", json_io::dump(number_or_null(event, "recoverySeconds"))));
    }
  }
  const json threshold = number_or_null(timing->value, "thresholdSeconds");
  if (status == k_pass && slow.empty()) {
    return {name, k_pass,
            cat("status=pass, ", events.size(),
                " event(s) recovered under thresholdSeconds=", json_io::dump(threshold))};
  }
  return {name, k_fail,
          cat("status=", status, ", thresholdSeconds=", json_io::dump(threshold),
              ", not under threshold: ", slow.empty() ? "none" : short_list(slow))};
}

std::vector<Assertion> derive_protocol(const std::optional<InputDocument>& protocol) {
  if (!protocol) {
    std::vector<Assertion> out;
    for (const char* name :
         {"protocol_transparency", "ftp_active_passive", "nfs_rpc", "bulk_transfer_pmtu",
          "protocol_source_ip_preserved", "protocol_no_nat"}) {
      out.push_back({name, k_na, "no protocol probe"});
    }
    return out;
  }
  const json& checks = member(member(protocol->value, "summary"), "checks");
  return {
      copied("protocol_transparency", protocol->value, "status", ""),
      both_checks("ftp_active_passive", checks, "ftpActive", "ftpPassive"),
      both_checks("nfs_rpc", checks, "nfs", "rpc"),
      both_checks("bulk_transfer_pmtu", checks, "bulkTransfer", "pmtu"),
      copied("protocol_source_ip_preserved", checks, "sourceIpPreserved", "summary.checks."),
      copied("protocol_no_nat", checks, "noNat", "summary.checks."),
  };
}

std::vector<Assertion> derive_l2(const std::optional<InputDocument>& l2_loop) {
  static const std::vector<std::pair<const char*, const char*>> k_summary_fields{
      {"broadcast_storm_absent", "broadcastStormAbsent"},
      {"stp_rstp_stable", "stpRstpStable"},
      {"mac_flap_absent", "macFlapAbsent"},
      {"failover_ping_stable", "failoverPingStable"},
      {"l2_suppression_mechanism_recorded", "suppressionMechanismRecorded"},
  };
  std::vector<Assertion> out;
  if (!l2_loop) {
    out.push_back({"l2_loop_free", k_na, "no l2 loop probe"});
    for (const auto& [name, field] : k_summary_fields)
      out.push_back({name, k_na, "no l2 loop probe"});
    return out;
  }
  out.push_back(copied("l2_loop_free", l2_loop->value, "status", ""));
  const json& summary = member(l2_loop->value, "summary");
  for (const auto& [name, field] : k_summary_fields) {
    out.push_back(copied(name, summary, field, "summary."));
  }
  return out;
}

json derive_providers(const Inputs& inputs, const std::optional<RunFacts>& run) {
  const json& flows = flows_of(inputs.matrix);
  json out = json::object();
  for (const std::string& provider : k_providers) {
    std::size_t touching = 0;
    bool all_pass = true;
    for (const json& flow : flows) {
      if (string_at(flow, "src") != provider && string_at(flow, "dst") != provider) continue;
      ++touching;
      all_pass = all_pass && passes(flow, "result");
    }
    const bool in_run = !run || std::ranges::find(run->providers, provider) != run->providers.end();
    std::string dataplane = touching == 0 ? k_na : (all_pass ? k_pass : k_fail);
    if (!in_run && touching == 0) dataplane = k_skip;
    std::string state =
        provider_state_of(inputs.provider_state, provider).value_or(in_run ? k_na : k_skip);
    out[provider] = {{"dataplane", dataplane}, {"providerState", state}};
  }
  return out;
}

json derive_cost_guard(const std::optional<RunFacts>& run) {
  constexpr double k_default_ttl_hours = 4.0;  // the default `up --ttl`
  if (!run) return {{"ttlHours", k_default_ttl_hours}, {"teardown", "pending"}};
  std::string teardown = "pending";
  if (run->dry_run) {
    teardown = "skipped";
  } else if (run->status == "down") {
    teardown = run->remaining_resources.empty() ? "completed" : "failed";
  } else if (run->status == "down_failed" || run->status == "failed") {
    teardown = "failed";
  }
  return {{"ttlHours", static_cast<double>(run->ttl_seconds) / 3600.0}, {"teardown", teardown}};
}

json derive_qualification_timings(const Inputs& inputs, const std::optional<RunFacts>& run) {
  json normal = matrix_timing(inputs.matrix, "normal");
  json ingress = matrix_timing(inputs.cloud_ingress, "cloud-ingress");
  json probe = nullptr;
  for (const json* entry : {&normal, &ingress}) {
    const json& elapsed = (*entry)["elapsedSeconds"];
    if (elapsed.is_number())
      probe = (probe.is_null() ? 0.0 : probe.get<double>()) + elapsed.get<double>();
  }
  json convergence = nullptr;
  if (inputs.timing) {
    convergence = number_or_null(inputs.timing->value, "providerElapsedSeconds");
    if (convergence.is_null()) convergence = number_or_null(inputs.timing->value, "elapsedSeconds");
  }
  const auto seconds_or_null = [](const std::optional<double>& seconds) {
    return seconds && *seconds >= 0 ? json(*seconds) : json(nullptr);
  };
  return {{"infraProvisionSeconds", seconds_or_null(run ? run->infra_provision_seconds : std::nullopt)},
          {"deployRouterdReadySeconds", seconds_or_null(run ? run->deploy_ready_seconds : std::nullopt)},
          {"providerConvergenceSeconds", convergence},
          {"dataplaneProbeSeconds", probe},
          {"normalMatrix", normal},
          {"cloudIngressMatrix", ingress}};
}

json embedded_timings(const std::optional<InputDocument>& timing) {
  if (timing) return timing->value;
  return {{"status", k_na}, {"thresholdSeconds", 60}, {"events", json::array()}};
}

json embedded_protocols(const std::optional<InputDocument>& protocol) {
  if (protocol) return protocol->value;
  return {{"status", k_na},
          {"pairs", json::array()},
          {"summary", {{"total", 0}, {"passed", 0}, {"failed", 0}, {"checks", json::object()}}}};
}

json embedded_l2_loop(const std::optional<InputDocument>& l2_loop) {
  if (l2_loop) return l2_loop->value;
  return {
      {"status", k_na}, {"mechanism", ""}, {"phases", json::array()}, {"summary", json::object()}};
}

}  // namespace labctl::evidence
