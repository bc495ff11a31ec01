// The azure part of `up` as a plan (providers/azure/azure_plan.cpp): the exact ARM requests in
// order, the profile's values checked before any of them, and the run's SSH key helper
// (providers/ssh_key.hpp). No network.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/ssh_key.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::azure {
namespace {

constexpr const char* k_subscription = "5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b";
constexpr const char* k_run_id = "20261205T000000Z-cloudedge-plan";
constexpr const char* k_group_path =
    "/subscriptions/5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b/resourceGroups/"
    "labctl-20261205T000000Z-cloudedge-plan";

// A one-site azure profile; `azure` is the body of its azure: block, `node` the first node's
// name.
std::string profile_yaml(const std::string& azure, const std::string& node = "az-router-a") {
  return "name: azplan\n"
         "providers: [azure]\n"
         "ttl: 1h\n"
         "sites:\n"
         "  - name: azure\n"
         "    provider: azure\n"
         "    logical_address: 10.77.60.12\n"
         "    nodes:\n"
         "      - {name: \"" + node + "\", role: router-a}\n"
         "      - {name: az-router-b, role: router-b}\n"
         "      - {name: az-client, role: client}\n"
         "azure:\n" + azure;
}

constexpr const char* k_azure =
    "  region: westeurope\n"
    "  shape: Standard_B2s\n"
    "  operator_cidr: 198.51.100.0/24\n";

class AzurePlan : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
    m_run.run_id = k_run_id;
    m_run.owner = "unit";
    m_run.purpose = "unit-test";
    m_run.ttl_expires_at = "2026-12-05T01:00:00Z";
  }

  Expected<Plan> plan(const std::string& yaml) {
    auto parsed = profile::parse(yaml, "azplan.yaml");
    if (!parsed) return std::unexpected(parsed.error());
    m_profile = *parsed;
    const RunContext ctx{m_run, m_profile,
                         make_tags(m_run.run_id, "unit", m_run.ttl_expires_at, "azure",
                                   "unit-test"),
                         *m_store, m_clock, true};
    return plan_lab(ctx, k_subscription);
  }

  profile::Profile m_profile;
  std::unique_ptr<state::Store> m_store;
  state::RunRecord m_run;
  labctl::testing::ManualClock m_clock;
};

const nlohmann::ordered_json& body(const Operation& op) { return op.params.at("body"); }

// Given a one-site profile with two routers and a client, expect one PUT per resource in
// dependency order — group, NSG, VNet, then public IP, NIC and VM per node — with the exact paths
// and each resource provider's api-version.
TEST_F(AzurePlan, PutsEveryResourceInOrderWithExactPathsAndApiVersions) {
  auto made = plan(profile_yaml(k_azure));
  ASSERT_TRUE(made) << made.error().message;
  const std::string net = std::string(k_group_path) + "/providers/Microsoft.Network/";
  const std::string vms = std::string(k_group_path) + "/providers/Microsoft.Compute/";
  const std::vector<std::tuple<std::string, std::string, std::string>> want{
      {"resourceGroup", k_group_path, "2022-09-01"},
      {"networkSecurityGroup",
       net + "networkSecurityGroups/labctl-20261205T000000Z-cloudedge-plan-nsg", "2022-07-01"},
      {"virtualNetwork", net + "virtualNetworks/labctl-20261205T000000Z-cloudedge-plan-vnet",
       "2022-07-01"},
      {"publicIPAddress", net + "publicIPAddresses/az-router-a-pip", "2022-07-01"},
      {"networkInterface", net + "networkInterfaces/az-router-a-nic", "2022-07-01"},
      {"virtualMachine", vms + "virtualMachines/az-router-a", "2022-08-01"},
      {"publicIPAddress", net + "publicIPAddresses/az-router-b-pip", "2022-07-01"},
      {"networkInterface", net + "networkInterfaces/az-router-b-nic", "2022-07-01"},
      {"virtualMachine", vms + "virtualMachines/az-router-b", "2022-08-01"},
      {"publicIPAddress", net + "publicIPAddresses/az-client-pip", "2022-07-01"},
      {"networkInterface", net + "networkInterfaces/az-client-nic", "2022-07-01"},
      {"virtualMachine", vms + "virtualMachines/az-client", "2022-08-01"},
  };
  ASSERT_EQ(made->operations.size(), want.size());
  EXPECT_EQ(made->provider, "azure");
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& op = made->operations[i];
    const auto& [kind, path, api] = want[i];
    EXPECT_EQ(op.action, "PUT") << i;
    EXPECT_TRUE(op.mutating) << i;
    EXPECT_EQ(op.resource_kind, kind) << i;
    EXPECT_EQ(op.params.at("path"), path) << i;
    EXPECT_EQ(op.params.at("api-version"), api) << i;
    EXPECT_EQ(op.region, "westeurope") << i;
    EXPECT_EQ(body(op).at("location"), "westeurope") << i;
    EXPECT_TRUE(path.ends_with("/" + op.resource_name)) << i;
  }
}

