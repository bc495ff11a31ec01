// The azure teardown and discovery (providers/azure/azure_teardown.cpp, azure_discover.cpp)
// through the real ArmClient over a scripted HTTP transport and a manual clock: what is sent,
// what is never sent, and what state records.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/azure/azure_resources.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_run.hpp"

namespace labctl::providers::azure {
namespace {

using labctl::testing::FakeHttpTransport;

constexpr const char* k_endpoint = "https://management.azure.test";
constexpr const char* k_sub = "5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b";
constexpr const char* k_run_id = "20261205T000000Z-cloudedge-unit";

std::string group_id(const std::string& name) {
  return std::string("/subscriptions/") + k_sub + "/resourceGroups/" + name;
}

// "METHOD /path" of a request (no endpoint, no query).
std::string call(const FakeHttpTransport::Request& request) {
  auto path = request.url.substr(std::string(k_endpoint).size());
  return request.method + " " + path.substr(0, path.find('?'));
}

FakeHttpTransport::Result json_answer(long status, const nlohmann::json& body) {
  return FakeHttpTransport::respond(status, body.dump());
}

FakeHttpTransport::Result not_found() {
  return json_answer(404, {{"error", {{"code", "ResourceGroupNotFound"}, {"message", "gone"}}}});
}

nlohmann::json group(const std::string& name, const std::string& run_id,
                     const std::string& ttl = "2026-12-05T01:00:00Z") {
  return {{"id", group_id(name)},
          {"name", name},
          {"location", "westeurope"},
          {"tags", {{k_tag_run_id, run_id}, {k_tag_ttl_expires_at, ttl}}},
          {"properties", {{"provisioningState", "Succeeded"}}}};
}

class AzureTeardownTest : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
    m_run = labctl::testing::unit_aws_run(k_run_id, "provider");
    m_run.providers = {"azure"};
    auto inserted = m_store->insert_run(m_run);
    ASSERT_TRUE(inserted) << inserted.error().message;
    ArmClientOptions options;
    options.endpoint = k_endpoint;
    options.live = true;
    m_client = std::make_unique<ArmClient>(
        options, ArmClientDeps{.transport = m_transport,
                               .token = [] { return Expected<std::string>("unit-token"); },
                               .clock = m_clock,
                               .unit_random = [] { return 0.0; },
                               .deadline = nullptr});
  }

  RunContext context() {
    return RunContext{
        m_run,
        m_profile,
        make_tags(m_run.run_id, m_run.owner, m_run.ttl_expires_at, "azure", m_run.purpose),
        *m_store,
        *m_clock,
        false};
  }

  // The run's resource group as `up` records it.
  std::vector<state::ResourceRecord> group_rows() {
    std::vector<state::ResourceRecord> rows(1);
    rows[0].run_id = k_run_id;
    rows[0].provider = "azure";
    rows[0].kind = "resourceGroup";
    rows[0].name = "labctl-" + std::string(k_run_id);
    rows[0].region = "westeurope";
    rows[0].cloud_id = group_id(rows[0].name);
    rows[0].state = state::k_res_created;
    EXPECT_TRUE(m_store->record_intents(rows));
    return rows;
  }

  std::string row_state() {
    auto rows = m_store->resources(k_run_id);
    return rows && !rows->empty() ? rows->front().state : "";
  }

  std::size_t count(const std::string& prefix) const {
    const auto requests = m_transport->requests();
    return static_cast<std::size_t>(
        std::count_if(requests.begin(), requests.end(),
                      [&](const auto& r) { return call(r).starts_with(prefix); }));
  }

  profile::Profile m_profile;
  state::RunRecord m_run;
  std::unique_ptr<state::Store> m_store;
  std::shared_ptr<FakeHttpTransport> m_transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<labctl::testing::ManualClock> m_clock =
      std::make_shared<labctl::testing::ManualClock>();
  std::unique_ptr<ArmClient> m_client;
};

