// The holder of an aws run's service address (providers/aws/aws_holder.hpp): the address and
// its expected ENI replayed from the journal, the holder read from one DescribeNetworkInterfaces
// scoped by documented filters, mapped to a router's node name behind the tag fence. EC2 is a
// recording HTTP transport answering that one describe.
#include "providers/aws/aws_holder.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/action_journal.hpp"
#include "core/tags.hpp"
#include "providers/action_contract.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_run.hpp"

namespace labctl::providers::aws {
namespace {

using labctl::testing::FakeHttpTransport;

constexpr const char* k_run_id = "20261205T000000Z-cloudedge-holder";
constexpr const char* k_address = "10.240.1.50";
constexpr const char* k_subnet = "subnet-0a1b2c3d";
constexpr const char* k_eni_a = "eni-0000000000000000a";
constexpr const char* k_eni_b = "eni-0000000000000000b";

class AwsHolderTest : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
    m_run = labctl::testing::unit_aws_run(k_run_id, "provider");
    auto inserted = m_store->insert_run(m_run);
    ASSERT_TRUE(inserted) << inserted.error().message;
    add_router("aws-router-a", "router-a", "i-0000000000000000a", k_eni_a);
    add_router("aws-router-b", "router-b", "i-0000000000000000b", k_eni_b);

    const EnvLookup env = labctl::testing::env_map({{"AWS_ACCESS_KEY_ID", "AKIAUNITTEST00000000"},
                                                    {"AWS_SECRET_ACCESS_KEY", "unit-secret"},
                                                    {"AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9"},
                                                    {"AWS_EC2_METADATA_DISABLED", "true"}});
    m_transport->set_handler([this](const FakeHttpTransport::Request&) {
      return FakeHttpTransport::respond(200, answer());
    });
    m_factory = std::make_shared<Ec2ClientFactory>(env, false, RetryPolicy{}, m_clock, m_transport,
                                                   false, AwsLimits{});
  }

  void add_router(const std::string& node, const std::string& role, const std::string& instance,
                  const std::string& eni) {
    state::ResourceRecord row;
    row.run_id = k_run_id;
    row.provider = "aws";
    row.kind = "instance";
    row.name = node;
    row.region = "us-east-1";
    row.request = {{"NetworkInterface.1.SubnetId", k_subnet}};
    row.attrs = {{"site", "aws"}, {"role", role}};
    auto id = m_store->record_intent(row);
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(m_store->mark_created(*id, instance, {{"eniId", eni}, {"role", role}}));
  }

  // Journals `action` of the address on `eni` as succeeded.
  void journal(const std::string& action, const std::string& eni) {
    journal::ActionRow row;
    row.idempotency_key =
        std::string(k_run_id) + "/" + action + "/" + eni + "/" + std::to_string(++m_keys);
    row.source = "plan";
    row.run_id = k_run_id;
    row.provider = "aws";
    row.action = action;
    row.target = {{"nicRef", eni}, {"address", k_address}, {"region", "us-east-1"}};
    row.address = k_address;
    ASSERT_TRUE(journal::import_action(*m_store, row));
    ASSERT_TRUE(journal::record_result(*m_store, row.idempotency_key, journal::k_succeeded, "ok",
                                       nlohmann::json::object(), ""));
  }

  // The describe's answer: `m_holder` ("" for none) tagged with `m_holder_run` ("" for no tag).
  std::string answer() const {
    std::string items;
    if (!m_holder.empty()) {
      items = "<item><networkInterfaceId>" + m_holder + "</networkInterfaceId><subnetId>" +
              k_subnet + "</subnetId><tagSet>" +
              (m_holder_run.empty() ? std::string()
                                    : "<item><key>routerd.cloudedge.run_id</key><value>" +
                                          m_holder_run + "</value></item>") +
              "</tagSet></item>";
    }
    return "<DescribeNetworkInterfacesResponse><requestId>r</requestId><networkInterfaceSet>" +
           items + "</networkInterfaceSet></DescribeNetworkInterfacesResponse>";
  }