// Given the plan, expect the network bodies as ARM models them: one inbound rule (TCP 22 from
// the operator CIDR, priority 100) and nothing else, the subnet inline behind the NSG, a Standard
// static public IP, and the NIC on the subnet with its public IP and forwarding on routers only.
TEST_F(AzurePlan, NetworkBodiesOpenOnlySshAndForwardOnRouters) {
  auto made = plan(profile_yaml(k_azure));
  ASSERT_TRUE(made) << made.error().message;
  const auto& ops = made->operations;
  const auto& nsg = body(ops[1]);
  ASSERT_EQ(nsg.at("properties").size(), 1U);
  ASSERT_EQ(nsg.at("properties").at("securityRules").size(), 1U);
  const auto& rule = nsg.at("properties").at("securityRules")[0].at("properties");
  EXPECT_EQ(rule.at("protocol"), "Tcp");
  EXPECT_EQ(rule.at("destinationPortRange"), "22");
  EXPECT_EQ(rule.at("sourceAddressPrefix"), "198.51.100.0/24");
  EXPECT_EQ(rule.at("access"), "Allow");
  EXPECT_EQ(rule.at("direction"), "Inbound");
  EXPECT_EQ(rule.at("priority"), 100);

  const auto& vnet = body(ops[2]).at("properties");
  EXPECT_EQ(vnet.at("addressSpace").at("addressPrefixes"),
            nlohmann::ordered_json::array({"10.241.0.0/16"}));
  ASSERT_EQ(vnet.at("subnets").size(), 1U);
  EXPECT_EQ(vnet.at("subnets")[0].at("name"), "lab");
  EXPECT_EQ(vnet.at("subnets")[0].at("properties").at("addressPrefix"), "10.241.1.0/24");
  EXPECT_EQ(vnet.at("subnets")[0].at("properties").at("networkSecurityGroup").at("id"),
            ops[1].params.at("path"));

  const auto& pip = body(ops[3]);
  EXPECT_EQ(pip.at("sku").at("name"), "Standard");
  EXPECT_EQ(pip.at("properties").at("publicIPAllocationMethod"), "Static");

  const auto& nic = body(ops[4]).at("properties");
  const auto& ip = nic.at("ipConfigurations")[0].at("properties");
  EXPECT_EQ(ip.at("subnet").at("id"), ops[2].params.at("path").get<std::string>() + "/subnets/lab");
  EXPECT_EQ(ip.at("publicIPAddress").at("id"), ops[3].params.at("path"));
  EXPECT_EQ(nic.at("enableIPForwarding"), true);                                    // router-a
  EXPECT_EQ(body(ops[7]).at("properties").at("enableIPForwarding"), true);          // router-b
  EXPECT_EQ(body(ops[10]).at("properties").at("enableIPForwarding"), false);        // client
}

