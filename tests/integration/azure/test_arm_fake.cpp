// The ARM fake (tests/fakes/azure/arm_fake.py) itself: auth, body validation against the SDK
// models, long-running operations, Resource Graph, fault modes. Fast: no labctl involved.
#include <algorithm>
#include <cctype>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/azure/arm_fake_fixture.hpp"

namespace labctl::testing {
namespace {

const std::string k_run_tag = "routerd.cloudedge.run_id";

// The value of response header `name` (case-insensitive), "" when absent.
std::string header(const std::string& headers, const std::string& name) {
  std::string lower = headers;
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string key = name + ":";
  std::ranges::transform(key, key.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto at = lower.find("\n" + key);
  if (at == std::string::npos) return {};
  const auto start = at + 1 + key.size();
  auto value = headers.substr(start, headers.find('\n', start) - start);
  while (!value.empty() && (value.front() == ' ')) value.erase(value.begin());
  while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
  return value;
}

// The fake's own tests keep its default Retry-After of 1 s (the fixture's 0 only speeds up
// labctl's polling elsewhere), so they see the header as real ARM sends it.
class ArmFake : public ArmFakeTest {
 protected:
  ArmFake() { fake_args = {"--retry-after-s", "1"}; }
  [[nodiscard]] std::string group_path(const std::string& group) const {
    return std::string("/subscriptions/") + k_subscription + "/resourceGroups/" + group;
  }
  [[nodiscard]] std::string group_id(const std::string& group) const {
    return group_path(group);
  }
  void put_group(const std::string& token, const std::string& group) const {
    const auto answer = fake_request("PUT", group_path(group) + "?api-version=2022-09-01",
                                     {{"location", "westeurope"}, {"tags", {{k_run_tag, "r1"}}}},
                                     token);
    ASSERT_EQ(answer.status, 201) << answer.body.dump();
  }
  // Polls an Azure-AsyncOperation URL of the fake until it leaves InProgress; its last status.
  [[nodiscard]] std::string wait_operation(const std::string& url,
                                           const std::string& token) const {
    EXPECT_EQ(url.rfind(endpoint, 0), 0U) << url;
    const auto path = url.substr(endpoint.size());
    std::string status;
    (void)eventually([&] {
      status = fake_request("GET", path, nullptr, token).body.value("status", "");
      return status != "InProgress";
    });
    return status;
  }
};

// Given the service principal's secret, expect a token that ARM accepts; without it, 401.
TEST_F(ArmFake, IssuesTokenThatListsSubscriptions) {
  const auto token = fake_token();
  ASSERT_FALSE(token.empty());
  const auto answer = fake_request("GET", "/subscriptions?api-version=2021-01-01", nullptr, token);
  ASSERT_EQ(answer.status, 200) << answer.body.dump();
  ASSERT_EQ(answer.body["value"].size(), 1U);
  EXPECT_EQ(answer.body["value"][0]["subscriptionId"], k_subscription);
  EXPECT_EQ(answer.body["value"][0]["state"], "Enabled");
  EXPECT_FALSE(header(answer.headers, "x-ms-request-id").empty());
  EXPECT_FALSE(header(answer.headers, "x-ms-ratelimit-remaining-subscription-reads").empty());

  const auto anonymous = fake_request("GET", "/subscriptions?api-version=2021-01-01");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body["error"]["code"], "AuthenticationFailed");
  const auto forged = fake_request("GET", "/subscriptions?api-version=2021-01-01", nullptr,
                                   "not-a-token-the-fake-issued");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.body["error"]["code"], "InvalidAuthenticationToken");
  const auto no_version = fake_request("GET", "/subscriptions", nullptr, token);
  EXPECT_EQ(no_version.status, 400);
  EXPECT_EQ(no_version.body["error"]["code"], "MissingApiVersionParameter");
}

// Given bodies that break the SDK models (an unknown property; a VirtualMachine without its
// required location), expect 400 InvalidRequestContent naming the property, and nothing stored.
TEST_F(ArmFake, RefusesBodiesTheSdkModelsRefuse) {
  const auto token = fake_token();
  put_group(token, "rg-models");
  const auto unknown = fake_request(
      "PUT", group_path("rg-models") + "?api-version=2022-09-01",
      {{"location", "westeurope"}, {"properties", {{"provisioningStatus", "x"}}}}, token);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["error"]["code"], "InvalidRequestContent");
  EXPECT_NE(unknown.body["error"]["message"].get<std::string>().find(
                "properties.provisioningStatus: unknown property"),
            std::string::npos)
      << unknown.body.dump();

  const auto vm_path = group_path("rg-models") +
                       "/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2022-08-01";
  const auto missing = fake_request(
      "PUT", vm_path, {{"properties", {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}}}}},
      token);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"]["code"], "InvalidRequestContent");
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find(
                "location: required property missing"),
            std::string::npos)
      << missing.body.dump();

  const auto wrong_type = fake_request(
      "PUT",
      group_path("rg-models") +
          "/providers/Microsoft.Network/networkInterfaces/nic1?api-version=2022-07-01",
      {{"location", "westeurope"}, {"properties", {{"enableIPForwarding", "yes"}}}}, token);
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body["error"]["message"].get<std::string>().find(
                "properties.enableIPForwarding: expected bool"),
            std::string::npos)
      << wrong_type.body.dump();
  EXPECT_EQ(fake_request("GET", vm_path, nullptr, token).status, 404);
}

