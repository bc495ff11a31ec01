// `labctl down --run-id` and `down --expired` for OCI, the labctl binary against the OCI fake:
// labs are seeded straight into the fake (POST /_fake/seed), so most of these tests need no
// `up`.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/state_store.hpp"
#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

constexpr const char* k_past = "2020-01-01T00:00:00Z";
constexpr const char* k_future = "2099-01-01T00:00:00Z";

class OciDown : public OciFakeTest {
 protected:
  // Lifecycle steps take 5 ms: these tests are about what is deleted, not about waiting.
  void SetUp() override {
    fake_args.insert(fake_args.begin(), {"--op-delay-ms", "5"});
    OciFakeTest::SetUp();
  }

  static nlohmann::json lab_tags(const std::string& run_id, const std::string& ttl) {
    return {{"routerd.cloudedge.run_id", run_id},
            {"routerd.cloudedge.owner", "tests"},
            {"routerd.cloudedge.ttl_expires_at", ttl},
            {"routerd.cloudedge.provider", "oci"},
            {"routerd.cloudedge.purpose", "down-test"}};
  }

  // A lab as `up` leaves it: VCN, internet gateway, route table (0.0.0.0/0 to the gateway),
  // security list, subnet using both, one instance (its VNIC tagged too), all tagged with
  // `tags` (none: the same lab, untagged). `cidr` is the VCN's second octet (labs must not
  // overlap). Returns the seed answer's {name: OCID}.
  [[nodiscard]] nlohmann::json seed_lab(const nlohmann::json& tags, int octet) const {
    const std::string net = "10." + std::to_string(octet);
    const auto with = [&](nlohmann::json details) {
      details["compartmentId"] = k_compartment;
      if (!tags.is_null()) details["freeformTags"] = tags;
      return details;
    };
    nlohmann::json vnic = {{"subnetId", "${subnet}"}, {"assignPublicIp", true}};
    if (!tags.is_null()) vnic["freeformTags"] = tags;
    const auto answer = fake_post(
        "/_fake/seed",
        {{"resources",
          {{{"type", "Vcn"},
            {"name", "vcn"},
            {"details", with({{"cidrBlocks", {net + ".0.0/16"}}, {"displayName", "lab"}})}},
           {{"type", "InternetGateway"},
            {"name", "igw"},
            {"details", with({{"vcnId", "${vcn}"}, {"isEnabled", true}})}},
           {{"type", "RouteTable"},
            {"name", "rt"},
            {"details", with({{"vcnId", "${vcn}"},
                              {"routeRules",
                               {{{"destination", "0.0.0.0/0"},
                                 {"destinationType", "CIDR_BLOCK"},
                                 {"networkEntityId", "${igw}"}}}}})}},
           {{"type", "SecurityList"},
            {"name", "sl"},
            {"details", with({{"vcnId", "${vcn}"},
                              {"ingressSecurityRules", nlohmann::json::array()},
                              {"egressSecurityRules", nlohmann::json::array()}})}},
           {{"type", "Subnet"},
            {"name", "subnet"},
            {"details", with({{"vcnId", "${vcn}"},
                              {"cidrBlock", net + ".1.0/24"},
                              {"routeTableId", "${rt}"},
                              {"securityListIds", {"${sl}"}}})}},
           {{"type", "Instance"},
            {"name", "router"},
            {"details", with({{"availabilityDomain", "Uocm:US-ASHBURN-AD-1"},
                              {"shape", "VM.Standard.E4.Flex"},
                              {"displayName", "router"},
                              {"sourceDetails", {{"sourceType", "image"}, {"imageId", k_image}}},
                              {"createVnicDetails", vnic}})}}}}});
    EXPECT_TRUE(answer.is_object() && answer.contains("created")) << answer.dump();
    return answer.is_object() ? answer.value("created", nlohmann::json::object())
                              : nlohmann::json::object();
  }

  // A lab of run `run_id` seeded with its tags; expects 7 tagged resources (the VNIC included).
  nlohmann::json seed_run(const std::string& run_id, const std::string& ttl, int octet) const {
    auto created = seed_lab(lab_tags(run_id, ttl), octet);
    EXPECT_EQ(tagged(run_id).size(), 7U);
    return created;
  }