// Given the plan, expect each VM to boot the profile's image and size with password login off and
// the run's key (still the placeholder) for the profile's user, on its own NIC, disks and NICs
// deleted with it.
TEST_F(AzurePlan, VmBodyCarriesImageSizeKeyPlaceholderAndNic) {
  auto made = plan(profile_yaml(k_azure));
  ASSERT_TRUE(made) << made.error().message;
  const auto& vm = body(made->operations[5]).at("properties");
  EXPECT_EQ(vm.at("hardwareProfile").at("vmSize"), "Standard_B2s");
  const auto& image = vm.at("storageProfile").at("imageReference");
  EXPECT_EQ(image.at("publisher"), "Canonical");
  EXPECT_EQ(image.at("sku"), "22_04-lts-gen2");
  EXPECT_EQ(vm.at("storageProfile").at("osDisk").at("createOption"), "FromImage");
  EXPECT_EQ(vm.at("storageProfile").at("osDisk").at("deleteOption"), "Delete");
  const auto& os = vm.at("osProfile");
  EXPECT_EQ(os.at("computerName"), "az-router-a");
  EXPECT_EQ(os.at("adminUsername"), "azureuser");
  EXPECT_EQ(os.at("linuxConfiguration").at("disablePasswordAuthentication"), true);
  const auto& key = os.at("linuxConfiguration").at("ssh").at("publicKeys")[0];
  EXPECT_EQ(key.at("path"), "/home/azureuser/.ssh/authorized_keys");
  EXPECT_EQ(key.at("keyData"), "{{ssh_public_key}}");
  const auto& nic = vm.at("networkProfile").at("networkInterfaces")[0];
  EXPECT_EQ(nic.at("id"), made->operations[4].params.at("path"));
  EXPECT_EQ(nic.at("properties").at("primary"), true);
  EXPECT_EQ(nic.at("properties").at("deleteOption"), "Delete");
}

// Given the plan, expect every body to carry the run's five tags, and the node resources their
// Name and role too.
TEST_F(AzurePlan, EveryBodyCarriesTheRunsFiveTags) {
  auto made = plan(profile_yaml(k_azure));
  ASSERT_TRUE(made) << made.error().message;
  const auto tags = make_tags(k_run_id, "unit", "2026-12-05T01:00:00Z", "azure", "unit-test");
  for (const auto& op : made->operations) {
    const auto& carried = body(op).at("tags");
    for (const auto& [key, value] : tags.pairs()) {
      EXPECT_EQ(carried.value(key, ""), value) << op.resource_name << " " << key;
    }
    if (op.resource_name.starts_with("az-")) {
      EXPECT_TRUE(op.resource_name.starts_with(carried.value("Name", "?")));
      EXPECT_FALSE(carried.value("role", "").empty()) << op.resource_name;
    }
  }
}

// Given no operator_cidr, expect a usage error naming the key; given 0.0.0.0/0 without
// allow_any_ssh, a refusal; with allow_any_ssh, the world may SSH in.
TEST_F(AzurePlan, SshSourceIsTheOperatorCidrOnly) {
  auto missing = plan(profile_yaml("  region: eastus\n"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ExitCode::usage);
  EXPECT_NE(missing.error().message.find("azure.operator_cidr is required"), std::string::npos)
      << missing.error().message;

  auto world = plan(profile_yaml("  region: eastus\n  operator_cidr: 0.0.0.0/0\n"));
  ASSERT_FALSE(world);
  EXPECT_EQ(world.error().code, ExitCode::refused);
  EXPECT_NE(world.error().message.find("allow_any_ssh"), std::string::npos);

  auto allowed = plan(profile_yaml(
      "  region: eastus\n  operator_cidr: 0.0.0.0/0\n  allow_any_ssh: true\n"));
  ASSERT_TRUE(allowed) << allowed.error().message;
}

// Given no region, or one that is not an Azure location name, expect a usage error naming
// azure.region.
TEST_F(AzurePlan, RegionIsRequiredAndALocationName) {
  for (const std::string azure : {"  operator_cidr: 198.51.100.0/24\n",
                                  "  region: East US\n  operator_cidr: 198.51.100.0/24\n",
                                  "  region: \"eastus/../x\"\n  operator_cidr: 198.51.100.0/24\n"}) {
    auto made = plan(profile_yaml(azure));
    ASSERT_FALSE(made) << azure;
    EXPECT_EQ(made.error().code, ExitCode::usage);
    EXPECT_NE(made.error().message.find("azure.region"), std::string::npos)
        << made.error().message;
  }
}

// Given node names ARM would refuse or that would bend a request path (a slash, "..", spaces,
// 200 characters), expect a usage error naming the node before any request exists.
TEST_F(AzurePlan, HostileNodeNamesAreRefused) {
  for (const std::string& node : std::vector<std::string>{
           "a/../../x", "router a", "router;rm", "-router", "12345", std::string(200, 'r')}) {
    auto made = plan(profile_yaml(k_azure, node));
    ASSERT_FALSE(made) << node;
    EXPECT_EQ(made.error().code, ExitCode::usage);
    EXPECT_NE(made.error().message.find("cannot name an Azure VM"), std::string::npos)
        << made.error().message;
  }
}

// Given a resource group prefix ARM refuses (a slash, too long, ending in '.') or other hostile
// profile values (user, size, image), expect a usage error naming the key.
TEST_F(AzurePlan, HostileProfileValuesAreRefusedNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"  resource_group_prefix: \"lab/x\"\n", "azure.resource_group_prefix"},
      {"  resource_group_prefix: " + std::string(80, 'p') + "\n", "azure.resource_group_prefix"},
      {"  ssh_user: root\n", "azure.ssh_user"},
      {"  ssh_user: \"../etc\"\n", "azure.ssh_user"},
      {"  shape: \"Standard B1s\"\n", "azure.shape"},
      {"  image: {publisher: \"Canonical\\\"}\"}\n", "azure.image.publisher"},
  };
  for (const auto& [extra, key] : cases) {
    auto made = plan(profile_yaml("  region: eastus\n  operator_cidr: 198.51.100.0/24\n" + extra));
    ASSERT_FALSE(made) << extra;
    EXPECT_EQ(made.error().code, ExitCode::usage) << extra;
    EXPECT_NE(made.error().message.find(key), std::string::npos) << made.error().message;
  }
}

