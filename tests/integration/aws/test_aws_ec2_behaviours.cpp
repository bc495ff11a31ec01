// The aws lifecycle under behaviours of EC2 implementations other than our fake's defaults, and
// of real EC2's eventually consistent indexes (issue 12), each a mode of the EC2 fake set at
// run time through /_fake/configure: tags lingering in DescribeTags after a delete, create-time
// tags dropped for a resource type, DeleteKeyPair ignoring KeyPairId, a filter answered with
// HTTP 500. Under every mode `up` leaves nothing it created untagged, and `down --run-id`,
// `down --expired` and the executor flow exit 0 and leave nothing in the fake, tagged or not.
#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

struct Mode {
  const char* name;
  const char* config;  // the /_fake/configure body
};

constexpr Mode k_linger{"LingerTags", R"({"linger_tags_s": 3})"};
constexpr Mode k_drop_eni{"DropEniTags", R"({"drop_create_tags": ["network-interface"]})"};
constexpr Mode k_drop_volume{"DropVolumeTags", R"({"drop_create_tags": ["volume"]})"};
constexpr Mode k_keypair_id{"IgnoreKeyPairId", R"({"ignore_keypair_id": true})"};
constexpr Mode k_filter_500{"EniFilter500",
                            R"({"filter_500": ["network-interface.network-interface-id"]})"};
constexpr Mode k_combined{"Combined",
                          R"({"linger_tags_s": 3,
                              "drop_create_tags": ["network-interface", "volume"],
                              "ignore_keypair_id": true,
                              "filter_500": ["network-interface.network-interface-id"]})"};

// The id member of each category of the fake's state dump.
const std::map<std::string, std::string>& id_members() {
  static const std::map<std::string, std::string> members{
      {"instances", "InstanceId"},
      {"volumes", "VolumeId"},
      {"network_interfaces", "NetworkInterfaceId"},
      {"security_groups", "GroupId"},
      {"key_pairs", "KeyPairId"},
      {"vpcs", "VpcId"},
      {"subnets", "SubnetId"},
      {"internet_gateways", "InternetGatewayId"},
      {"route_tables", "RouteTableId"}};
  return members;
}

// What EC2 creates by itself with a VPC (its default group and main route table): no create
// call of labctl's made them, so no TagSpecification could tag them; DeleteVpc removes them.
bool implicit_part_of_vpc(const std::string& category, const nlohmann::json& item) {
  if (category == "security_groups") return item.value("GroupName", "") == "default";
  if (category != "route_tables") return false;
  const auto associations = item.value("Associations", nlohmann::json::array());
  return std::any_of(associations.begin(), associations.end(),
                     [](const nlohmann::json& a) { return a.value("Main", false); });
}

void PrintTo(const Mode& mode, std::ostream* out) { *out << mode.name; }

class Ec2BehaviourTest : public ExecutorTest {
 protected:
  // Turns `mode` on and records what the fake holds before the test creates anything.
  void enable(const Mode& mode) {
    const auto wanted = nlohmann::json::parse(mode.config);
    const auto answer = fake_post("/_fake/configure", wanted);
    for (const auto& [key, value] : wanted.items()) {
      ASSERT_EQ(answer.value(key, nlohmann::json()), value) << key << ": " << answer.dump();
    }
    m_baseline = present();
  }

  // "category id" -> the item, for every resource in the fake (any region) but terminated
  // instances.
  [[nodiscard]] std::map<std::string, nlohmann::json> present() const {
    std::map<std::string, nlohmann::json> out;
    const auto regions = fake_get("/_fake/state").value("regions", nlohmann::json::object());
    for (const auto& [region, categories] : regions.items()) {
      for (const auto& [category, member] : id_members()) {
        const auto items = categories.value(category, nlohmann::json::array());
        for (const auto& item : items) {
          const auto state = item.value("State", nlohmann::json());  // volumes: a string
          if (state.is_object() && state.value("Name", "") == "terminated") continue;
          out[category + " " + item.value(member, "?")] = item;
        }
      }
    }
    return out;
  }

