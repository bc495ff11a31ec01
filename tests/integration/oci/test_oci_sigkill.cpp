// `labctl up` of an oci lab killed with SIGKILL at five points, then `down --run-id` (with the
// state the killed `up` left) or `down --expired` (with a fresh, empty state directory, after the
// TTL passed) must leave nothing in the OCI fake: the project's promise that a lab never costs
// money past its TTL, even when the agent dies mid-way.
//
// Each kill point is the first request whose "METHOD /path" holds a substring the fake is told
// to hang on (`hang_path`: read, never carried out, never answered), so what exists at the kill
// is exact: everything before that request, and nothing of it.
#include <csignal>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

struct KillPoint {
  const char* name;       // the test name suffix
  const char* hang_path;  // the first request whose "METHOD /path" holds this is where up dies
  const char* drop_tags;  // an OCI type whose create-time tags the fake ignores ("" = none)
};

// The point's name, not its bytes, in test listings (ctest shows GetParam()).
void PrintTo(const KillPoint& point, std::ostream* out) { *out << point.name; }

class OciSigkill : public OciFakeTest, public ::testing::WithParamInterface<KillPoint> {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5", "--hang-path", GetParam().hang_path};
    if (*GetParam().drop_tags != '\0') {
      fake_args.insert(fake_args.end(), {"--drop-tags", GetParam().drop_tags});
    }
    OciFakeTest::SetUp();
  }

  // Requests the fake holds unanswered (its hang fault).
  [[nodiscard]] std::size_t hanging() const {
    std::size_t n = 0;
    const auto log = fake_get("/_fake/log");
    if (!log.is_array()) return 0;
    for (const auto& entry : log) n += entry.value("status", nlohmann::json()) == "hang" ? 1 : 0;
    return n;
  }

  // `up --ttl ttl` of the smallest lab with every kind of resource (one site, one router),
  // killed with SIGKILL once the fake holds the kill point's request; the hang is then lifted
  // for what follows. Returns false (with a test failure) when up never got there; a test
  // failure too when what exists is not what the point says (the VCN tagged; at a dropped-tags
  // point, the instance untagged).
  bool up_killed_at_the_point(const std::string& ttl) {
    auto up = spawn_live({"up", "--profile",
                          write_oci_profile("oci-sigkill", {{"oci-router", "router"}}), "--ttl",
                          ttl});
    const bool reached = eventually([&] { return hanging() >= 1; }, std::chrono::seconds(60));
    up->signal(SIGKILL);
    (void)up->wait();
    EXPECT_TRUE(reached) << "up never reached " << GetParam().hang_path << ": " << up->err();
    fake_post("/_fake/faults", {{"hang_path", nlohmann::json::array()}});
    EXPECT_FALSE(tagged("").empty()) << "the point is after the VCN exists";
    if (*GetParam().drop_tags != '\0') {
      EXPECT_EQ(untagged_instances(), 1U) << "the point is before the dropped tags are added";
    }
    return reached;
  }

  // Instances in the fake, not terminated, that carry no run tag.
  [[nodiscard]] std::size_t untagged_instances() const {
    std::size_t n = 0;
    const auto state = fake_get("/_fake/state");
    for (const auto& item : state.value("resources", nlohmann::json::array())) {
      if (item.value("type", "") != "Instance" || item["lifecycleState"] == "TERMINATED") continue;
      n += item.value("freeformTags", nlohmann::json::object()).contains("routerd.cloudedge.run_id")
               ? 0
               : 1;
    }
    return n;
  }
};

// Given `up` killed at the point, expect the run in state, `down --run-id` to exit 0, and the
// fake to hold nothing at all afterwards (tagged or not; terminated instances aside).
TEST_P(OciSigkill, DownRunIdLeavesNothing) {
  ASSERT_TRUE(up_killed_at_the_point("1h"));
  const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 1U) << runs.dump();
  const std::string run_id = runs[0]["runId"];
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(existing(), std::vector<std::string>{});
  EXPECT_EQ(show(run_id)["status"], "down");
}

// Given `up --ttl 1s` killed at the point, its state directory never seen (another machine's
// leak) and the TTL past, expect `down --expired` with a fresh, empty state directory to exit 0
// and the fake to hold nothing at all afterwards.
TEST_P(OciSigkill, StatelessDownExpiredLeavesNothing) {
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(up_killed_at_the_point("1s"));
  // The TTL tag has whole seconds: two seconds after the start it has passed.
  std::this_thread::sleep_until(started + std::chrono::seconds(2));
  const auto fresh = tmp.path() / "fresh-state";
  const auto janitor = live({"down", "--expired"}, {{"CE_STATE_DIR", fresh.string()}});
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(tagged(""), std::vector<std::string>{});
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

// The five points, in the order `up` sends its requests (providers/oci/oci_ops.hpp apply_lab:
// the availability domain, then VCN, internet gateway, route table, security list, subnet and
// the instance, each waited; then the instance's VNIC read for its addresses, then the tags the
// endpoint dropped added).
INSTANTIATE_TEST_SUITE_P(
    Points, OciSigkill,
    ::testing::Values(
        // The VCN exists (with its default route table and security list), nothing in it (the
        // internet gateway's create is held).
        KillPoint{"AfterVcn", "POST /20160918/internetGateways", ""},
        // The whole network exists (the instance launch is held).
        KillPoint{"AfterSubnet", "POST /20160918/instances", ""},
        // ... and the instance, RUNNING (the read of its VNIC attachment is held).
        KillPoint{"AfterFirstInstance", "GET /20160918/vnicAttachments", ""},
        // ... and the instance, still PROVISIONING (the wait's first GET is held).
        KillPoint{"DuringInstanceWait", "GET /20160918/instances/", ""},
        // The instance RUNNING, up adding the instance's dropped tags (the PUT is held): the
        // instance carries no run tag, only the network it is in does.
        KillPoint{"WhileAddingDroppedTags", "PUT /20160918/instances/", "Instance"}),
    [](const ::testing::TestParamInfo<KillPoint>& point) { return std::string(point.param.name); });

}  // namespace
}  // namespace labctl::testing
