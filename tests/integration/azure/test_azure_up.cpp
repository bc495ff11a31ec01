// `labctl up` of an azure lab against the ARM fake (tests/fakes/azure/): the resource group and
// every resource in it carry the run's five tags, the nodes land in state with their addresses,
// and tags the endpoint drops at create time are added afterwards.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

constexpr std::array<const char*, 5> k_run_tags{
    "routerd.cloudedge.run_id", "routerd.cloudedge.owner", "routerd.cloudedge.ttl_expires_at",
    "routerd.cloudedge.provider", "routerd.cloudedge.purpose"};

// The ARM types labctl PUTs (lower case); anything else the fake holds (an inline subnet, an
// OS disk) is not a resource labctl sends tags for.
const std::set<std::string> k_put_types{
    "microsoft.resources/resourcegroups",        "microsoft.network/networksecuritygroups",
    "microsoft.network/virtualnetworks",         "microsoft.network/publicipaddresses",
    "microsoft.network/networkinterfaces",       "microsoft.compute/virtualmachines"};

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class AzureUp : public ArmFakeTest {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5"};
    const auto extra = extra_fake_args();
    fake_args.insert(fake_args.end(), extra.begin(), extra.end());
    ArmFakeTest::SetUp();
  }

  [[nodiscard]] virtual std::vector<std::string> extra_fake_args() const { return {}; }

  // The smallest lab that proves the point: one azure site, two routers and a client.
  std::string write_profile() const {
    return write_azure_profile("azure-lab", {{"azure-router-a", "router-a"},
                                             {"azure-router-b", "router-b"},
                                             {"azure-client", "client"}});
  }

  // The resources of the types labctl PUTs that the fake holds now.
  std::vector<nlohmann::json> put_resources() const {
    std::vector<nlohmann::json> out;
    const auto state = fake_get("/_fake/state");
    for (const auto& item : state.value("resources", nlohmann::json::array())) {
      if (k_put_types.contains(lower(item.value("type", "")))) {
        out.push_back(item);
      }
    }
    return out;
  }

  // Expects every PUT resource in the fake to carry the run's five tags; returns their count.
  std::size_t expect_all_tagged(const std::string& run_id) const {
    const auto items = put_resources();
    for (const auto& item : items) {
      const auto tags = item.value("tags", nlohmann::json::object());
      for (const char* key : k_run_tags) {
        EXPECT_TRUE(tags.is_object() && tags.contains(key)) << item.value("id", "") << " " << key;
      }
      EXPECT_EQ(tags.value("routerd.cloudedge.run_id", ""), run_id) << item.value("id", "");
      EXPECT_EQ(tags.value("routerd.cloudedge.provider", ""), "azure") << item.value("id", "");
    }
    return items.size();
  }
};

// Given a one-site azure profile, expect `up` to exit 0 printing the run id, twelve resources
// (group, NSG, VNet, and a public IP, NIC and VM per node) all carrying the run's five tags, the
// three nodes in state with their addresses and roles, and the run's private key 0600.
TEST_F(AzureUp, UpCreatesATaggedLabAndRecordsItsNodes) {
  const auto up = live({"up", "--profile", write_profile(), "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  ASSERT_TRUE(looks_like_run_id(run_id)) << up.out;

  EXPECT_EQ(expect_all_tagged(run_id), 12U);
  EXPECT_GE(tagged(run_id).size(), 12U);

  const auto run = show(run_id);
  std::map<std::string, std::string> roles;
  for (const auto& row : run["resources"]) {
    EXPECT_EQ(row.value("state", ""), "created") << row.dump();
    if (row.value("kind", "") != "virtualMachine") continue;
    const auto& node = row["attrs"]["node"];
    roles[row.value("name", "")] = node.value("role", "");
    EXPECT_EQ(node.value("site", ""), "azure");
    EXPECT_FALSE(row["attrs"].value("privateIp", "").empty()) << row.dump();
    EXPECT_FALSE(node["ssh"].value("host", "").empty()) << row.dump();
    EXPECT_EQ(node["ssh"].value("user", ""), "azureuser");
  }
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"azure-client", "client"},
                                                       {"azure-router-a", "router-a"},
                                                       {"azure-router-b", "router-b"}}));
  const auto key = state_dir / "runs" / run_id / "azure" / ("labctl-" + run_id + ".pem");
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0) << key;
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  for (const auto& text : {up.out, up.err}) {
    EXPECT_EQ(text.find(k_canary_secret), std::string::npos) << "the secret leaked";
    EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos) << "the private key leaked";
  }
}

// The fake ignoring the tags of every NIC PUT.
class AzureUpDroppedTags : public AzureUp {
 protected:
  std::vector<std::string> extra_fake_args() const override {
    return {"--drop-tags", "Microsoft.Network/networkInterfaces"};
  }
};

// Given an endpoint that ignores the tags of NIC PUTs, expect `up` to add them afterwards (all
// twelve resources end up with the five tags) and say so on stderr.
TEST_F(AzureUpDroppedTags, TagsDroppedAtCreateAreAddedWithAWarning) {
  const auto up = live({"up", "--profile", write_profile(), "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  EXPECT_EQ(expect_all_tagged(run_id), 12U);
  EXPECT_NE(up.err.find("endpoint dropped create-time tags on"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("networkInterfaces/azure-client-nic; added"), std::string::npos)
      << up.err;
}

}  // namespace
}  // namespace labctl::testing
