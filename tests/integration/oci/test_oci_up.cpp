// `labctl up` of an oci lab against the OCI fake (tests/fakes/oci/): a dry run prints the plan
// and sends no mutation; a live one creates the VCN, its gateway, route table, security list,
// subnet and one instance per node, all carrying the run's five tags (their VNICs too), with the
// nodes' addresses and roles in state; tags the endpoint drops at create time are added
// afterwards; `down` leaves nothing; Oracle's own SDK lists the lab as labctl recorded it.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

constexpr std::array<const char*, 5> k_run_tags{
    "routerd.cloudedge.run_id", "routerd.cloudedge.owner", "routerd.cloudedge.ttl_expires_at",
    "routerd.cloudedge.provider", "routerd.cloudedge.purpose"};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class OciUp : public OciFakeTest {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5"};
    const auto extra = extra_fake_args();
    fake_args.insert(fake_args.end(), extra.begin(), extra.end());
    OciFakeTest::SetUp();
  }

  [[nodiscard]] virtual std::vector<std::string> extra_fake_args() const { return {}; }

  // The smallest lab that proves the point: one oci site, two routers and a client.
  std::string write_profile() const {
    return write_oci_profile(
        "oci-lab",
        {{"oci-router-a", "router-a"}, {"oci-router-b", "router-b"}, {"oci-client", "client"}});
  }

  // The fake's resources by OCID.
  std::map<std::string, nlohmann::json> fake_resources() const {
    std::map<std::string, nlohmann::json> out;
    const auto state = fake_get("/_fake/state");
    for (const auto& item : state.value("resources", nlohmann::json::array())) {
      out[item.value("id", "")] = item;
    }
    return out;
  }

  // Expects the fake's resource `id` to carry the run's five tags.
  void expect_tagged(const std::map<std::string, nlohmann::json>& held, const std::string& id,
                     const std::string& run_id) const {
    const auto found = held.find(id);
    ASSERT_NE(found, held.end()) << id;
    const auto tags = found->second.value("freeformTags", nlohmann::json::object());
    for (const char* key : k_run_tags) {
      EXPECT_TRUE(tags.is_object() && tags.contains(key)) << id << " " << key;
    }
    EXPECT_EQ(tags.value("routerd.cloudedge.run_id", ""), run_id) << id;
    EXPECT_EQ(tags.value("routerd.cloudedge.provider", ""), "oci") << id;
  }

  // Expects the run's state rows to be the six kinds (eight resources), created, each held by
  // the fake with the five tags, and every instance's VNIC tagged too; returns the rows.
  nlohmann::json expect_tagged_lab(const std::string& run_id) const {
    const auto run = show(run_id);
    const auto held = fake_resources();
    std::map<std::string, int> kinds;
    for (const auto& row : run["resources"]) {
      EXPECT_EQ(row.value("state", ""), "created") << row.dump();
      ++kinds[row.value("kind", "")];
      expect_tagged(held, row.value("cloudId", ""), run_id);
      if (row.value("kind", "") == "instance") {
        expect_tagged(held, row["attrs"].value("vnicId", ""), run_id);
      }
    }
    EXPECT_EQ(kinds, (std::map<std::string, int>{{"instance", 3},
                                                 {"internetGateway", 1},
                                                 {"routeTable", 1},
                                                 {"securityList", 1},
                                                 {"subnet", 1},
                                                 {"vcn", 1}}));
    return run;
  }
};

