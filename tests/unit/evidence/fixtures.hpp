#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "evidence/model.hpp"

// Probe outputs in the original harness's formats (reference spec §2-§5), for evidence tests.
namespace labctl::evidence::testing {

inline const std::vector<std::string> k_four_sites{"onprem", "aws", "azure", "oci"};

// A connectivity matrix over `sites`: one flow per ordered pair; a flow named in `failing`
// ("src->dst") fails its ping and overall result, and the summary says fail.
inline nlohmann::json make_matrix(const std::vector<std::string>& sites,
                                  const std::set<std::string>& failing = {},
                                  const std::string& phase = "matrix", int parallelism = 1,
                                  int elapsed_seconds = 4) {
  nlohmann::json flows = nlohmann::json::array();
  int passed = 0;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    for (std::size_t j = 0; j < sites.size(); ++j) {
      if (i == j) continue;
      const bool ok = !failing.contains(sites[i] + "->" + sites[j]);
      passed += ok ? 1 : 0;
      const std::string ip_i = "10.77.60." + std::to_string(10 + i);
      flows.push_back({{"src", sites[i]},
                       {"dst", sites[j]},
                       {"srcIp", ip_i},
                       {"dstIp", "10.77.60." + std::to_string(10 + j)},
                       {"peerIp", ip_i},
                       {"defaultGw", "10.77.60.1"},
                       {"ping", ok ? "pass" : "fail"},
                       {"sourceIpPreserved", "pass"},
                       {"defaultGwUnchanged", "pass"},
                       {"noNat", "pass"},
                       {"identityCheck", "pass"},
                       {"result", ok ? "pass" : "fail"}});
    }
  }
  const int total = static_cast<int>(flows.size());
  return {{"flows", flows},
          {"summary",
           {{"total", total},
            {"passed", passed},
            {"failed", total - passed},
            {"result", passed == total ? "pass" : "fail"},
            {"phase", phase},
            {"parallelism", parallelism},
            {"elapsedSeconds", elapsed_seconds}}}};
}

inline nlohmann::json passing_timing(double recovery_seconds = 12.5) {
  const bool under = recovery_seconds < 60;
  return {{"status", under ? "pass" : "fail"},
          {"thresholdSeconds", 60.0},
          {"timeoutSeconds", 120},
          {"events",
           {{{"provider", "azure"},
             {"fault", "stop-active"},
             {"detectionSeconds", 2.0},
             {"switchoverSeconds", 3.5},
             {"recoverySeconds", recovery_seconds},
             {"recoveryUnderThreshold", under ? "pass" : "fail"}}}}};
}

inline nlohmann::json passing_protocol() {
  nlohmann::json checks;
  for (const char* check : {"ftpActive", "ftpPassive", "nfs", "rpc", "bulkTransfer", "pmtu",
                            "sourceIpPreserved", "noNat"}) {
    checks[check] = "pass";
  }
  return {{"status", "pass"},
          {"pairs",
           {{{"client", "aws"}, {"server", "azure"}}, {{"client", "aws"}, {"server", "onprem"}}}},
          {"summary", {{"total", 2}, {"passed", 2}, {"failed", 0}, {"checks", checks}}}};
}

inline nlohmann::json passing_l2() {
  return {{"status", "pass"},
          {"mechanism", "vrrp-single-master+non-master-fail-closed+stp-blocking"},
          {"phases", {{{"phase", "before"}}, {{"phase", "after"}}}},
          {"summary",
           {{"broadcastStormAbsent", "pass"},
            {"stpRstpStable", "pass"},
            {"macFlapAbsent", "pass"},
            {"failoverPingStable", "pass"},
            {"suppressionMechanismRecorded", "pass"}}}};
}

// A preflight document as `labctl preflight` stores it (run meta "preflight"): the ENI without
// the address yet, source/dest check on.
inline nlohmann::json preflight_document(const std::string& result) {
  return {
      {"runId", "20260601T000000Z-cloudedge-d5"},
      {"eni",
       {{"id", "eni-0a1b2c3d"},
        {"sourceDestCheck", true},
        {"privateIps", {"198.18.0.10"}},
        {"primaryIp", "198.18.0.9"},
        {"subnetId", "subnet-0a"},
        {"vpcId", "vpc-0a"},
        {"tags", {{"labctl-run", "20260601T000000Z-cloudedge-d5"}}}}},
      {"instance", {{"id", "i-0a"}, {"state", "running"}}},
      {"subnet", {{"id", "subnet-0a"}, {"cidr", "198.18.0.0/24"}}},
      {"routeTables",
       {{{"id", "rtb-0a"}, {"routes", {{{"destination", "0.0.0.0/0"}, {"target", "igw-0a"}}}}}}},
      {"address", "198.18.0.50"},
      {"checks",
       {{{"name", "address-not-assigned"},
         {"status", "pass"},
         {"detail", "198.18.0.50 is not on eni-0a1b2c3d"}}}},
      {"result", result},
      {"collectedAt", "2026-06-01T00:00:00Z"}};
}

inline InputDocument doc(nlohmann::json value) {
  std::string text = value.dump();
  return {.value = std::move(value), .text = std::move(text), .origin = "test"};
}

}  // namespace labctl::evidence::testing
