// The ARM fake held to Microsoft's own client: Debian's azure-cli (`az`) logs in against the
// fake's Entra ID endpoints and lists what the fake holds. Everything runs in a network namespace
// of its own (loopback only), so az cannot reach any outside address.
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/spawn.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {
namespace {

const char* k_az = "/usr/bin/az";
const char* k_subscription = "5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b";
const char* k_tenant = "72f988bf-0000-4000-8000-00000000beef";

// Runs as `unshare -n -m sh script W`: lo up; /etc/hosts (private mount) sends
// login.microsoftonline.com, where MSAL asks for instance discovery, to 127.0.0.1; the fake on
// :443 with a certificate for it. Two clouds: `latest` (az's default API profile) lists groups
// and tagged resources; Debian's az 2.45 maps compute to 2022-11-01, which Debian's
// python3-azure lacks ("API version 2022-11-01 does not have operation group
// 'virtual_machines'"), so `az vm list` runs on a cloud with the 2020-09-01-hybrid profile.
const char* k_script = R"(set -u
W="$1"
ip link set lo up || exit 90
printf '127.0.0.1 localhost login.microsoftonline.com\n' > "$W/hosts"
mount --bind "$W/hosts" /etc/hosts || exit 91
/usr/bin/python3 "$ARM_FAKE" --port 443 --port-file "$W/port" --tls-dir "$W/tls" \
  --tls-host login.microsoftonline.com --tenant "$TENANT" --subscription "$SUBSCRIPTION" \
  --client "az-cli-client=az-cli-secret" --seed "$W/seed.json" > "$W/fake.out" 2> "$W/fake.err" &
FAKE=$!
i=0; while [ ! -f "$W/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -f "$W/port" ] || exit 92
export AZURE_CONFIG_DIR="$W/az" REQUESTS_CA_BUNDLE="$W/tls/ca.pem" \
  AZURE_CORE_COLLECT_TELEMETRY=false AZURE_CORE_NO_COLOR=true AZURE_CORE_ONLY_SHOW_ERRORS=true
cloud() {
  az cloud register -n "$1" --profile "$2" --endpoint-resource-manager https://127.0.0.1/ \
    --endpoint-active-directory https://127.0.0.1 \
    --endpoint-active-directory-resource-id https://management.core.windows.net/ \
    --endpoint-active-directory-graph-resource-id https://127.0.0.1/ \
    --endpoint-management https://management.core.windows.net/ &&
  az cloud set -n "$1" &&
  az login --service-principal -u az-cli-client -p az-cli-secret --tenant "$TENANT" -o json \
    > "$W/login-$1.json"
}
rc=0
cloud labctlfake latest || rc=93
[ $rc = 0 ] && { az group list -o json > "$W/groups.json" || rc=94; }
[ $rc = 0 ] && { az resource list --tag routerd.cloudedge.run_id=r7 -o json \
  > "$W/resources.json" || rc=95; }
[ $rc = 0 ] && { cloud labctlfakehybrid 2020-09-01-hybrid || rc=96; }
[ $rc = 0 ] && { az vm list -g labctl-r7 -o json > "$W/vms.json" || rc=97; }
kill $FAKE; wait $FAKE
exit $rc
)";

nlohmann::json resource(const std::string& group, const std::string& suffix,
                        const std::string& type, const std::string& run_id) {
  std::string id = std::string("/subscriptions/") + k_subscription + "/resourceGroups/" + group;
  if (!suffix.empty()) id += "/providers/" + suffix;
  return {{"id", id},
          {"type", type},
          {"location", "westeurope"},
          {"tags", {{"routerd.cloudedge.run_id", run_id}, {"routerd.cloudedge.owner", "ci"}}}};
}

nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_text(path), nullptr, false);
}

class AzureCli : public TempDirTest {};

