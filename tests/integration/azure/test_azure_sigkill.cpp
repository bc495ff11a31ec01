// `labctl up` of an azure lab killed with SIGKILL at five points, then `down --run-id` (with the
// state the killed `up` left) or `down --expired` (with a fresh, empty state directory, after the
// TTL passed) must leave nothing in the ARM fake: the project's promise that a lab never costs
// money past its TTL, even when the agent dies mid-way.
//
// Each kill point is the first request whose path holds a substring the fake is told to hang on
// (`hang_path`: read, never carried out, never answered), so what exists at the kill is exact:
// everything before that request, and nothing of it.
#include <csignal>

#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

struct KillPoint {
  const char* name;       // the test name suffix
  const char* hang_path;  // the first request whose path holds this is where up is killed
  const char* drop_tags;  // an ARM type whose create-time tags the fake ignores ("" = none)
};

// The point's name, not its bytes, in test listings (ctest shows GetParam()).
void PrintTo(const KillPoint& point, std::ostream* out) { *out << point.name; }

class AzureSigkill : public ArmFakeTest, public ::testing::WithParamInterface<KillPoint> {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5", "--hang-path", GetParam().hang_path};
    if (*GetParam().drop_tags != '\0') {
      fake_args.insert(fake_args.end(), {"--drop-tags", GetParam().drop_tags});
    }
    ArmFakeTest::SetUp();
  }

  // The smallest lab with every kind of resource: one site, one router.
  [[nodiscard]] std::string write_profile() const {
    const auto path = tmp.path() / "azure-sigkill.yaml";
    write_text(path,
               "name: azure-sigkill\n"
               "providers: [azure]\n"
               "ttl: 1h\n"
               "sites:\n"
               "  - name: azure\n"
               "    provider: azure\n"
               "    logical_address: 10.77.60.12\n"
               "    nodes:\n"
               "      - {name: azure-router, role: router}\n"
               "azure:\n"
               "  region: eastus\n"
               "  operator_cidr: 198.51.100.0/24\n");
    return path.string();
  }

  // Requests the fake holds unanswered (its hang fault).
  [[nodiscard]] std::size_t hanging() const {
    std::size_t n = 0;
    const auto log = fake_get("/_fake/log");
    if (!log.is_array()) return 0;
    for (const auto& entry : log) n += entry.value("status", nlohmann::json()) == "hang" ? 1 : 0;
    return n;
  }

  // `up --ttl ttl` killed with SIGKILL once the fake holds the kill point's request; the hang
  // is then lifted for what follows. Returns false (with a test failure) when up never got there.
  bool up_killed_at_the_point(const std::string& ttl) {
    auto up = spawn_live({"up", "--profile", write_profile(), "--ttl", ttl});
    const bool reached = eventually([&] { return hanging() >= 1; }, std::chrono::seconds(60));
    up->signal(SIGKILL);
    (void)up->wait();
    EXPECT_TRUE(reached) << "up never reached " << GetParam().hang_path << ": " << up->err();
    fake_post("/_fake/faults", {{"hang_path", nlohmann::json::array()}});
    return reached;
  }

  // Every resource the fake still holds (groups and subnets included): the fake serves only
  // this test, so after a clean down there must be none, tagged or not.
  [[nodiscard]] std::vector<std::string> left_in_fake() const {
    std::vector<std::string> ids;
    const auto state = fake_get("/_fake/state");
    for (const auto& item : state.value("resources", nlohmann::json::array())) {
      ids.push_back(item.value("id", ""));
    }
    return ids;
  }
};

// Given `up` killed at the point, expect the run in state, `down --run-id` to exit 0, and the
// fake to hold nothing at all afterwards.
TEST_P(AzureSigkill, DownRunIdLeavesNothing) {
  ASSERT_TRUE(up_killed_at_the_point("1h"));
  ASSERT_FALSE(tagged("").empty()) << "the point is after the resource group exists";
  const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 1U) << runs.dump();
  const std::string run_id = runs[0]["runId"];
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(left_in_fake(), std::vector<std::string>{});
  EXPECT_EQ(show(run_id)["status"], "down");
}

// Given `up --ttl 1s` killed at the point, its state directory never seen (another machine's
// leak) and the TTL past, expect `down --expired` with a fresh, empty state directory to exit 0
// and the fake to hold nothing at all afterwards.
TEST_P(AzureSigkill, StatelessDownExpiredLeavesNothing) {
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(up_killed_at_the_point("1s"));
  ASSERT_FALSE(tagged("").empty()) << "the point is after the resource group exists";
  // The TTL tag has whole seconds: two seconds after the start it has passed.
  std::this_thread::sleep_until(started + std::chrono::seconds(2));
  const auto fresh = tmp.path() / "fresh-state";
  const auto janitor = live({"down", "--expired"}, {{"CE_STATE_DIR", fresh.string()}});
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(tagged(""), std::vector<std::string>{});
  EXPECT_EQ(left_in_fake(), std::vector<std::string>{});
}

// The five points, in the order `up` sends its requests (resource group, NSG, VNet, and per
// node a public IP, NIC and VM, each waited; then the VMs' addresses are read and the tags the
// endpoint dropped are added).
INSTANTIATE_TEST_SUITE_P(
    Points, AzureSigkill,
    ::testing::Values(
        // The group exists, nothing in it (the NSG PUT is held).
        KillPoint{"AfterResourceGroup", "/networkSecurityGroups/", ""},
        // The group, NSG and VNet exist (the public IP PUT is held).
        KillPoint{"AfterNetwork", "/publicIPAddresses/", ""},
        // ... and the public IP and NIC (the VM PUT is held).
        KillPoint{"AfterNic", "/Microsoft.Compute/", ""},
        // ... and the VM, still Creating (its operation's poll is held).
        KillPoint{"DuringVmWait", "/Microsoft.Compute/locations/", ""},
        // Every VM Succeeded, up adding the VM's dropped tags (the tags PATCH/PUT is held): the
        // VM carries no run tag, only the group it is in does.
        KillPoint{"WhileAddingDroppedTags", "/Microsoft.Resources/tags/",
                  "Microsoft.Compute/virtualMachines"}),
    [](const ::testing::TestParamInfo<KillPoint>& point) { return std::string(point.param.name); });

}  // namespace
}  // namespace labctl::testing
