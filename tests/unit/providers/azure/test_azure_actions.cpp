#include "providers/azure/azure_actions.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::azure {
namespace {

using testing::FakeHttpTransport;

constexpr const char* k_endpoint = "https://arm.test";
constexpr const char* k_run = "20260101T000000Z-cloudedge-provider";
constexpr const char* k_group =
    "/subscriptions/5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b/"
    "resourceGroups/labctl-r1";
const std::string k_subnet =
    std::string(k_group) + "/providers/Microsoft.Network/virtualNetworks/v/subnets/lab";
const std::string k_router_a =
    std::string(k_group) + "/providers/Microsoft.Network/networkInterfaces/router-a-nic";
const std::string k_router_b =
    std::string(k_group) + "/providers/Microsoft.Network/networkInterfaces/router-b-nic";

// A NIC as ARM's GET answers it (2022-07-01), read-only properties included.
nlohmann::json nic(const std::string& id, const std::string& primary_ip,
                   const std::vector<std::string>& secondaries, bool forwarding,
                   const std::string& run_id = k_run) {
  auto configuration = [&](const std::string& name, const std::string& address, bool primary) {
    return nlohmann::json{{"name", name},
                          {"id", id + "/ipConfigurations/" + name},
                          {"etag", "W/\"1\""},
                          {"type", "Microsoft.Network/networkInterfaces/ipConfigurations"},
                          {"properties",
                           {{"provisioningState", "Succeeded"},
                            {"privateIPAddress", address},
                            {"privateIPAllocationMethod", primary ? "Dynamic" : "Static"},
                            {"subnet", {{"id", k_subnet}}},
                            {"primary", primary},
                            {"privateIPAddressVersion", "IPv4"}}}};
  };
  nlohmann::json configurations =
      nlohmann::json::array({configuration("ipconfig1", primary_ip, true)});
  for (const auto& address : secondaries) {
    configurations.push_back(configuration("labctl-" + address, address, false));
  }
  nlohmann::json out{{"id", id},
                     {"name", id.substr(id.rfind('/') + 1)},
                     {"type", "Microsoft.Network/networkInterfaces"},
                     {"location", "westeurope"},
                     {"etag", "W/\"1\""},
                     {"properties",
                      {{"provisioningState", "Succeeded"},
                       {"resourceGuid", "0000"},
                       {"macAddress", "00-0D-3A-00-00-01"},
                       {"primary", true},
                       {"virtualMachine", {{"id", std::string(k_group) + "/vm"}}},
                       {"enableIPForwarding", forwarding},
                       {"ipConfigurations", configurations}}}};
  if (!run_id.empty()) out["tags"] = {{"routerd.cloudedge.run_id", run_id}};
  return out;
}

// A stateful NIC store behind the fake transport: GET answers the NIC, PUT stores the body it
// got (answered as ARM does, provisioningState Succeeded) unless a scripted failure says
// otherwise. Every request is recorded by the transport.
class AzureActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_transport->set_handler(
        [this](const FakeHttpTransport::Request& request) { return serve(request); });
  }

  FakeHttpTransport::Result serve(const FakeHttpTransport::Request& request) {
    std::string path = request.url.substr(std::string(k_endpoint).size());
    path = path.substr(0, path.find('?'));
    const auto found = nics.find(path);
    if (found == nics.end()) {
      return FakeHttpTransport::respond(404, R"({"error":{"code":"NotFound","message":"no"}})");
    }
    if (request.method == "PUT") {
      puts.push_back({path, nlohmann::json::parse(request.body)});
      if (put_failure) return *put_failure;
      nlohmann::json stored = puts.back().second;
      stored["id"] = path;
      stored["properties"]["provisioningState"] = "Succeeded";
      found->second = stored;
    }
    return FakeHttpTransport::respond(200, found->second.dump());
  }

  ArmClient client(bool throttling_only) const {
    ArmClientOptions options;
    options.endpoint = k_endpoint;
    options.live = true;
    options.retry.throttling_only = throttling_only;
    ArmClientDeps deps{m_transport, [] { return Expected<std::string>("test-token"); },
                       m_clock,     [] { return 0.5; },
                       nullptr,     nullptr};
    return ArmClient(options, deps);
  }

  Outcome perform(const std::string& action, const std::string& nic_id, const std::string& address,
                  nlohmann::json parameters = nlohmann::json::object(),
                  const std::string& mode = k_mode_execute) {
    const ArmClient reader = client(false);
    const ArmClient writer = client(true);
    ActionRequest request;
    request.action = action;
    request.provider = "azure";
    request.target = {nic_id, address, "westeurope"};
    request.parameters = std::move(parameters);
    request.mode = mode;
    request.idempotency_key = "k";
    return perform_azure({reader, writer}, request, k_run);
  }

  [[nodiscard]] std::vector<std::string> sent() const {
    std::vector<std::string> out;
    for (const auto& request : m_transport->requests()) {
      std::string path = request.url.substr(std::string(k_endpoint).size());
      out.push_back(request.method + " " + path.substr(path.rfind('/') + 1));
    }
    return out;
  }

  std::map<std::string, nlohmann::json> nics;
  std::vector<std::pair<std::string, nlohmann::json>> puts;
  std::optional<FakeHttpTransport::Result> put_failure;

 private:
  std::shared_ptr<FakeHttpTransport> m_transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> m_clock = std::make_shared<testing::ManualClock>();
};

