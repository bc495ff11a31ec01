#include "matrix/flow.hpp"

#include "core/text.hpp"

namespace labctl::matrix {
namespace {

// Fills `error` with the original's mismatch text when an expectation is set and not met.
void check_hostname(const std::string& got, const std::string& want, std::string& error) {
  if (want.empty() || got == want || !error.empty()) return;
  error = "hostname mismatch: got " + (got.empty() ? std::string("<empty>") : got) + " want " + want;
}

bool gateway_ok(const std::string& gw, const std::string& src, const GatewayExpectation& gateway) {
  if (gw.empty()) return false;
  if (gateway.value != "unchanged") return gw == gateway.value;
  const auto baseline = gateway.baseline.find(src);
  return baseline == gateway.baseline.end() || baseline->second == gw;
}

}  // namespace

void make_printable(Observation& seen) {
  for (std::string* value : {&seen.peer_ip, &seen.path_src_ip, &seen.default_gw,
                             &seen.src_hostname, &seen.dst_hostname, &seen.src_hostkey_sha256,
                             &seen.dst_hostkey_sha256}) {
    *value = text::printable(*value);
  }
  for (std::string* value : {&seen.src_identity_error, &seen.dst_identity_error, &seen.error}) {
    *value = text::printable(*value, k_max_error_bytes);
  }
}

std::vector<Flow> plan_flows(std::size_t site_count) {
  std::vector<Flow> flows;
  for (std::size_t i = 0; i < site_count; ++i) {
    for (std::size_t j = 0; j < site_count; ++j) {
      if (i != j) flows.push_back({i, j});
    }
  }
  return flows;
}

std::vector<std::string> FlowResult::failing_checks() const {
  std::vector<std::string> names;
  if (!ping) names.emplace_back("ping");
  if (!source_ip_preserved) names.emplace_back("sourceIpPreserved");
  if (!default_gw_unchanged) names.emplace_back("defaultGwUnchanged");
  if (!no_nat) names.emplace_back("noNat");
  if (!identity_check) names.emplace_back("identityCheck");
  if (names.empty() && !result) names.emplace_back("ssh");
  return names;
}

FlowResult evaluate(const Flow& flow, Observation seen, const std::vector<Site>& sites,
                    const GatewayExpectation& gateway) {
  const Site& src = sites.at(flow.src);
  const Site& dst = sites.at(flow.dst);
  check_hostname(seen.src_hostname, src.expect_hostname, seen.src_identity_error);
  check_hostname(seen.dst_hostname, dst.expect_hostname, seen.dst_identity_error);

  FlowResult r{.flow = flow, .seen = std::move(seen)};
  const Observation& s = r.seen;
  r.ping = s.ping_ok;
  r.source_ip_preserved = !s.peer_ip.empty() && s.peer_ip == src.ip;
  const std::string& path_ip = s.path_src_ip.empty() ? src.ip : s.path_src_ip;
  r.no_nat = !s.peer_ip.empty() && s.peer_ip == path_ip && path_ip == src.ip;
  r.default_gw_unchanged = gateway_ok(s.default_gw, src.name, gateway);
  r.identity_check = s.src_identity_error.empty() && s.dst_identity_error.empty();
  r.result = r.ping && r.source_ip_preserved && r.default_gw_unchanged && r.no_nat &&
             r.identity_check && s.ssh_ok;
  return r;
}

}  // namespace labctl::matrix