// Given a resource group in state that carries another run's run-id tag, expect a refusal
// naming the group and that tag, no DELETE sent, and the row failed for the next down.
TEST_F(AzureTeardownTest, FenceRefusesGroupOfAnotherRunAndDeletesNothing) {
  const auto rows = group_rows();
  m_transport->set_handler([&](const auto& request) {
    if (request.method == "GET") return json_answer(200, group(rows[0].name, "someone-else"));
    return json_answer(200, nlohmann::json::object());
  });
  const auto done = teardown_lab(context(), rows, *m_client, k_sub);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ExitCode::refused);
  EXPECT_NE(done.error().message.find(rows[0].cloud_id), std::string::npos);
  EXPECT_NE(done.error().message.find("someone-else"), std::string::npos);
  EXPECT_EQ(count("DELETE"), 0U);
  EXPECT_EQ(count("POST"), 0U);
  EXPECT_EQ(row_state(), state::k_res_failed);
}

// Given a group whose DELETE is answered 409 twice (a resource still in use), expect the DELETE
// asked again after backoff sleeps, then the group confirmed gone by GET and by the tag query,
// and the row deleted.
TEST_F(AzureTeardownTest, ConflictOnDeleteIsRetriedThenConfirmed) {
  const auto rows = group_rows();
  int deletes = 0;
  bool deleted = false;
  m_transport->set_handler([&](const auto& request) {
    const auto what = call(request);
    if (what == "GET " + rows[0].cloud_id) {
      return deleted ? not_found() : json_answer(200, group(rows[0].name, k_run_id));
    }
    if (what == "DELETE " + rows[0].cloud_id) {
      if (++deletes <= 2) {
        return json_answer(
            409, {{"error", {{"code", "InUseSubnetCannotBeDeleted"}, {"message", "in use"}}}});
      }
      deleted = true;
      return json_answer(200, nlohmann::json::object());
    }
    if (what == "POST /providers/Microsoft.ResourceGraph/resources") {
      EXPECT_NE(request.body.find(std::string("== '") + k_run_id + "'"), std::string::npos)
          << request.body;
      return json_answer(200, {{"data", nlohmann::json::array()}});
    }
    return not_found();
  });
  const auto done = teardown_lab(context(), rows, *m_client, k_sub);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(deletes, 3);
  EXPECT_GE(m_clock->sleeps().size(), 2U);
  EXPECT_EQ(count("POST /providers/Microsoft.ResourceGraph/resources"), 1U);
  EXPECT_EQ(row_state(), state::k_res_deleted);
}

// Given a stray the tag query lists outside the group but whose own GET answers 404 (the index
// lags), expect teardown to succeed without deleting it, and discovery not to report it.
TEST_F(AzureTeardownTest, GraphHitWhoseGetIsNotFoundIsNeitherDeletedNorReported) {
  const auto rows = group_rows();
  const std::string stray =
      group_id("elsewhere") + "/providers/Microsoft.Network/publicIPAddresses/labctl-pip";
  bool deleted = false;
  m_transport->set_handler([&](const auto& request) {
    const auto what = call(request);
    if (what == "GET " + rows[0].cloud_id) {
      return deleted ? not_found() : json_answer(200, group(rows[0].name, k_run_id));
    }
    if (what == "DELETE " + rows[0].cloud_id) {
      deleted = true;
      return json_answer(200, nlohmann::json::object());
    }
    if (what == "POST /providers/Microsoft.ResourceGraph/resources") {
      const bool containers = request.body.find("ResourceContainers") != std::string::npos;
      return json_answer(
          200,
          {{"data", containers ? nlohmann::json::array()
                               : nlohmann::json::array({{{"id", stray},
                                                         {"type", "x"},
                                                         {"tags", {{k_tag_run_id, k_run_id}}}}})}});
    }
    return not_found();
  });
  const auto done = teardown_lab(context(), rows, *m_client, k_sub);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(count("GET " + stray), 1U);
  EXPECT_EQ(count("DELETE " + stray), 0U);

  const DiscoverQuery query{"", false, m_clock->now(), nullptr, {}};
  const auto found = discover_tagged(query, {k_sub}, *m_client);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->found.empty());
  EXPECT_EQ(found->confirmed_gone, 1U);
}

