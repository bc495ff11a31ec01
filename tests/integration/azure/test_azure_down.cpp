// `labctl down --run-id` and `down --expired` for Azure, the labctl binary against the ARM fake:
// labs are seeded straight into the fake (POST /_fake/seed), so these tests need no `up`.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/state_store.hpp"
#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

constexpr const char* k_past = "2020-01-01T00:00:00Z";
constexpr const char* k_future = "2099-01-01T00:00:00Z";

class AzureDown : public ArmFakeTest {
 protected:
  // Long-running operations finish in 5 ms and are polled without Retry-After waits: these
  // tests are about what is deleted, not about waiting.
  void SetUp() override {
    fake_args.insert(fake_args.begin(), {"--op-delay-ms", "5", "--retry-after-s", "0"});
    ArmFakeTest::SetUp();
  }

  [[nodiscard]] std::string group_id(const std::string& group) const {
    return std::string("/subscriptions/") + k_subscription + "/resourceGroups/" + group;
  }

  static nlohmann::json lab_tags(const std::string& run_id, const std::string& ttl) {
    return {{"routerd.cloudedge.run_id", run_id},
            {"routerd.cloudedge.owner", "tests"},
            {"routerd.cloudedge.ttl_expires_at", ttl},
            {"routerd.cloudedge.provider", "azure"},
            {"routerd.cloudedge.purpose", "down-test"}};
  }

  // A lab as `up` leaves it: the group labctl-<run> and its network and VM, all tagged.
  void seed_lab(const std::string& run_id, const std::string& ttl) const {
    const auto group = group_id("labctl-" + run_id);
    const auto tags = lab_tags(run_id, ttl);
    const auto answer = fake_post(
        "/_fake/seed",
        {{"resources",
          {{{"id", group}, {"type", "Microsoft.Resources/resourceGroups"}, {"tags", tags}},
           {{"id", group + "/providers/Microsoft.Network/virtualNetworks/labctl-vnet"},
            {"type", "Microsoft.Network/virtualNetworks"},
            {"tags", tags}},
           {{"id", group + "/providers/Microsoft.Network/networkSecurityGroups/labctl-nsg"},
            {"type", "Microsoft.Network/networkSecurityGroups"},
            {"tags", tags}},
           {{"id", group + "/providers/Microsoft.Network/publicIPAddresses/router-pip"},
            {"type", "Microsoft.Network/publicIPAddresses"},
            {"tags", tags}},
           {{"id", group + "/providers/Microsoft.Network/networkInterfaces/router-nic"},
            {"type", "Microsoft.Network/networkInterfaces"},
            {"tags", tags}},
           {{"id", group + "/providers/Microsoft.Compute/virtualMachines/router"},
            {"type", "Microsoft.Compute/virtualMachines"},
            {"tags", tags}}}}});
    ASSERT_FALSE(answer.is_null()) << "seeding the fake failed";
    ASSERT_EQ(tagged(run_id).size(), 6U);
  }

  [[nodiscard]] bool exists(const std::string& id) const {
    const auto state = fake_get("/_fake/state");
    const auto all = state.value("resources", nlohmann::json::array());
    return std::any_of(all.begin(), all.end(),
                       [&](const auto& item) { return item.value("id", "") == id; });
  }
};