  // Everything in the fake the test's commands created that still exists, tagged or not.
  [[nodiscard]] std::vector<std::string> leftovers() const {
    std::vector<std::string> out;
    for (const auto& [name, item] : present()) {
      if (!m_baseline.contains(name)) out.push_back(name + " tags=" + item["tags"].dump());
    }
    return out;
  }

  // What exists now but not in `before` and does not carry routerd.cloudedge.run_id=run_id
  // (EC2's implicit parts of a VPC aside): after `up`, nothing.
  [[nodiscard]] std::vector<std::string> untagged(
      const std::string& run_id, const std::map<std::string, nlohmann::json>& before) const {
    std::vector<std::string> out;
    for (const auto& [name, item] : present()) {
      const std::string category = name.substr(0, name.find(' '));
      if (before.contains(name) || implicit_part_of_vpc(category, item)) continue;
      if (item["tags"].value("routerd.cloudedge.run_id", "") != run_id) {
        out.push_back(name + " tags=" + item["tags"].dump());
      }
    }
    return out;
  }

  // `up --profile minimal --provider aws --ttl TTL`; the run id.
  std::string up_minimal(const std::string& ttl) {
    const auto before = present();
    const auto up = run({"up", "--profile", "minimal", "--provider", "aws", "--ttl", ttl});
    EXPECT_EQ(up.code, 0) << up.err;
    const std::string run_id = first_line(up.out);
    EXPECT_EQ(untagged(run_id, before), std::vector<std::string>{}) << up.err;
    return run_id;
  }

  std::map<std::string, nlohmann::json> m_baseline;
};

class Ec2BehaviourModes : public Ec2BehaviourTest, public ::testing::WithParamInterface<Mode> {};