TEST_F(AzureActionsTest, AssignDescribesBeforeAndAfterAndAddsAStaticIpConfiguration) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {}, true);
  const auto outcome = perform(k_assign, k_router_a, "10.0.1.50/32", {{"ownershipEpoch", 1}});
  ASSERT_EQ(outcome.code, ExitCode::ok) << outcome.result.message;
  EXPECT_EQ(outcome.result.status, "succeeded");
  EXPECT_TRUE(outcome.result.undo_available);
  EXPECT_EQ(sent(), (std::vector<std::string>{"GET router-a-nic?api-version=2022-07-01",
                                              "PUT router-a-nic?api-version=2022-07-01",
                                              "GET router-a-nic?api-version=2022-07-01"}));
  EXPECT_EQ(outcome.result.observed["priorSecondaryIps"], nlohmann::json::array());
  EXPECT_EQ(outcome.result.observed["secondaryIps"], nlohmann::json({"10.0.1.50"}));
  ASSERT_EQ(puts.size(), 1U);
  const auto& body = puts[0].second;
  const auto& added = body["properties"]["ipConfigurations"].back();
  EXPECT_EQ(added, (nlohmann::json{{"name", "labctl-10-0-1-50"},
                                   {"properties",
                                    {{"privateIPAddress", "10.0.1.50"},
                                     {"privateIPAllocationMethod", "Static"},
                                     {"subnet", {{"id", k_subnet}}},
                                     {"primary", false}}}}));
  // The models' read-only properties are not sent back.
  for (const char* key : {"etag", "name", "type"}) EXPECT_FALSE(body.contains(key)) << key;
  for (const char* key :
       {"provisioningState", "macAddress", "virtualMachine", "resourceGuid", "primary"}) {
    EXPECT_FALSE(body["properties"].contains(key)) << key;
  }
  const auto& first = body["properties"]["ipConfigurations"][0];
  EXPECT_FALSE(first.contains("etag"));
  EXPECT_FALSE(first["properties"].contains("provisioningState"));
  EXPECT_EQ(body["tags"]["routerd.cloudedge.run_id"], k_run);
}

// Given a NIC that already holds the address (a dirty lab), expect a hard stop and no PUT.
TEST_F(AzureActionsTest, AssignRefusesAnAddressTheNicAlreadyHolds) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {"10.0.1.50"}, true);
  const auto outcome = perform(k_assign, k_router_a, "10.0.1.50", {{"ownershipEpoch", 1}});
  EXPECT_EQ(outcome.code, ExitCode::refused);
  EXPECT_NE(outcome.result.message.find("already assigned"), std::string::npos);
  EXPECT_TRUE(puts.empty());
}

// Given NICs without the run's tag (missing, another run's), expect refusal after the one
// describe the fence needs, and nothing mutating sent.
TEST_F(AzureActionsTest, UntaggedNicIsRefusedWithNothingSent) {
  for (const std::string& tag : std::vector<std::string>{"", "20260101T000000Z-cloudedge-other"}) {
    nics[k_router_a] = nic(k_router_a, "10.0.1.4", {}, false, tag);
    for (const char* action : {k_assign, k_unassign, k_forwarding_on}) {
      const auto outcome = perform(action, k_router_a, "10.0.1.50", {{"ownershipEpoch", 1}});
      EXPECT_EQ(outcome.code, ExitCode::refused) << action;
      EXPECT_NE(outcome.result.message.find("not a lab resource"), std::string::npos);
    }
  }
  EXPECT_TRUE(puts.empty());
  for (const auto& call : sent()) EXPECT_TRUE(call.starts_with("GET ")) << call;
}