  // Records run `run_id` in the state dir with one created row per (kind, OCID).
  void record_run(const std::string& run_id,
                  const std::vector<std::pair<std::string, std::string>>& rows) const {
    auto store = state::Store::open(state_dir);
    ASSERT_TRUE(store) << store.error().message;
    state::RunRecord record;
    record.run_id = run_id;
    record.profile = "oci";
    record.providers = {"oci"};
    record.owner = "tests";
    record.purpose = "down-test";
    record.ttl_text = "1h";
    record.ttl_expires_at = k_future;
    record.created_at = "2026-12-05T10:00:00Z";
    record.status = state::k_run_up;
    record.dry_run = false;
    ASSERT_TRUE((*store)->insert_run(record));
    std::vector<state::ResourceRecord> records;
    for (const auto& [kind, ocid] : rows) {
      state::ResourceRecord row;
      row.run_id = run_id;
      row.provider = "oci";
      row.kind = kind;
      row.name = kind;
      row.region = k_region;
      row.cloud_id = ocid;
      row.state = state::k_res_created;
      records.push_back(row);
    }
    ASSERT_TRUE((*store)->record_intents(records));
  }

  // Rows of a seeded lab: the six kinds of the seed answer.
  static std::vector<std::pair<std::string, std::string>> lab_rows(const nlohmann::json& created) {
    return {{"vcn", created.value("vcn", "")},       {"internetGateway", created.value("igw", "")},
            {"routeTable", created.value("rt", "")}, {"securityList", created.value("sl", "")},
            {"subnet", created.value("subnet", "")}, {"instance", created.value("router", "")}};
  }
};

// Given a lab `up` created (one router: the smallest profile), expect `down --run-id` to exit 0
// with every row deleted, nothing tagged with the run left and nothing at all left in the fake
// (the VCN's default route table and security list went with it).
TEST_F(OciDown, UpThenDownLeavesNothing) {
  const auto profile = write_oci_profile("oci-one", {{"oci-router", "router"}});
  const auto up = live({"up", "--profile", profile, "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run = up.out.substr(0, up.out.find('\n'));
  ASSERT_TRUE(looks_like_run_id(run)) << up.out;
  ASSERT_FALSE(tagged(run).empty());

  const auto down = live({"down", "--run-id", run});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run), std::vector<std::string>{});
  EXPECT_EQ(existing(), std::vector<std::string>{});
  const auto shown = show(run);
  for (const auto& row : shown["resources"]) {
    EXPECT_EQ(row.value("state", ""), "deleted") << row.dump();
  }
  EXPECT_EQ(calls("DELETE /20160918/instances/"), 1U);
}

// Given a lab recorded in state, expect `down --run-id` to terminate the instance without
// preserving its boot volume, delete the network, mark every row deleted, leave nothing in the
// fake, and send no DELETE for the VCN's default route table or security list.
TEST_F(OciDown, DownByRunIdFromStateRemovesEverything) {
  const std::string run = "20261205T100000Z-cloudedge-ocistate";
  const auto created = seed_run(run, k_future, 60);
  record_run(run, lab_rows(created));
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(tagged(run), std::vector<std::string>{});
  EXPECT_EQ(existing(), std::vector<std::string>{});
  EXPECT_EQ(calls("DELETE /20160918/"), 6U);
  const auto log = fake_get("/_fake/log");
  for (const auto& entry : log) {
    if (entry.value("method", "") == "DELETE" &&
        entry.value("path", "").starts_with("/20160918/instances/")) {
      EXPECT_EQ(entry.value("query", ""), "preserveBootVolume=false") << entry.dump();
    }
  }
  // The document is kept: a loop over show(run)["resources"] would read a destroyed temporary.
  const auto shown = show(run);
  for (const auto& row : shown["resources"]) {
    EXPECT_EQ(row.value("state", ""), "deleted") << row.dump();
  }
}