  Expected<std::string> holder() {
    const profile::Profile profile;
    const RunContext ctx{
        m_run,    profile,  make_tags(k_run_id, "unit", m_run.ttl_expires_at, "aws", "unit-test"),
        *m_store, *m_clock, false};
    return gateway_holder(ctx, "aws", *m_factory);
  }

  std::unique_ptr<state::Store> m_store;
  state::RunRecord m_run;
  std::shared_ptr<labctl::testing::ManualClock> m_clock =
      std::make_shared<labctl::testing::ManualClock>();
  std::shared_ptr<FakeHttpTransport> m_transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<Ec2ClientFactory> m_factory;
  std::string m_holder;
  std::string m_holder_run = k_run_id;
  int m_keys = 0;
};

// Given router-a's captured address now on router-b's tagged ENI, expect "aws-router-b", asked
// with one describe filtered by the address and the run's subnet (documented filter names).
TEST_F(AwsHolderTest, MapsTheHoldingEniToItsRouter) {
  journal(k_assign, k_eni_a);
  m_holder = k_eni_b;
  auto held = holder();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, "aws-router-b");
  const auto requests = m_transport->requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& body = requests.front().body;
  EXPECT_NE(body.find("Action=DescribeNetworkInterfaces"), std::string::npos) << body;
  EXPECT_NE(body.find("Filter.1.Name=addresses.private-ip-address"), std::string::npos) << body;
  EXPECT_NE(body.find("Filter.1.Value.1=10.240.1.50"), std::string::npos) << body;
  EXPECT_NE(body.find("Filter.2.Name=subnet-id"), std::string::npos) << body;
  EXPECT_NE(body.find(std::string("Filter.2.Value.1=") + k_subnet), std::string::npos) << body;
}

// Given no ENI answering for the address, expect "" (no router holds it yet).
TEST_F(AwsHolderTest, NobodyHoldsItIsEmpty) {
  journal(k_assign, k_eni_a);
  auto held = holder();
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(*held, "");
}

// Given the address on an ENI that is not one of the run's routers, expect a refusal naming it,
// never a holder.
TEST_F(AwsHolderTest, AForeignEniIsRefused) {
  journal(k_assign, k_eni_a);
  m_holder = "eni-0fffffffffffffff0";
  m_holder_run = "";
  auto held = holder();
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, ExitCode::refused);
  EXPECT_NE(held.error().message.find("eni-0fffffffffffffff0, which is not an ENI of run"),
            std::string::npos)
      << held.error().message;
}

// Given the address on router-b's ENI carrying another run's run_id tag, expect a refusal: the
// state row alone does not make a resource ours.
TEST_F(AwsHolderTest, OurEniWithoutTheRunTagIsRefused) {
  journal(k_assign, k_eni_a);
  m_holder = k_eni_b;
  m_holder_run = "20261205T000000Z-cloudedge-other";
  auto held = holder();
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, ExitCode::refused);
}

// Given a capture undone by a succeeded unassign, expect no service address (usage error saying
// how to capture one) and nothing sent to EC2.
TEST_F(AwsHolderTest, AReleasedCaptureLeavesNoServiceAddress) {
  journal(k_assign, k_eni_a);
  journal(k_unassign, k_eni_a);
  auto held = holder();
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, ExitCode::usage);
  EXPECT_NE(held.error().message.find("labctl action plan"), std::string::npos);
  EXPECT_TRUE(m_transport->requests().empty());
}

// Given a capture on router-a, then a seize onto router-b, expect router-b's ENI as the
// journal's holder of the address.
TEST_F(AwsHolderTest, TheNewestCaptureIsTheJournalsHolder) {
  journal(k_assign, k_eni_a);
  journal(k_assign, k_eni_b);
  auto routers = run_routers(*m_store, k_run_id);
  ASSERT_TRUE(routers);
  auto addresses = service_addresses(*m_store, k_run_id, *routers);
  ASSERT_TRUE(addresses) << addresses.error().message;
  ASSERT_EQ(addresses->size(), 1u);
  EXPECT_EQ(addresses->front().expected_eni, k_eni_b);
  EXPECT_EQ(addresses->front().expected_node, "aws-router-b");
  EXPECT_EQ(addresses->front().site, "aws");
}

}  // namespace
}  // namespace labctl::providers::aws