// Given a fresh key pair, expect an OpenSSH ssh-rsa public line with the comment, and the same
// public half derived again from the private key labctl writes.
TEST(AzurePlanSshKey, GeneratedPairRoundTrips) {
  auto pair = generate_ssh_key("labctl-run");
  ASSERT_TRUE(pair) << pair.error().message;
  EXPECT_TRUE(pair->public_openssh.starts_with("ssh-rsa AAAAB3NzaC1yc2E")) << pair->public_openssh;
  EXPECT_TRUE(pair->public_openssh.ends_with(" labctl-run"));
  EXPECT_TRUE(pair->private_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
  auto again = public_key_of(pair->private_pem, "test key");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again + " labctl-run", pair->public_openssh);
}

// RFC 4251 string / base64, to build an OpenSSH-format key file as ssh-keygen writes one.
std::string ssh_string(const std::string& bytes) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((bytes.size() >> shift) & 0xff);
  }
  return out + bytes;
}

std::string base64(const std::string& bytes) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    unsigned value = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      value = (value << 8) | (i + j < bytes.size() ? static_cast<unsigned char>(bytes[i + j]) : 0);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= (bytes.size() - i) ? k_alphabet[(value >> (18 - 6 * j)) & 63] : '=';
    }
  }
  return out;
}

// Given an OpenSSH-format private key (another cloud of the run made it, e.g. EC2's ed25519
// key pair), expect its public line read from the blob the format keeps in clear.
TEST(AzurePlanSshKey, OpenSshFormatKeyGivesItsPublicHalf) {
  const std::string blob = ssh_string("ssh-ed25519") + ssh_string(std::string(32, '\x07'));
  const std::string file = std::string("openssh-key-v1") + '\0' + ssh_string("none") +
                           ssh_string("none") + ssh_string("") + std::string("\0\0\0\1", 4) +
                           ssh_string(blob) + ssh_string("private part, not read");
  auto line = public_key_of("-----BEGIN OPENSSH PRIVATE KEY-----\n" + base64(file) +
                                "\n-----END OPENSSH PRIVATE KEY-----\n",
                            "test key");
  ASSERT_TRUE(line) << line.error().message;
  EXPECT_EQ(*line, "ssh-ed25519 " + base64(blob));
}

// Given text that is no key, expect a usage error that names it without quoting it.
TEST(AzurePlanSshKey, GarbageIsNoKey) {
  auto none = public_key_of("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH "
                            "PRIVATE KEY-----\n",
                            "the run's SSH key /x.pem");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ExitCode::usage);
  EXPECT_NE(none.error().message.find("/x.pem"), std::string::npos);
  EXPECT_EQ(none.error().message.find("AAAA"), std::string::npos);
}

}  // namespace
}  // namespace labctl::providers::azure