// Given groups with a past, a future and a garbled TTL, expect --expired to find only the past
// one, with the run id and TTL of the group's own GET rather than of the index.
TEST_F(AzureTeardownTest, ExpiredDiscoveryKeepsOnlyProvablyExpiredGroups) {
  const std::map<std::string, std::string> ttl = {{"labctl-old", "2020-01-01T00:00:00Z"},
                                                  {"labctl-new", "2099-01-01T00:00:00Z"},
                                                  {"labctl-bad", "soon"}};
  m_transport->set_handler([&](const auto& request) {
    const auto what = call(request);
    if (what == "POST /providers/Microsoft.ResourceGraph/resources") {
      auto data = nlohmann::json::array();
      if (request.body.find("ResourceContainers") != std::string::npos) {
        for (const auto& [name, when] : ttl) {
          data.push_back({{"id", group_id(name)}, {"tags", {{k_tag_run_id, "index-says"}}}});
        }
      }
      return json_answer(200, {{"data", data}});
    }
    for (const auto& [name, when] : ttl) {
      if (what == "GET " + group_id(name)) {
        return json_answer(200, group(name, "20200101T000000Z-cloudedge-" + name, when));
      }
    }
    return not_found();
  });
  const DiscoverQuery query{"", true, m_clock->now(), nullptr, {}};
  const auto found = discover_tagged(query, {k_sub}, *m_client);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->found.size(), 1U);
  EXPECT_EQ(found->found[0].cloud_id, group_id("labctl-old"));
  EXPECT_EQ(found->found[0].kind, "resourceGroup");
  EXPECT_EQ(found->found[0].run_id, "20200101T000000Z-cloudedge-labctl-old");
  EXPECT_EQ(found->found[0].region, "westeurope");
}

// Given a run id that could end a Kusto string literal, expect a usage error and nothing sent.
TEST_F(AzureTeardownTest, RunIdThatIsNotLabctlsNeverReachesAQuery) {
  const DiscoverQuery query{
      "20261205T000000Z-cloudedge-x' or 1==1 or '", false, m_clock->now(), nullptr, {}};
  const auto found = discover_tagged(query, {k_sub}, *m_client);
  ASSERT_FALSE(found);
  EXPECT_TRUE(m_transport->requests().empty());
  EXPECT_FALSE(kusto_run_id("a'b"));
  EXPECT_EQ(*kusto_run_id(k_run_id), std::string("'") + k_run_id + "'");
}

// Given AZURE_SUBSCRIPTION_ID, expect that one subscription, asked of ARM; without it, every
// Enabled subscription GET /subscriptions lists with a GUID id.
TEST_F(AzureTeardownTest, JanitorSubscriptions) {
  const std::string other = "11111111-2222-4333-8444-555555555555";
  m_transport->set_handler([&](const auto& request) {
    if (call(request) == std::string("GET /subscriptions/") + k_sub) {
      return json_answer(200, {{"subscriptionId", k_sub}, {"state", "Enabled"}});
    }
    return json_answer(
        200, {{"value",
               {{{"subscriptionId", other}, {"state", "Enabled"}},
                {{"subscriptionId", "22222222-2222-4333-8444-555555555555"}, {"state", "Disabled"}},
                {{"subscriptionId", "../../x"}, {"state", "Enabled"}}}}});
  });
  const auto one = janitor_subscriptions(
      *m_client, labctl::testing::env_map({{"AZURE_SUBSCRIPTION_ID", k_sub}}));
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(*one, std::vector<std::string>{k_sub});
  const auto all = janitor_subscriptions(*m_client, labctl::testing::env_map({}));
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, std::vector<std::string>{other});
}

// Given a credential chain that finds no credentials, expect its usage error to come back as
// is (the provider turns it into the one-line "no credentials" warning).
TEST_F(AzureTeardownTest, NoCredentialsStaysAUsageError) {
  ArmClientOptions options;
  options.endpoint = k_endpoint;
  const ArmClient client(options, ArmClientDeps{.transport = m_transport,
                                                .token = []() -> Expected<std::string> {
                                                  return fail(ExitCode::usage, "no credentials");
                                                },
                                                .clock = m_clock,
                                                .unit_random = [] { return 0.0; },
                                                .deadline = nullptr});
  const auto found = janitor_subscriptions(client, labctl::testing::env_map({}));
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, ExitCode::usage) << found.error().message;
  EXPECT_TRUE(m_transport->requests().empty());
}

}  // namespace
}  // namespace labctl::providers::azure