// Given a seeded lab group holding a router VM and a NIC, and a foreign group, expect az (after
// a service-principal login against the fake) to list both groups with their tags, the VM of the
// lab group, and exactly the lab's resources for its run-id tag.
TEST_F(AzureCli, ListsWhatTheFakeHolds) {
  if (!std::filesystem::exists(k_az)) GTEST_SKIP() << "no " << k_az << " (Debian azure-cli)";
  if (geteuid() != 0) GTEST_SKIP() << "needs root for unshare -n -m";
  const auto work = tmp.path();
  nlohmann::json vm = resource("labctl-r7", "Microsoft.Compute/virtualMachines/router-a",
                               "Microsoft.Compute/virtualMachines", "r7");
  vm["properties"] = {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
                      {"storageProfile", {{"osDisk", {{"osType", "Linux"},
                                                      {"name", "router-a-os"},
                                                      {"createOption", "FromImage"}}}}}};
  const nlohmann::json seed = {
      {"resources",
       {resource("labctl-r7", "", "Microsoft.Resources/resourceGroups", "r7"), vm,
        resource("labctl-r7", "Microsoft.Network/networkInterfaces/router-a-nic",
                 "Microsoft.Network/networkInterfaces", "r7"),
        resource("foreign", "", "Microsoft.Resources/resourceGroups", "someone-else"),
        resource("foreign", "Microsoft.Network/publicIPAddresses/theirs",
                 "Microsoft.Network/publicIPAddresses", "someone-else")}}};
  write_text(work / "seed.json", seed.dump());
  write_text(work / "az.sh", k_script);
  // Seven az runs of one to five seconds each: more than run_command's 60 s limit allows on a
  // busy machine, so the sequence runs as a Spawned child with its own limit.
  Spawned az({"/usr/bin/unshare", "-n", "-m", "/bin/sh", (work / "az.sh").string(),
              work.string()},
             {{"ARM_FAKE", std::string(LABCTL_SOURCE_DIR) + "/tests/fakes/azure/arm_fake.py"},
              {"TENANT", k_tenant},
              {"SUBSCRIPTION", k_subscription}},
             work);
  const int code = az.wait(std::chrono::seconds(240));
  ASSERT_EQ(code, 0) << az.out() << az.err() << read_text(work / "fake.err");

  const auto login = read_json(work / "login-labctlfake.json");
  ASSERT_TRUE(login.is_array()) << read_text(work / "login-labctlfake.json");
  ASSERT_EQ(login.size(), 1U);
  EXPECT_EQ(login[0]["id"], k_subscription);
  EXPECT_EQ(login[0]["state"], "Enabled");

  const auto groups = read_json(work / "groups.json");
  ASSERT_TRUE(groups.is_array()) << read_text(work / "groups.json");
  std::map<std::string, std::string> run_of_group;
  for (const auto& group : groups) {
    run_of_group[group.value("name", "")] = group["tags"].value("routerd.cloudedge.run_id", "");
  }
  EXPECT_EQ(run_of_group, (std::map<std::string, std::string>{{"foreign", "someone-else"},
                                                              {"labctl-r7", "r7"}}));

  const auto resources = read_json(work / "resources.json");
  ASSERT_TRUE(resources.is_array()) << read_text(work / "resources.json");
  std::set<std::string> names;
  for (const auto& item : resources) {
    names.insert(item.value("name", ""));
    EXPECT_EQ(item["tags"].value("routerd.cloudedge.owner", ""), "ci");
  }
  EXPECT_EQ(names, (std::set<std::string>{"router-a", "router-a-nic"}));

  const auto vms = read_json(work / "vms.json");
  ASSERT_TRUE(vms.is_array()) << read_text(work / "vms.json");
  ASSERT_EQ(vms.size(), 1U);
  EXPECT_EQ(vms[0]["name"], "router-a");
  EXPECT_EQ(vms[0]["hardwareProfile"]["vmSize"], "Standard_B1s");
  EXPECT_EQ(vms[0]["tags"]["routerd.cloudedge.run_id"], "r7");
}

}  // namespace
}  // namespace labctl::testing
