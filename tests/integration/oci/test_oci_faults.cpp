// Faults on oci (issue 15): `labctl failover --provider oci --fault stop-active` stops the run's
// active router instance through Core (POST /instances/<id>?action=STOP with a retry token),
// behind the tag fence, waited until STOPPED and recorded; node faults never succeed silently on
// an instance that is not running; a fault oci cannot do is a usage error; evidence's
// providers.oci.providerState expects the stopped router stopped. The OCI fake stands in for OCI.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

using Json = nlohmann::json;

class OciFaults : public OciFakeTest {
 protected:
  void SetUp() override {
    OciFakeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto profile = write_oci_profile("oci-faults", {{"oci-router-a", "router-a"}});
    const auto up = live({"up", "--profile", profile, "--ttl", "30m"});
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = up.out.substr(0, up.out.find('\n'));
    const Json shown = show(run_id);
    for (const auto& r : shown["resources"]) {
      if (r["kind"] == "instance" && r["attrs"].value("role", "") == "router-a") {
        instance_id = r.value("cloudId", "");
      }
    }
    ASSERT_FALSE(instance_id.empty()) << shown.dump();
  }

  CommandOutput failover(const std::string& fault,
                         const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args{"failover", "--run-id", run_id, "--provider",
                                  "oci",      "--fault",  fault};
    args.insert(args.end(), more.begin(), more.end());
    return live(args, {{"SSH_AUTH_SOCK", "\x01unset"}, {"CE_SSH_CONNECT_TIMEOUT", "2"}});
  }

  // The fake's lifecycleState of the router instance, "" when it has none.
  std::string instance_state() const {
    for (const auto& r : fake_get("/_fake/state").value("resources", Json::array())) {
      if (r.value("id", "") == instance_id) return r.value("lifecycleState", "");
    }
    return "";
  }

  // The run's failover events with `result`, oldest first.
  std::vector<Json> events(const std::string& result) const {
    std::vector<Json> found;
    const Json shown = show(run_id);
    for (const auto& e : shown["events"]) {
      if (e["kind"] == "failover" && e["detail"].value("result", "") == result) {
        found.push_back(e["detail"]);
      }
    }
    return found;
  }

  Json provider_state(const std::string& name) const {
    const auto out = tmp.path() / name;
    const auto collected = live({"evidence", "collect", "--run-id", run_id, "--out", out.string()});
    EXPECT_TRUE(collected.code == 0 || collected.code == 1) << collected.err;
    const auto file = out / "provider-state.json";
    return std::filesystem::exists(file) ? Json::parse(read_text(file), nullptr, false)["oci"]
                                         : Json(nullptr);
  }

  std::string run_id, instance_id;
};

// Given a live oci run, expect stop-active to send one STOP to the active router (exit 0), the
// fake to show it STOPPED, and the run to record the injected fault with the instance it
// stopped; evidence's providerState passes with the router expected STOPPED. Then, with no node
// left to reach over SSH, expect drain to fail naming the instance's state (exit 3) with a failed
// event, never a silent success, and no SSH attempted (one run for all: `up` is the slow part).
TEST_F(OciFaults, StopActiveStopsTheActiveRouterAndDrainThenFails) {
  const Json fresh = provider_state("fresh");
  EXPECT_EQ(fresh.value("providerState", ""), "pass") << fresh.dump(2);

  const auto out = failover("stop-active");
  ASSERT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(calls("POST /20160918/instances/" + instance_id), 1u);
  EXPECT_EQ(instance_state(), "STOPPED");
  const auto injected = events("injected");
  ASSERT_EQ(injected.size(), 1u);
  const Json& detail = injected.front()["detail"];
  EXPECT_EQ(detail.value("fault", ""), "stop-active");
  EXPECT_EQ(detail.value("node", ""), "oci-router-a");
  EXPECT_EQ(detail.value("instance", ""), instance_id);
  EXPECT_EQ(detail.value("lifecycleState", ""), "STOPPED");
  EXPECT_FALSE(detail.value("stoppedAt", "").empty());

  const Json stopped = provider_state("stopped");
  EXPECT_EQ(stopped.value("providerState", ""), "pass") << stopped.dump(2);
  EXPECT_EQ(stopped["detail"]["stoppedByFault"], Json::array({"oci-router-a"}));
  EXPECT_EQ(stopped["detail"]["instances"][0]["expected"], "STOPPED") << stopped.dump(2);

  // A second stop-active is a new attempt (a new retry token): the fake answers the STOP of a
  // stopped instance as a no-op, and the run records both.
  const auto second = failover("stop-active");
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(calls("POST /20160918/instances/" + instance_id), 2u);
  EXPECT_EQ(events("injected").size(), 2u);
  std::vector<std::string> tokens;
  for (const auto& entry : fake_get("/_fake/log")) {
    if (entry.value("method", "") == "POST" &&
        entry.value("path", "") == "/20160918/instances/" + instance_id) {
      tokens.push_back(entry.value("retry_token", ""));
    }
  }
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_TRUE(tokens[0].starts_with("labctl-")) << tokens[0];
  EXPECT_NE(tokens[0], tokens[1]);

  const auto lookups = calls("vnicAttachments");
  const auto drain = failover("drain");
  EXPECT_EQ(drain.code, 3) << drain.err;
  EXPECT_NE(drain.err.find("not running"), std::string::npos) << drain.err;
  EXPECT_NE(drain.err.find(instance_id), std::string::npos) << drain.err;
  EXPECT_EQ(events("failed").size(), 1u);
  EXPECT_EQ(calls("vnicAttachments"), lookups) << "no address is looked up for a stopped node";
}

// Given a fault oci cannot do (restoring stop-active: labctl starts no instance again), expect
// exit 2 naming the provider and the fault, and nothing sent that mutates.
TEST_F(OciFaults, AFaultOciCannotDoIsAUsageError) {
  const auto before = mutations();
  const auto out = failover("stop-active", {"--restore"});
  EXPECT_EQ(out.code, 2) << out.err;
  EXPECT_NE(out.err.find("oci"), std::string::npos) << out.err;
  EXPECT_NE(out.err.find("stop-active"), std::string::npos) << out.err;
  EXPECT_EQ(mutations(), before);
  EXPECT_EQ(instance_state(), "RUNNING");
}

}  // namespace
}  // namespace labctl::testing