// Given the smallest oci profile in dry-run, expect exit 0, the exact Core requests on stderr
// (paths, bodies with the profile's compartment and the run's tags, retry resources), the
// availability domain a placeholder, no stub notice, and no mutation at the fake.
TEST_F(OciUp, DryUpPrintsThePlanAndSendsNoMutation) {
  const auto up = dry({"up", "--profile", write_profile()});
  ASSERT_EQ(up.code, 0) << up.err;
  for (const std::string& fragment : std::vector<std::string>{
           "[dry] would send oci #1 POST (us-ashburn-1) service=core path=/vcns",
           "[dry] would send oci #8 POST (us-ashburn-1) service=core path=/instances",
           "retryToken=instance/oci-client", "\"skipSourceDestCheck\":true",
           "\"routerd.cloudedge.run_id\":\"" + first_line(up.out) + "\"",
           std::string("\"compartmentId\":\"") + k_compartment + "\"",
           "\"availabilityDomain\":\"{{availability_domain}}\"", "{{ssh_public_key}}"}) {
    EXPECT_NE(up.err.find(fragment), std::string::npos) << fragment << "\n" << up.err;
  }
  EXPECT_EQ(up.err.find("STUB"), std::string::npos) << up.err;
  EXPECT_EQ(mutations(), 0U);
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

// Given a live up, expect exit 0 printing the run id, the six kinds created with the five tags
// (VNICs too), skipSourceDestCheck on the routers' VNICs only, the nodes in state with their
// addresses, roles and SSH endpoints, progress lines, and then `down` to leave nothing.
TEST_F(OciUp, UpCreatesATaggedLabRecordsItsNodesAndDownLeavesNothing) {
  const auto up = live({"up", "--profile", write_profile(), "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  ASSERT_TRUE(looks_like_run_id(run_id)) << up.out;
  EXPECT_NE(up.err.find("oci: instance oci-client ready (resources 8/8)"), std::string::npos)
      << up.err;
  EXPECT_EQ(calls("POST /20160918/instances"), 3U);

  const auto run = expect_tagged_lab(run_id);
  const auto held = fake_resources();
  std::map<std::string, std::string> roles;
  for (const auto& row : run["resources"]) {
    if (row.value("kind", "") != "instance") continue;
    const auto& attrs = row["attrs"];
    const auto& node = attrs["node"];
    roles[row.value("name", "")] = node.value("role", "");
    EXPECT_EQ(attrs.value("role", ""), node.value("role", ""));
    EXPECT_EQ(node.value("site", ""), "oci");
    EXPECT_EQ(node.value("logical_address", ""), "10.77.60.13");
    EXPECT_TRUE(attrs.value("privateIp", "").starts_with("10.242.1.")) << attrs.dump();
    EXPECT_TRUE(attrs.value("publicIp", "").starts_with("198.1")) << attrs.dump();
    EXPECT_EQ(node["ssh"].value("host", ""), attrs.value("publicIp", ""));
    EXPECT_EQ(node["ssh"].value("user", ""), "opc");
    EXPECT_EQ(node["ssh"].value("port", 0), 22);
    const auto vnic = held.find(attrs.value("vnicId", ""));
    ASSERT_NE(vnic, held.end());
    EXPECT_EQ(vnic->second["object"].value("skipSourceDestCheck", false),
              node.value("role", "").starts_with("router"))
        << row.value("name", "");
  }
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"oci-client", "client"},
                                                       {"oci-router-a", "router-a"},
                                                       {"oci-router-b", "router-b"}}));
  EXPECT_EQ(leaked(up.out + up.err), std::vector<std::string>{});

  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(existing(), std::vector<std::string>{});
}

// Given a profile whose region is not the credentials' region, expect exit 2 naming both and
// OCI_CLI_REGION, and nothing sent that mutates.
TEST_F(OciUp, ProfileRegionOtherThanTheCredentialsIsUsage) {
  const std::string path = write_profile();
  std::string yaml = read_text(path);
  yaml.replace(yaml.find("us-ashburn-1"), 12, "us-phoenix-1");
  write_text(path, yaml);
  const auto up = live({"up", "--profile", path});
  EXPECT_EQ(up.code, 2) << up.err;
  for (const char* fragment : {"us-phoenix-1", "us-ashburn-1", "OCI_CLI_REGION"}) {
    EXPECT_NE(up.err.find(fragment), std::string::npos) << fragment << "\n" << up.err;
  }
  EXPECT_EQ(mutations(), 0U);
}

// The fake ignoring the freeformTags of every create (VNICs included).
class OciUpDroppedTags : public OciUp {
 protected:
  std::vector<std::string> extra_fake_args() const override { return {"--drop-tags", "all"}; }
};

