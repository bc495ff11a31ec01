#include "matrix/flow.hpp"

#include <gtest/gtest.h>

namespace labctl::matrix {
namespace {

std::vector<Site> two_sites() {
  auto sites = *parse_sites("a=10.0.0.1,b=10.0.0.2");
  return sites;
}

Observation good_from_a() {
  Observation seen;
  seen.ping_ok = true;
  seen.ssh_ok = true;
  seen.peer_ip = "10.0.0.1";
  seen.path_src_ip = "10.0.0.1";
  seen.default_gw = "10.0.0.254";
  return seen;
}

TEST(PlanFlows, EveryOrderedPairInSiteOrder) {
  const auto flows = plan_flows(4);
  ASSERT_EQ(flows.size(), 12U);
  const std::vector<std::pair<std::size_t, std::size_t>> expected = {
      {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 2}, {1, 3}, {2, 0}, {2, 1}, {2, 3}, {3, 0}, {3, 1}, {3, 2}};
  for (std::size_t i = 0; i < flows.size(); ++i) {
    EXPECT_EQ(flows[i].src, expected[i].first);
    EXPECT_EQ(flows[i].dst, expected[i].second);
  }
  EXPECT_TRUE(plan_flows(1).empty());
}

TEST(Evaluate, AllChecksPass) {
  const auto r = evaluate({0, 1}, good_from_a(), two_sites(), {});
  EXPECT_TRUE(r.result);
  EXPECT_TRUE(r.failing_checks().empty());
}

// Given dst saw another address (masquerade), expect both source-ip and noNat to fail.
TEST(Evaluate, MasqueradedPeerFailsSourceIpAndNoNat) {
  auto seen = good_from_a();
  seen.peer_ip = "10.0.0.99";
  const auto r = evaluate({0, 1}, seen, two_sites(), {});
  EXPECT_FALSE(r.source_ip_preserved);
  EXPECT_FALSE(r.no_nat);
  EXPECT_TRUE(r.ping);
  EXPECT_FALSE(r.result);
  EXPECT_EQ(r.failing_checks(), (std::vector<std::string>{"sourceIpPreserved", "noNat"}));
}

// Given dst saw the configured address but src's own path address differs (something rewrote
// it to the configured one), expect noNat to fail while sourceIpPreserved passes.
TEST(Evaluate, NoNatIsItsOwnCheck) {
  auto seen = good_from_a();
  seen.path_src_ip = "172.16.0.1";
  const auto r = evaluate({0, 1}, seen, two_sites(), {});
  EXPECT_TRUE(r.source_ip_preserved);
  EXPECT_FALSE(r.no_nat);
  EXPECT_FALSE(r.result);
}

TEST(Evaluate, NoNatWithoutPathAddressComparesConfiguredAddress) {
  auto seen = good_from_a();
  seen.path_src_ip.clear();
  EXPECT_TRUE(evaluate({0, 1}, seen, two_sites(), {}).no_nat);
  seen.peer_ip.clear();
  const auto r = evaluate({0, 1}, seen, two_sites(), {});
  EXPECT_FALSE(r.no_nat);
  EXPECT_FALSE(r.source_ip_preserved);
}

TEST(Evaluate, GatewayUnchangedAgainstBaseline) {
  GatewayExpectation gw;
  EXPECT_TRUE(evaluate({0, 1}, good_from_a(), two_sites(), gw).default_gw_unchanged);
  gw.baseline["a"] = "10.0.0.254";
  EXPECT_TRUE(evaluate({0, 1}, good_from_a(), two_sites(), gw).default_gw_unchanged);
  gw.baseline["a"] = "10.0.0.253";
  EXPECT_FALSE(evaluate({0, 1}, good_from_a(), two_sites(), gw).default_gw_unchanged);
  auto seen = good_from_a();
  seen.default_gw.clear();
  EXPECT_FALSE(evaluate({0, 1}, seen, two_sites(), GatewayExpectation{}).default_gw_unchanged);
}

TEST(Evaluate, GatewayExactExpectation) {
  GatewayExpectation gw{.value = "10.0.0.254", .baseline = {{"a", "ignored"}}};
  EXPECT_TRUE(evaluate({0, 1}, good_from_a(), two_sites(), gw).default_gw_unchanged);
  gw.value = "10.0.0.1";
  EXPECT_FALSE(evaluate({0, 1}, good_from_a(), two_sites(), gw).default_gw_unchanged);
}

TEST(Evaluate, IdentityMismatchNamesGotAndWant) {
  auto sites = two_sites();
  sites[1].expect_hostname = "wrong-b";
  auto seen = good_from_a();
  seen.dst_hostname = "b-client";
  auto r = evaluate({0, 1}, seen, sites, {});
  EXPECT_FALSE(r.identity_check);
  EXPECT_EQ(r.seen.dst_identity_error, "hostname mismatch: got b-client want wrong-b");
  seen.dst_hostname.clear();
  r = evaluate({0, 1}, seen, sites, {});
  EXPECT_EQ(r.seen.dst_identity_error, "hostname mismatch: got <empty> want wrong-b");
  sites[1].expect_hostname = "b-client";
  seen.dst_hostname = "b-client";
  EXPECT_TRUE(evaluate({0, 1}, seen, sites, {}).identity_check);
  seen.src_identity_error = "host key mismatch for a";
  EXPECT_FALSE(evaluate({0, 1}, seen, sites, {}).identity_check);
}

TEST(Evaluate, FailedSshOpFailsTheFlowEvenWhenChecksPass) {
  auto seen = good_from_a();
  seen.ssh_ok = false;
  const auto r = evaluate({0, 1}, seen, two_sites(), {});
  EXPECT_FALSE(r.result);
  EXPECT_EQ(r.failing_checks(), (std::vector<std::string>{"ssh"}));
}

}  // namespace
}  // namespace labctl::matrix