// Given the mode, expect `up` to leave everything it created tagged, then `down --run-id` to
// exit 0 with nothing of the run left in the fake, tagged or untagged.
TEST_P(Ec2BehaviourModes, UpThenDownRunIdLeavesNothing) {
  ASSERT_NO_FATAL_FAILURE(enable(GetParam()));
  const std::string run_id = up_minimal("1h");
  ASSERT_FALSE(run_id.empty());
  const auto down = run({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(leftovers(), std::vector<std::string>{}) << down.err;
  EXPECT_EQ(show(run_id).value("status", ""), "down");
}

// Given the mode and two labs whose TTL has passed, expect `down --expired` to exit 0 and
// leave nothing in the fake.
TEST_P(Ec2BehaviourModes, DownExpiredLeavesNothing) {
  ASSERT_NO_FATAL_FAILURE(enable(GetParam()));
  const std::string first = up_minimal("1s");
  const std::string second = up_minimal("1s");
  ASSERT_FALSE(first.empty() || second.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto janitor = run({"down", "--expired"});
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(tagged(""), std::vector<std::string>{});
  EXPECT_EQ(leftovers(), std::vector<std::string>{}) << janitor.err;
}

INSTANTIATE_TEST_SUITE_P(Modes, Ec2BehaviourModes,
                         ::testing::Values(k_linger, k_drop_eni, k_drop_volume, k_keypair_id,
                                           k_filter_500, k_combined),
                         [](const ::testing::TestParamInfo<Mode>& param_info) {
                           return std::string(param_info.param.name);
                         });

// The preflight document's instance id (preflight.json of the run).
std::string preflight_instance(const std::filesystem::path& state_dir, const std::string& run_id) {
  const auto document = nlohmann::json::parse(
      read_text(state_dir / "runs" / run_id / "preflight.json"), nullptr, false);
  if (!document.is_object()) return "";
  return document.value("instance", nlohmann::json::object()).value("id", "");
}

// Given an endpoint answering HTTP 500 for DescribeInstances filtered by
// network-interface.network-interface-id, expect preflight to pass and to name the ENI's
// instance, found through the ENI's attachment, without ever sending that filter.
TEST_F(Ec2BehaviourTest, PreflightFindsTheInstanceThroughTheEniAttachment) {
  ASSERT_NO_FATAL_FAILURE(enable(k_filter_500));
  const auto lab = up_lab();
  const auto checked =
      run({"preflight", "--run-id", lab.run_id, "--eni", lab.eni_a, "--address", k_address});
  ASSERT_EQ(checked.code, 0) << checked.err;
  const std::string attached =
      eni(lab.eni_a).value("Attachment", nlohmann::json::object()).value("InstanceId", "");
  ASSERT_FALSE(attached.empty()) << eni(lab.eni_a).dump();
  EXPECT_EQ(preflight_instance(state_dir, lab.run_id), attached);
  for (const auto& call : call_log()) {
    EXPECT_NE(call.value("status", 0), 500) << call.dump();
  }
}

// Given every mode at once, expect the executor flow (preflight, plan, import, approve,
// execute) to capture the address, and `down --run-id` (which undoes the journal) to exit 0
// with nothing left in the fake.
TEST_F(Ec2BehaviourTest, ExecutorFlowUnderEveryMode) {
  ASSERT_NO_FATAL_FAILURE(enable(k_combined));
  const auto lab = up_lab();
  ASSERT_FALSE(lab.run_id.empty());
  EXPECT_EQ(untagged(lab.run_id, m_baseline), std::vector<std::string>{});
  const auto checked =
      run({"preflight", "--run-id", lab.run_id, "--eni", lab.eni_a, "--address", k_address});
  EXPECT_EQ(checked.code, 0) << checked.err;
  EXPECT_FALSE(preflight_instance(state_dir, lab.run_id).empty());
  (void)capture(lab, lab.eni_a);
  const auto held = secondary_ips(lab.eni_a);
  EXPECT_NE(std::find(held.begin(), held.end(), k_address), held.end()) << eni(lab.eni_a).dump();
  const auto down = run({"down", "--run-id", lab.run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(lab.run_id), std::vector<std::string>{});
  EXPECT_EQ(leftovers(), std::vector<std::string>{}) << down.err;
}

// The count `down` printed for `stage` ("discovery" or "verification") as
// "<stage>: N tag-index hit(s) confirmed gone by describe, M still exist"; -1 when absent.
long long confirmed_gone(const std::string& err, const std::string& stage) {
  const std::regex line(stage + R"(: (\d+) tag-index hit\(s\) confirmed gone by describe, 0 still exist)");
  std::smatch match;
  return std::regex_search(err, match, line) ? std::stoll(match[1].str()) : -1;
}

// Given tags that linger 30 s after their resources are deleted, expect a live `down` to exit 0
// and say in its verification how many lingering tag-index hits a describe confirmed gone
// (instead of failing on them), and a dry `down --expired` right after (the run's TTL has
// passed) to say the same from its discovery and to adopt nothing.
TEST_F(Ec2BehaviourTest, DownPrintsTheTagIndexHitsADescribeConfirmedGone) {
  ASSERT_NO_FATAL_FAILURE(enable({"LingerTags30", R"({"linger_tags_s": 30})"}));
  const std::string run_id = up_minimal("1s");
  ASSERT_FALSE(run_id.empty());
  const auto down = run({"down", "--run-id", run_id});
  ASSERT_EQ(down.code, 0) << down.err;
  const long long verified = confirmed_gone(down.err, "verification");
  EXPECT_GT(verified, 0) << down.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the 1 s TTL
  const auto dry = run({"down", "--expired"}, {{"CE_DRY_RUN", "1"}});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(confirmed_gone(dry.err, "discovery of expired resources"), verified) << dry.err;
  EXPECT_EQ(dry.err.find("would delete"), std::string::npos) << dry.err;
  EXPECT_EQ(leftovers(), std::vector<std::string>{});
}

}  // namespace
}  // namespace labctl::testing