// Given a target that is not an ARM NIC id (a path escape, another resource type), expect a
// usage error before anything is sent.
TEST_F(AzureActionsTest, TargetThatIsNotANicIdIsRejectedBeforeAnyCall) {
  for (const std::string& bad :
       {std::string("eni-0123"),
        std::string(k_group) + "/providers/Microsoft.Network/"
                               "networkInterfaces/../../x",
        std::string(k_group) + "/providers/Microsoft.Compute/virtualMachines/vm",
        k_router_a + "?api-version=1"}) {
    const auto outcome = perform(k_forwarding_on, bad, "");
    EXPECT_EQ(outcome.code, ExitCode::usage) << bad;
  }
  EXPECT_TRUE(sent().empty());
}

// Given enable (forwarding was off) then its undo with the observed prior, expect forwarding
// back off; a NIC whose forwarding someone already turned off is drift (refused, no PUT); a
// prior of "already forwarding" is skipped.
TEST_F(AzureActionsTest, ForwardingDisableRestoresThePriorAndRefusesDrift) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {}, false);
  const auto on = perform(k_forwarding_on, k_router_a, "");
  ASSERT_EQ(on.code, ExitCode::ok) << on.result.message;
  EXPECT_EQ(on.result.observed["priorSourceDestCheck"], true);
  EXPECT_EQ(nics[k_router_a]["properties"]["enableIPForwarding"], true);

  const auto off = perform(k_forwarding_off, k_router_a, "", on.result.observed);
  ASSERT_EQ(off.code, ExitCode::ok) << off.result.message;
  EXPECT_EQ(off.result.status, "succeeded");
  EXPECT_EQ(nics[k_router_a]["properties"]["enableIPForwarding"], false);
  EXPECT_EQ(puts.size(), 2U);

  const auto drift = perform(k_forwarding_off, k_router_a, "", on.result.observed);
  EXPECT_EQ(drift.code, ExitCode::refused);
  EXPECT_NE(drift.result.message.find("drift"), std::string::npos);
  EXPECT_EQ(puts.size(), 2U);

  const auto skipped = perform(k_forwarding_off, k_router_a, "", {{"priorSourceDestCheck", false}});
  EXPECT_EQ(skipped.result.status, "skipped");
  const auto blind = perform(k_forwarding_off, k_router_a, "");
  EXPECT_EQ(blind.code, ExitCode::refused);
  EXPECT_EQ(puts.size(), 2U);
}

// Given a connection reset after the PUT was sent, expect an ambiguous hard stop, the PUT sent
// exactly once (the writer retries throttling only) and no retry by the action.
TEST_F(AzureActionsTest, ResetAfterPutIsAnAmbiguousHardStopNotRetried) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {}, true);
  put_failure =
      FakeHttpTransport::transport_failure(providers::TransportErrorKind::connection_reset);
  const auto outcome = perform(k_assign, k_router_a, "10.0.1.50", {{"ownershipEpoch", 1}});
  EXPECT_EQ(outcome.code, ExitCode::refused);
  EXPECT_EQ(outcome.result.status, "failed");
  EXPECT_NE(outcome.result.message.find("ambiguous"), std::string::npos);
  EXPECT_EQ(puts.size(), 1U);
  EXPECT_EQ(outcome.result.observed["priorSecondaryIps"], nlohmann::json::array());

  // A 5xx answer may hide an applied change too; a 400 (ARM refused) is a clear failure.
  puts.clear();
  put_failure = FakeHttpTransport::respond(503, R"({"error":{"code":"ServerBusy","message":"x"}})");
  EXPECT_EQ(perform(k_forwarding_off, k_router_a, "", {{"priorSourceDestCheck", true}}).code,
            ExitCode::refused);
  EXPECT_EQ(puts.size(), 1U);
  put_failure = FakeHttpTransport::respond(
      400, R"({"error":{"code":"PrivateIPAddressInUse","message":"in use"}})");
  const auto clear = perform(k_assign, k_router_a, "10.0.1.50", {{"ownershipEpoch", 1}});
  EXPECT_EQ(clear.code, ExitCode::provider);
  EXPECT_EQ(clear.result.message.find("ambiguous"), std::string::npos);
}