// Given a lab in the fake that this machine's state has never seen, expect `down --run-id` to
// find it by tag (Resource Search), delete it and leave nothing tagged with the run.
TEST_F(OciDown, DownByRunIdRemovesAnUnrecordedLab) {
  const std::string run = "20261205T100000Z-cloudedge-ocidown";
  seed_run(run, k_future, 61);
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(tagged(run), std::vector<std::string>{});
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

// Given an expired lab, a fresh lab and an untagged lab, expect `down --expired` with a fresh,
// empty state dir to delete the expired lab only.
TEST_F(OciDown, ExpiredRemovesOnlyExpiredLabsWithEmptyState) {
  const std::string old_run = "20200101T000000Z-cloudedge-ociold";
  const std::string new_run = "20261205T100000Z-cloudedge-ocinew";
  const auto old_lab = seed_run(old_run, k_past, 62);
  const auto new_lab = seed_run(new_run, k_future, 63);
  const auto foreign = seed_lab(nullptr, 64);
  ASSERT_FALSE(std::filesystem::exists(state_dir / "state.db"));

  const auto out = live({"down", "--expired"});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(tagged(old_run), std::vector<std::string>{});
  EXPECT_EQ(tagged(new_run).size(), 7U);
  const auto left = existing();
  for (const auto& [name, ocid] : old_lab.items()) {
    EXPECT_EQ(std::ranges::find(left, ocid.get<std::string>()), left.end()) << name;
  }
  for (const auto* lab : {&new_lab, &foreign}) {
    for (const auto& [name, ocid] : lab->items()) {
      EXPECT_NE(std::ranges::find(left, ocid.get<std::string>()), left.end()) << name;
    }
  }
}

// Given a state row pointing at a VCN tagged with another run, and one pointing at an untagged
// instance, expect down to refuse (exit 4) naming them, and to send no DELETE at all.
TEST_F(OciDown, RefusesResourcesOfAnotherRunOrUntagged) {
  const std::string other = "20261205T100000Z-cloudedge-ociother";
  const std::string run = "20261205T100000Z-cloudedge-ocimine";
  const auto theirs = seed_run(other, k_future, 65);
  const auto untagged = seed_lab(nullptr, 66);
  record_run(run, {{"vcn", theirs.value("vcn", "")}, {"instance", untagged.value("router", "")}});
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 4) << out.err;
  EXPECT_NE(out.err.find(other), std::string::npos) << out.err;
  EXPECT_NE(out.err.find(untagged.value("router", "")), std::string::npos) << out.err;
  EXPECT_EQ(calls("DELETE"), 0U);
  EXPECT_EQ(tagged(other).size(), 7U);
}

// Given a lab of the run in state and an instance of another run launched into the run's
// subnet, expect down to refuse that instance (exit 4, naming its run), to leave it running,
// and to keep the subnet it holds.
TEST_F(OciDown, InstanceOfAnotherRunInTheRunsSubnetIsRefused) {
  const std::string run = "20261205T100000Z-cloudedge-ocihost";
  const std::string other = "20261205T100000Z-cloudedge-ociguest";
  const auto created = seed_run(run, k_future, 71);
  const auto guest = fake_post(
      "/_fake/seed", {{"resources",
                       {{{"type", "Instance"},
                         {"name", "guest"},
                         {"details",
                          {{"compartmentId", k_compartment},
                           {"availabilityDomain", "Uocm:US-ASHBURN-AD-1"},
                           {"shape", "VM.Standard.E4.Flex"},
                           {"sourceDetails", {{"sourceType", "image"}, {"imageId", k_image}}},
                           {"createVnicDetails", {{"subnetId", created.value("subnet", "")}}},
                           {"freeformTags", lab_tags(other, k_future)}}}}}}});
  ASSERT_TRUE(guest.is_object() && guest.contains("created")) << guest.dump();
  const std::string guest_id = guest["created"].value("guest", "");
  record_run(run, lab_rows(created));
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 4) << out.err;
  EXPECT_NE(out.err.find(other), std::string::npos) << out.err;
  EXPECT_EQ(calls("DELETE /20160918/instances/" + guest_id), 0U);
  const auto left = existing();
  EXPECT_NE(std::ranges::find(left, guest_id), left.end());
  EXPECT_NE(std::ranges::find(left, created.value("subnet", "")), left.end());
}

// Given a lab of the run and an untagged instance someone else launched into the run's subnet
// (no run tag, a displayName labctl never gives), expect down to refuse it (exit 4) and leave it
// and its subnet: only an untagged instance with the run's displayName goes with the run.
TEST_F(OciDown, UntaggedInstanceLabctlDidNotNameInTheRunsSubnetIsRefused) {
  const std::string run = "20261205T100000Z-cloudedge-ocistranger";
  const auto created = seed_run(run, k_future, 72);
  const nlohmann::json details{
      {"compartmentId", k_compartment},
      {"availabilityDomain", "Uocm:US-ASHBURN-AD-1"},
      {"shape", "VM.Standard.E4.Flex"},
      {"displayName", "someone-elses-box"},
      {"sourceDetails", {{"sourceType", "image"}, {"imageId", k_image}}},
      {"createVnicDetails", {{"subnetId", created.value("subnet", "")}}}};
  const auto stranger = fake_post(
      "/_fake/seed",
      {{"resources", {{{"type", "Instance"}, {"name", "stranger"}, {"details", details}}}}});
  ASSERT_TRUE(stranger.is_object() && stranger.contains("created")) << stranger.dump();
  const std::string stranger_id = stranger["created"].value("stranger", "");
  record_run(run, lab_rows(created));
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 4) << out.err;
  EXPECT_NE(out.err.find(stranger_id), std::string::npos) << out.err;
  EXPECT_EQ(calls("DELETE /20160918/instances/" + stranger_id), 0U);
  const auto left = existing();
  EXPECT_NE(std::ranges::find(left, stranger_id), left.end());
  EXPECT_NE(std::ranges::find(left, created.value("subnet", "")), left.end());
}