// Given a VNet PUT, expect 201 Updating with an Azure-AsyncOperation URL that reports
// Succeeded after the operation delay, and the VNet (and its inline subnet) Succeeded.
TEST_F(ArmFake, LongRunningPutSucceeds) {
  const auto token = fake_token();
  put_group(token, "rg-lro");
  const auto vnet = group_path("rg-lro") +
                    "/providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2022-07-01";
  const auto put = fake_request(
      "PUT", vnet,
      {{"location", "westeurope"},
       {"tags", {{k_run_tag, "r1"}}},
       {"properties",
        {{"addressSpace", {{"addressPrefixes", {"10.20.0.0/16"}}}},
         {"subnets", {{{"name", "lab"}, {"properties", {{"addressPrefix", "10.20.1.0/24"}}}}}}}}},
      token);
  ASSERT_EQ(put.status, 201) << put.body.dump();
  EXPECT_EQ(put.body["properties"]["provisioningState"], "Updating");
  const auto operation = header(put.headers, "Azure-AsyncOperation");
  ASSERT_FALSE(operation.empty()) << put.headers;
  EXPECT_EQ(wait_operation(operation, token), "Succeeded");
  const auto got = fake_request("GET", vnet, nullptr, token);
  EXPECT_EQ(got.body["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(got.body["properties"]["subnets"][0]["properties"]["provisioningState"], "Succeeded");
  EXPECT_EQ(calls("PUT /subscriptions/"), 2U);
}

// Given a group and what it holds, expect DELETE of the group to answer 202 with a Location
// that says 202 while running and 200 when done, and nothing of the group left.
TEST_F(ArmFake, DeletingGroupRemovesEverythingInIt) {
  const auto token = fake_token();
  put_group(token, "rg-gone");
  const auto pip = fake_request("PUT",
                                group_path("rg-gone") +
                                    "/providers/Microsoft.Network/publicIPAddresses/"
                                    "pip1?api-version=2022-07-01",
                                {{"location", "westeurope"}, {"tags", {{k_run_tag, "r1"}}}},
                                token);
  ASSERT_EQ(pip.status, 201) << pip.body.dump();
  EXPECT_EQ(tagged("r1").size(), 2U);
  const auto del = fake_request("DELETE", group_path("rg-gone") + "?api-version=2022-09-01",
                                nullptr, token);
  ASSERT_EQ(del.status, 202) << del.body.dump();
  EXPECT_EQ(header(del.headers, "Retry-After"), "1");
  const auto location = header(del.headers, "Location");
  ASSERT_EQ(location.rfind(endpoint, 0), 0U) << del.headers;
  ASSERT_TRUE(eventually([&] {
    return fake_request("GET", location.substr(endpoint.size()), nullptr, token).status == 200;
  }));
  EXPECT_EQ(fake_request("GET", group_path("rg-gone") + "?api-version=2022-09-01", nullptr, token)
                .status,
            404);
  EXPECT_TRUE(tagged("r1").empty());
}

// Given seeded groups of two runs, expect Resource Graph's run-id queries to find exactly the
// run's VM and group, and a query the fake cannot parse to be refused (never answered wrongly).
TEST_F(ArmFake, ResourceGraphFindsSeededRunByTag) {
  const auto seeded = fake_post(
      "/_fake/seed",
      {{"resources",
        {{{"id", group_id("labctl-r7")},
          {"type", "Microsoft.Resources/resourceGroups"},
          {"location", "westeurope"},
          {"tags", {{k_run_tag, "r7"}}}},
         {{"id", group_id("labctl-r7") + "/providers/Microsoft.Compute/virtualMachines/router-a"},
          {"type", "Microsoft.Compute/virtualMachines"},
          {"location", "westeurope"},
          {"tags", {{k_run_tag, "r7"}}}},
         {{"id", group_id("foreign")},
          {"type", "Microsoft.Resources/resourceGroups"},
          {"location", "westeurope"},
          {"tags", {{k_run_tag, "someone-else"}}}}}}});
  ASSERT_EQ(seeded["created"].size(), 3U) << seeded.dump();
  const auto token = fake_token();
  const auto query = [&](const std::string& kusto) {
    return fake_request("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01",
                        {{"subscriptions", {k_subscription}}, {"query", kusto}}, token);
  };
  const auto vms = query("Resources | where tags['" + k_run_tag +
                         "'] == 'r7' | project id, type, name, resourceGroup, location, tags");
  ASSERT_EQ(vms.status, 200) << vms.body.dump();
  ASSERT_EQ(vms.body["count"], 1);
  EXPECT_EQ(vms.body["data"][0]["name"], "router-a");
  EXPECT_EQ(vms.body["data"][0]["type"], "microsoft.compute/virtualmachines");
  EXPECT_EQ(vms.body["data"][0]["resourceGroup"], "labctl-r7");

  const auto groups = query(
      "ResourceContainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' | "
      "where isnotempty(tags['" + k_run_tag + "']) | project id, name, tags");
  ASSERT_EQ(groups.status, 200) << groups.body.dump();
  EXPECT_EQ(groups.body["count"], 2);

  const auto unparsed = query("Resources | summarize count() by type");
  EXPECT_EQ(unparsed.status, 400);
  EXPECT_EQ(unparsed.body["error"]["details"][0]["code"], "InvalidQuery");
}

// Given two NICs in one subnet, expect a static address held by the first to be refused for
// the second (Azure has no reassignment: 400 PrivateIPAddressInUse), and a NIC a VM uses to be
// undeletable (409 NicInUse) until the VM is gone.
TEST_F(ArmFake, AddressesAndNicsInUseAreRefused) {
  const auto token = fake_token();
  put_group(token, "rg-use");
  const auto providers = group_path("rg-use") + "/providers/";
  const auto subnet_id = group_id("rg-use") +
                         "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/lab";
  ASSERT_EQ(fake_request("PUT",
                         providers + "Microsoft.Network/virtualNetworks/vnet?api-version=2022-07-01",
                         {{"location", "westeurope"},
                          {"properties",
                           {{"addressSpace", {{"addressPrefixes", {"10.9.0.0/16"}}}},
                            {"subnets",
                             {{{"name", "lab"},
                               {"properties", {{"addressPrefix", "10.9.1.0/24"}}}}}}}}},
                         token)
                .status,
            201);
  const auto nic = [&](const std::string& name, const nlohmann::json& configs) {
    return fake_request("PUT",
                        providers + "Microsoft.Network/networkInterfaces/" + name +
                            "?api-version=2022-07-01",
                        {{"location", "westeurope"},
                         {"properties", {{"enableIPForwarding", true}, {"ipConfigurations", configs}}}},
                        token);
  };
  const nlohmann::json dynamic = {{"name", "primary"},
                                  {"properties", {{"subnet", {{"id", subnet_id}}}}}};
  const nlohmann::json vip = {{"name", "vip"},
                              {"properties",
                               {{"subnet", {{"id", subnet_id}}},
                                {"privateIPAllocationMethod", "Static"},
                                {"privateIPAddress", "10.9.1.50"}}}};
  const auto holder = nic("nic-a", {dynamic, vip});
  ASSERT_EQ(holder.status, 201) << holder.body.dump();
  EXPECT_EQ(holder.body["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"],
            "10.9.1.4");
  EXPECT_EQ(holder.body["properties"]["enableIPForwarding"], true);
  const auto taker = nic("nic-b", {dynamic, vip});
  EXPECT_EQ(taker.status, 400);
  EXPECT_EQ(taker.body["error"]["code"], "PrivateIPAddressInUse");

  const auto vm = providers + "Microsoft.Compute/virtualMachines/vm-a?api-version=2022-08-01";
  const auto put_vm = fake_request(
      "PUT", vm,
      {{"location", "westeurope"},
       {"properties",
        {{"hardwareProfile", {{"vmSize", "Standard_B1s"}}},
         {"networkProfile",
          {{"networkInterfaces",
            {{{"id", group_id("rg-use") + "/providers/Microsoft.Network/networkInterfaces/nic-a"},
              {"properties", {{"primary", true}}}}}}}}}}},
      token);
  ASSERT_EQ(put_vm.status, 201) << put_vm.body.dump();
  const auto nic_a = providers + "Microsoft.Network/networkInterfaces/nic-a?api-version=2022-07-01";
  const auto in_use = fake_request("DELETE", nic_a, nullptr, token);
  EXPECT_EQ(in_use.status, 409);
  EXPECT_EQ(in_use.body["error"]["code"], "NicInUse");
  ASSERT_EQ(fake_request("DELETE", vm, nullptr, token).status, 202);
  (void)fake_post("/_fake/settle", nlohmann::json::object());
  EXPECT_EQ(fake_request("DELETE", nic_a, nullptr, token).status, 202);
}

class ArmFakeThrottled : public ArmFake {
 protected:
  ArmFakeThrottled() { fake_args.insert(fake_args.end(), {"--throttle-every", "2"}); }
};

// Given --throttle-every 2, expect every second ARM request to be 429 with Retry-After: 1
// (token requests do not count).
TEST_F(ArmFakeThrottled, AnswersTooManyRequestsWithRetryAfter) {
  const auto token = fake_token();
  const auto path = "/subscriptions?api-version=2021-01-01";
  EXPECT_EQ(fake_request("GET", path, nullptr, token).status, 200);
  const auto throttled = fake_request("GET", path, nullptr, token);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(header(throttled.headers, "Retry-After"), "1");
  EXPECT_EQ(throttled.body["error"]["code"], "TooManyRequests");
  EXPECT_EQ(fake_request("GET", path, nullptr, token).status, 200);
  // Fault modes change at run time through the control API.
  (void)fake_post("/_fake/faults", {{"throttle_every", 0}});
  EXPECT_EQ(fake_request("GET", path, nullptr, token).status, 200);
}

}  // namespace
}  // namespace labctl::testing