// Given an endpoint that drops every create-time tag, expect `up` to add the five afterwards on
// every resource and VNIC (PUT freeformTags), saying so on stderr.
TEST_F(OciUpDroppedTags, TagsDroppedAtCreateAreAddedWithAWarning) {
  const auto up = live({"up", "--profile", write_profile(), "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  expect_tagged_lab(run_id);
  EXPECT_NE(up.err.find("oci: endpoint dropped create-time tags on ocid1.vcn."), std::string::npos)
      << up.err;
  EXPECT_NE(up.err.find("oci: endpoint dropped create-time tags on ocid1.vnic."), std::string::npos)
      << up.err;
  EXPECT_EQ(calls("PUT /20160918/"), 11U);  // five network resources, three instances, three VNICs
}

// Oracle's TypeScript SDK (sdk_client.js, run by node with the npm packages from
// tests/fakes/oci/setup-npm.sh); "" when node or the packages are missing.
std::string oracle_sdk_node() {
  const std::filesystem::path modules =
      std::filesystem::path(OCI_FAKE_MODELS).parent_path() / "node_modules";
  if (!std::filesystem::is_directory(modules / "oci-common")) return "";
  if (std::filesystem::exists("/usr/bin/node")) return "/usr/bin/node";
  const char* path = std::getenv("PATH");
  std::string_view rest = path == nullptr ? "" : path;
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto candidate = std::filesystem::path(rest.substr(0, colon)) / "node";
    if (std::filesystem::exists(candidate)) return candidate.string();
    rest = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  }
  return "";
}

// Given a live `up` of two routers and a client, expect Oracle's own SDK (its signer with the
// encrypted key and its pass phrase, its models and parsers; creating nothing) to exit 0 and to
// list exactly the run's instances, RUNNING, with the routers' VNICs skipping the
// source/destination check and the client's not, the VNICs' private IPs those in state, and its
// tag search to find every resource of the run's state; then `down` to exit 0.
TEST_F(OciUp, OraclesSdkListsWhatLabctlCreated) {
  const std::string node = oracle_sdk_node();
  if (node.empty()) GTEST_SKIP() << "node or npm oci-common not found (tests/fakes/oci/setup-npm.sh)";
  const auto up = live({"up", "--profile", write_profile(), "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const auto run = show(run_id);

  const auto sdk = run_command(
      {node, std::string(LABCTL_SOURCE_DIR) + "/tests/integration/oci/sdk_client.js"},
      {{"NODE_PATH",
        (std::filesystem::path(OCI_FAKE_MODELS).parent_path() / "node_modules").string()},
       {"NODE_EXTRA_CA_CERTS", ca_bundle().string()},
       {"OCI_FAKE_ENDPOINT", endpoint},
       {"OCI_FAKE_KEY_FILE", key_file().string()},
       {"OCI_FAKE_PASSPHRASE", k_canary_passphrase},
       {"OCI_FAKE_TENANCY", k_tenancy},
       {"OCI_FAKE_USER", k_user},
       {"OCI_FAKE_FINGERPRINT", fingerprint()},
       {"OCI_FAKE_COMPARTMENT", k_compartment},
       {"OCI_FAKE_RUN_ID", run_id},
       {"OCI_FAKE_CREATE", "0"}},
      tmp.path());
  ASSERT_EQ(sdk.code, 0) << sdk.err << sdk.out;
  const auto seen = nlohmann::json::parse(sdk.out);
  EXPECT_TRUE(seen["createdVcn"].is_null());

  std::map<std::string, nlohmann::json> sdk_instances;
  for (const auto& instance : seen["instances"]) {
    sdk_instances[instance.value("id", "")] = instance;
  }
  std::set<std::string> state_instances;
  std::set<std::string> state_ids;
  for (const auto& row : run["resources"]) {
    state_ids.insert(row.value("cloudId", ""));
    if (row.value("kind", "") != "instance") continue;
    const auto& attrs = row["attrs"];
    const std::string id = row.value("cloudId", "");
    state_instances.insert(id);
    const auto found = sdk_instances.find(id);
    ASSERT_NE(found, sdk_instances.end()) << id << "\n" << sdk.out;
    EXPECT_EQ(found->second.value("state", ""), "RUNNING") << id;
    const auto& vnics = found->second["vnics"];
    ASSERT_EQ(vnics.size(), 1U) << vnics.dump();
    EXPECT_EQ(vnics[0].value("id", ""), attrs.value("vnicId", "")) << id;
    EXPECT_EQ(vnics[0].value("privateIp", ""), attrs.value("privateIp", "")) << id;
    EXPECT_EQ(vnics[0].value("skipSourceDestCheck", false),
              attrs.value("role", "").starts_with("router"))
        << row.value("name", "");
  }
  EXPECT_EQ(state_instances.size(), 3U);
  std::set<std::string> listed;
  for (const auto& [id, instance] : sdk_instances) listed.insert(id);
  EXPECT_EQ(listed, state_instances);
  std::set<std::string> searched;
  for (const auto& found : seen["search"]) searched.insert(found.value("id", ""));
  for (const auto& id : state_ids) EXPECT_TRUE(searched.contains(id)) << id << "\n" << sdk.out;
  EXPECT_EQ(calls("POST /20160918/vcns"), 1U);  // labctl's; the SDK created nothing

  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
}

}  // namespace
}  // namespace labctl::testing