// Given a janitor whose OCI settings are there but broken (a malformed fingerprint), expect
// `down --expired` to fail with exit 2 naming the setting, not to skip OCI quietly; given a host
// with no OCI settings at all, expect it to skip OCI with one line and exit 0.
TEST_F(OciDown, JanitorFailsOnBrokenOciSettingsAndSkipsOnlyWhenThereAreNone) {
  const auto broken = live({"down", "--expired"}, {{"OCI_CLI_FINGERPRINT", "not-a-fingerprint"}});
  EXPECT_EQ(broken.code, 2) << broken.err;
  EXPECT_NE(broken.err.find("OCI_CLI_FINGERPRINT"), std::string::npos) << broken.err;
  const auto home = tmp.path() / "empty-home";
  std::filesystem::create_directories(home);
  const auto none = live({"down", "--expired"}, {{"OCI_CLI_USER", ""},
                                                 {"OCI_CLI_TENANCY", ""},
                                                 {"OCI_CLI_FINGERPRINT", ""},
                                                 {"OCI_CLI_KEY_FILE", ""},
                                                 {"OCI_CLI_REGION", ""},
                                                 {"OCI_CLI_PASSPHRASE", ""},
                                                 {"OCI_CLI_CONFIG_FILE", ""},
                                                 {"OCI_CONFIG_FILE", ""},
                                                 {"HOME", home.string()}});
  EXPECT_EQ(none.code, 0) << none.err;
  EXPECT_NE(none.err.find("oci: no credentials, so no discovery by tag"), std::string::npos)
      << none.err;
  EXPECT_EQ(calls("/20180409/resources"), 0U);
}

// Given a state row whose OCID is not an OCID of its kind (a path in disguise), expect down to
// fail it without sending anything for it and to exit non-zero.
TEST_F(OciDown, HostileOcidInStateIsNeverSent) {
  const std::string run = "20261205T100000Z-cloudedge-ocihostile";
  record_run(run, {{"vcn", "ocid1.vcn.oc1.iad.aaaa/../../instances"}});
  const auto out = live({"down", "--run-id", run});
  EXPECT_NE(out.code, 0) << out.err;
  EXPECT_EQ(calls("DELETE"), 0U);
  EXPECT_EQ(calls("instances"), 0U);
}

class OciDownConflict : public OciDown {
 protected:
  void SetUp() override {
    fake_args = {"--conflict-on-delete", "2"};
    OciDown::SetUp();
  }
};

// Given the first two network DELETEs answered 409 IncorrectState, expect them asked again with
// backoff and down to end with exit 0.
TEST_F(OciDownConflict, DeleteIsRetried) {
  const std::string run = "20261205T100000Z-cloudedge-ociconflict";
  record_run(run, lab_rows(seed_run(run, k_future, 67)));
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(tagged(run), std::vector<std::string>{});
  EXPECT_EQ(calls("DELETE /20160918/"), 8U);
}

class OciDownLingeringSearch : public OciDown {
 protected:
  void SetUp() override {
    fake_args = {"--linger-search-s", "30"};
    OciDown::SetUp();
  }
};

// Given Resource Search that keeps listing deleted resources for 30 s, expect down to trust
// each resource's own GET and still end with exit 0.
TEST_F(OciDownLingeringSearch, StillEndsClean) {
  const std::string run = "20261205T100000Z-cloudedge-ocilinger";
  seed_run(run, k_future, 68);
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

class OciDownThrottled : public OciDown {
 protected:
  void SetUp() override {
    fake_args = {"--throttle-every", "3"};
    OciDown::SetUp();
  }
};

// Given every third request throttled (429), expect down to retry and end with exit 0.
TEST_F(OciDownThrottled, StillEndsClean) {
  const std::string run = "20261205T100000Z-cloudedge-ocithrottle";
  record_run(run, lab_rows(seed_run(run, k_future, 69)));
  const auto out = live({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

// Given a dry-run down of a recorded lab, expect no DELETE and the plan naming the resources.
TEST_F(OciDown, DryRunDeletesNothing) {
  const std::string run = "20261205T100000Z-cloudedge-ocidry";
  const auto created = seed_run(run, k_future, 70);
  record_run(run, lab_rows(created));
  const auto out = dry({"down", "--run-id", run});
  EXPECT_EQ(out.code, 0) << out.err;
  EXPECT_EQ(mutations(), 0U);
  EXPECT_EQ(tagged(run).size(), 7U);
  EXPECT_NE((out.out + out.err).find(created.value("vcn", "")), std::string::npos) << out.err;
}

}  // namespace
}  // namespace labctl::testing