// Given a lab `up` created (one router: the smallest profile), expect `down --run-id` to exit 0
// with every row deleted and nothing tagged with the run left in the fake.
TEST_F(AzureDown, UpThenDownLeavesNothing) {
  const auto profile = write_azure_profile("azure-one", {{"azure-router", "router"}});
  const auto up = live({"up", "--profile", profile, "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run = up.out.substr(0, up.out.find('\n'));
  ASSERT_TRUE(looks_like_run_id(run)) << up.out;
  ASSERT_FALSE(tagged(run).empty());

  const auto down = live({"down", "--run-id", run});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_TRUE(tagged(run).empty());
  const auto shown = show(run);  // a named document: the loop reads into it
  for (const auto& row : shown["resources"]) {
    EXPECT_EQ(row.value("state", ""), "deleted") << row.dump();
  }
}

// Given a lab in the fake that this machine's state has never seen, expect `down --run-id` to
// find it by tag, delete it and leave nothing tagged with the run.
TEST_F(AzureDown, DownByRunIdRemovesTheLab) {
  const std::string run = "20261205T100000Z-cloudedge-azdown";
  seed_lab(run, k_future);
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_TRUE(tagged(run).empty());
  EXPECT_GE(calls("DELETE /subscriptions/"), 1U);
}

// Given an expired lab, a fresh lab, and a foreign group (no labctl tags) holding a stray of the
// expired run, expect `down --expired` with an empty state dir to delete the expired lab and its
// stray, and to leave the fresh lab and the foreign group alone.
TEST_F(AzureDown, ExpiredRemovesOnlyExpiredLabsWithEmptyState) {
  const std::string old_run = "20200101T000000Z-cloudedge-azold";
  const std::string new_run = "20261205T100000Z-cloudedge-aznew";
  seed_lab(old_run, k_past);
  seed_lab(new_run, k_future);
  const auto foreign = group_id("team-prod");
  const auto stray = foreign + "/providers/Microsoft.Network/publicIPAddresses/stray-pip";
  const auto seeded = fake_post("/_fake/seed", {{"resources",
                                                 {{{"id", foreign},
                                                   {"type", "Microsoft.Resources/resourceGroups"},
                                                   {"tags", {{"team", "prod"}}}},
                                                  {{"id", stray},
                                                   {"type", "Microsoft.Network/publicIPAddresses"},
                                                   {"tags", lab_tags(old_run, k_past)}}}}});
  ASSERT_FALSE(seeded.is_null());
  ASSERT_FALSE(std::filesystem::exists(state_dir / "state.db"));

  const auto out = live({"down", "--expired"});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_TRUE(tagged(old_run).empty());
  EXPECT_FALSE(exists(stray));
  EXPECT_EQ(tagged(new_run).size(), 6U);
  EXPECT_TRUE(exists(foreign));
}

class AzureDownLingeringGraph : public AzureDown {
 protected:
  void SetUp() override {
    fake_args = {"--linger-graph-s", "30"};
    AzureDown::SetUp();
  }
};

// Given Resource Graph that keeps listing deleted resources for 30 s (its index is eventually
// consistent), expect down to trust each resource's own GET and still end with exit 0.
TEST_F(AzureDownLingeringGraph, StillEndsClean) {
  const std::string run = "20261205T100000Z-cloudedge-azlinger";
  seed_lab(run, k_future);
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_TRUE(tagged(run).empty());
}

class AzureDownConflict : public AzureDown {
 protected:
  void SetUp() override {
    fake_args = {"--conflict-on-delete", "2"};
    AzureDown::SetUp();
  }
};

// Given a group DELETE answered 409 twice, expect it asked again with backoff and down to end
// with exit 0.
TEST_F(AzureDownConflict, DeleteIsRetried) {
  const std::string run = "20261205T100000Z-cloudedge-azconflict";
  seed_lab(run, k_future);
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_TRUE(tagged(run).empty());
  EXPECT_GE(calls("DELETE /subscriptions/"), 3U);
}

// Given a state row naming a resource group that carries another run's run-id tag, expect down
// to refuse (exit 4) naming it, and to delete nothing.
TEST_F(AzureDown, RefusesGroupTaggedWithAnotherRun) {
  const std::string other = "20261205T100000Z-cloudedge-azother";
  const std::string run = "20261205T100000Z-cloudedge-azmine";
  seed_lab(other, k_future);
  const auto group = group_id("labctl-" + other);
  {
    auto store = state::Store::open(state_dir);
    ASSERT_TRUE(store) << store.error().message;
    state::RunRecord record;
    record.run_id = run;
    record.profile = "full";
    record.providers = {"azure"};
    record.owner = "tests";
    record.purpose = "down-test";
    record.ttl_text = "1h";
    record.ttl_expires_at = k_future;
    record.created_at = "2026-12-05T10:00:00Z";
    record.status = state::k_run_up;
    record.dry_run = false;
    ASSERT_TRUE((*store)->insert_run(record));
    std::vector<state::ResourceRecord> rows(1);
    rows[0].run_id = run;
    rows[0].provider = "azure";
    rows[0].kind = "resourceGroup";
    rows[0].name = "labctl-" + run;
    rows[0].region = "westeurope";
    rows[0].cloud_id = group;
    rows[0].state = state::k_res_created;
    ASSERT_TRUE((*store)->record_intents(rows));
  }
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 4) << out.err;
  EXPECT_NE(out.err.find(other), std::string::npos) << out.err;
  EXPECT_EQ(calls("DELETE"), 0U);
  EXPECT_EQ(tagged(other).size(), 6U);
}

}  // namespace
}  // namespace labctl::testing