// Given a seize from router-a to router-b, expect the address removed from the holder first
// (described before and after) and then added to the target, with both priors in observed.
TEST_F(AzureActionsTest, SeizeRemovesFromTheHolderThenAdds) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {"10.0.1.50"}, true);
  nics[k_router_b] = nic(k_router_b, "10.0.1.5", {}, true);
  const auto outcome =
      perform(k_assign, k_router_b, "10.0.1.50",
              {{"ownershipEpoch", 2}, {"allowReassignment", true}, {"previousHolder", k_router_a}});
  ASSERT_EQ(outcome.code, ExitCode::ok) << outcome.result.message;
  ASSERT_EQ(puts.size(), 2U);
  EXPECT_EQ(puts[0].first, k_router_a);
  EXPECT_EQ(puts[0].second["properties"]["ipConfigurations"].size(), 1U);  // the primary only
  EXPECT_EQ(puts[1].first, k_router_b);
  EXPECT_EQ(
      sent(),
      (std::vector<std::string>{
          "GET router-b-nic?api-version=2022-07-01", "GET router-a-nic?api-version=2022-07-01",
          "PUT router-a-nic?api-version=2022-07-01", "GET router-a-nic?api-version=2022-07-01",
          "PUT router-b-nic?api-version=2022-07-01", "GET router-b-nic?api-version=2022-07-01",
          "GET router-a-nic?api-version=2022-07-01"}));
  const auto& observed = outcome.result.observed;
  EXPECT_EQ(observed["previousHolder"], k_router_a);
  EXPECT_EQ(observed["previousHolderPriorSecondaryIps"], nlohmann::json({"10.0.1.50"}));
  EXPECT_EQ(observed["previousHolderSecondaryIps"], nlohmann::json::array());
  EXPECT_EQ(observed["previousHolderHasAddress"], false);
  EXPECT_EQ(observed["secondaryIps"], nlohmann::json({"10.0.1.50"}));
}

// Given a seize whose holder is not a lab NIC, or that would take a primary address, expect a
// hard stop with nothing mutated.
TEST_F(AzureActionsTest, SeizeIsFencedByTheHoldersTagAndNeverTakesAPrimary) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {"10.0.1.50"}, true, "");
  nics[k_router_b] = nic(k_router_b, "10.0.1.5", {}, true);
  const nlohmann::json seize{
      {"ownershipEpoch", 2}, {"allowReassignment", true}, {"previousHolder", k_router_a}};
  EXPECT_EQ(perform(k_assign, k_router_b, "10.0.1.50", seize).code, ExitCode::refused);
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {}, true);
  EXPECT_EQ(perform(k_assign, k_router_b, "10.0.1.4", seize).code, ExitCode::refused);
  EXPECT_EQ(perform(k_assign, k_router_b, "10.0.1.50",
                    {{"ownershipEpoch", 2}, {"allowReassignment", true}})
                .code,
            ExitCode::refused);
  EXPECT_TRUE(puts.empty());
}

// Given unassigns of an address the NIC no longer holds and of its primary address, expect
// refusals without a PUT; of a held secondary, its ipConfiguration removed.
TEST_F(AzureActionsTest, UnassignRemovesOnlyAHeldSecondary) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {"10.0.1.50"}, true);
  EXPECT_EQ(perform(k_unassign, k_router_a, "10.0.1.60").code, ExitCode::refused);
  EXPECT_EQ(perform(k_unassign, k_router_a, "10.0.1.4").code, ExitCode::refused);
  EXPECT_TRUE(puts.empty());
  const auto outcome = perform(k_unassign, k_router_a, "10.0.1.50");
  ASSERT_EQ(outcome.code, ExitCode::ok) << outcome.result.message;
  EXPECT_EQ(outcome.result.observed["secondaryIps"], nlohmann::json::array());
  ASSERT_EQ(puts.size(), 1U);
  EXPECT_EQ(puts[0].second["properties"]["ipConfigurations"].size(), 1U);
}

// Given dry-run mode, expect describes only, whatever the action.
TEST_F(AzureActionsTest, DryRunOnlyDescribes) {
  nics[k_router_a] = nic(k_router_a, "10.0.1.4", {}, false);
  for (const char* action : {k_assign, k_unassign, k_forwarding_on}) {
    const auto outcome =
        perform(action, k_router_a, "10.0.1.50", {{"ownershipEpoch", 1}}, k_mode_dry_run);
    EXPECT_EQ(outcome.code, ExitCode::ok) << outcome.result.message;
    EXPECT_NE(outcome.result.message.find("dry-run"), std::string::npos);
  }
  EXPECT_TRUE(puts.empty());
}

}  // namespace
}  // namespace labctl::providers::azure
