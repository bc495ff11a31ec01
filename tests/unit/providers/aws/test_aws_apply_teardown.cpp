// The aws provider's bring-up and teardown through the Provider interface, against an in-memory
// EC2 behind a recording HTTP transport (tests/fakes/ec2/memory_ec2.hpp) and a manual clock: no
// binary, no Python fake, no wall-clock waits.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "core/tags.hpp"
#include "providers/aws/aws_plan.hpp"
#include "providers/aws/aws_provider.hpp"
#include "providers/aws/aws_resources.hpp"
#include "tests/fakes/ec2/memory_ec2.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_run.hpp"
#include "tests/fakes/env_map.hpp"

namespace labctl::providers::aws {
namespace {

using testing::MemoryEc2;

constexpr const char* k_run_id = "20261205T000000Z-cloudedge-unit";

bool mutating(const std::string& action) { return !action.starts_with("Describe"); }

// The run-id tag value a create's TagSpecification.1 carries, "" when it carries none.
std::string tagged_run_id(const MemoryEc2::Call& call) {
  for (int i = 1;; ++i) {
    const auto key = call.params.find("TagSpecification.1.Tag." + std::to_string(i) + ".Key");
    if (key == call.params.end()) return "";
    if (key->second == k_tag_run_id) {
      return call.params.at("TagSpecification.1.Tag." + std::to_string(i) + ".Value");
    }
  }
}

class AwsApplyTeardownTest : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto loaded = profile::load(std::string(LABCTL_SOURCE_DIR) + "/profiles/provider.yaml");
    ASSERT_TRUE(loaded) << loaded.error().message;
    m_profile = *loaded;
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
    m_run = labctl::testing::unit_aws_run(k_run_id, "provider");
    auto inserted = m_store->insert_run(m_run);
    ASSERT_TRUE(inserted) << inserted.error().message;
    m_run.run_id = *inserted;

    const EnvLookup env = labctl::testing::env_map({{"AWS_ACCESS_KEY_ID", "AKIAUNITTEST00000000"},
                                                    {"AWS_SECRET_ACCESS_KEY", "unit-secret"},
                                                    {"AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9"},
                                                    {"AWS_EC2_METADATA_DISABLED", "true"}});
    auto clients = std::make_shared<Ec2ClientFactories>(
        [env, clock = m_clock, transport = m_ec2.transport()](bool live) {
          return Expected<std::shared_ptr<Ec2ClientFactory>>(std::make_shared<Ec2ClientFactory>(
              env, live, RetryPolicy{}, clock, transport, false, AwsLimits{}));
        });
    m_provider = make_aws_provider(std::move(clients), env, m_clock, nullptr);
  }

  RunContext context() {
    return RunContext{m_run, m_profile,
                      make_tags(m_run.run_id, m_run.owner, m_run.ttl_expires_at, "aws",
                                m_run.purpose),
                      *m_store, *m_clock, false};
  }

  Plan apply() {
    const auto ctx = context();
    auto plan = m_provider->plan_up(ctx);
    EXPECT_TRUE(plan) << plan.error().message;
    const auto applied = m_provider->apply_up(ctx, *plan);
    EXPECT_TRUE(applied) << applied.error().message;
    return *plan;
  }

  // The run's rows not yet deleted, newest first (as teardown receives them).
  std::vector<state::ResourceRecord> live_rows() {
    auto rows = m_store->resources(m_run.run_id);
    EXPECT_TRUE(rows);
    std::vector<state::ResourceRecord> out;
    for (auto it = rows->rbegin(); it != rows->rend(); ++it) {
      if (it->state != state::k_res_deleted) out.push_back(*it);
    }
    return out;
  }

  profile::Profile m_profile;
  std::unique_ptr<state::Store> m_store;
  state::RunRecord m_run;
  std::shared_ptr<labctl::testing::ManualClock> m_clock =
      std::make_shared<labctl::testing::ManualClock>();
  MemoryEc2 m_ec2;
  std::unique_ptr<Provider> m_provider;
};

// Given the provider profile, expect every mutating call to be preceded by its intent row (the
// newest row is an intent when the call arrives), the calls in plan order, every create tagged
// with this run at creation, and every row created afterwards.
TEST_F(AwsApplyTeardownTest, ApplyRecordsIntentFirstAndCreatesTaggedInPlanOrder) {
  std::size_t sent = 0;
  std::vector<std::string> problems;
  m_ec2.observe([&](const MemoryEc2::Call& call) {
    if (!mutating(call.action)) return;
    ++sent;
    const auto rows = m_store->resources(m_run.run_id);
    // The ENI and volume rows RunInstances made are recorded after its answer, not sent.
    const auto own = rows ? std::count_if(rows->begin(), rows->end(),
                                          [](const auto& row) {
                                            return !row.attrs.contains("instance");
                                          })
                          : 0;
    if (!rows || static_cast<std::size_t>(own) != sent ||
        rows->back().state != state::k_res_intent) {
      problems.push_back(call.action + " arrived without its intent row");
    }
  });
  const Plan plan = apply();
  m_ec2.observe(nullptr);
  EXPECT_EQ(problems, std::vector<std::string>{});

  std::vector<std::string> planned, called;
  for (const auto& op : plan.operations) {
    if (op.mutating) planned.push_back(op.action);
  }
  for (const auto& call : m_ec2.calls()) {
    if (mutating(call.action)) called.push_back(call.action);
  }
  ASSERT_FALSE(planned.empty());
  EXPECT_EQ(called, planned);
  EXPECT_EQ(std::count(called.begin(), called.end(), "RunInstances"), 3);

  for (const auto& call : m_ec2.calls()) {
    if (call.action.starts_with("Create") || call.action == "RunInstances") {
      if (call.action == "CreateRoute") continue;  // a route is no resource of its own
      EXPECT_EQ(tagged_run_id(call), m_run.run_id) << call.action << " is not tagged at creation";
    }
  }
  for (const auto& row : live_rows()) {
    EXPECT_EQ(row.state, state::k_res_created) << row.kind << " " << row.name;
  }
}

// Given an applied run, a security group answering DependencyViolation twice and instances
// that take a describe to terminate, expect the instances fenced by tag before the first
// mutating call, terminated and waited for, then the network pieces deleted in dependency
// order with the violation retried after backoff sleeps, and every row marked deleted.
TEST_F(AwsApplyTeardownTest, TeardownFencesTerminatesWaitsAndDeletesInDependencyOrder) {
  apply();
  const std::size_t applied_calls = m_ec2.calls().size();
  m_ec2.fail_next("DeleteSecurityGroup", "DependencyViolation", 2);
  m_ec2.set_describes_until_terminated(2);

  const auto torn = m_provider->teardown(context(), live_rows());
  ASSERT_TRUE(torn) << torn.error().message;

  const auto all = m_ec2.calls();
  const std::vector<MemoryEc2::Call> calls(all.begin() + static_cast<std::ptrdiff_t>(applied_calls),
                                           all.end());
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front().action, "DescribeInstances") << "the tag fence comes first";
  std::vector<std::string> mutations;
  for (const auto& call : calls) {
    if (mutating(call.action)) mutations.push_back(call.action);
  }
  ASSERT_FALSE(mutations.empty());
  EXPECT_EQ(mutations.front(), "TerminateInstances");

  const auto first = [&](const std::string& action) {
    return std::find_if(calls.begin(), calls.end(),
                        [&](const auto& c) { return c.action == action; }) -
           calls.begin();
  };
  // The wait: a describe of the instances after TerminateInstances, before any other delete.
  const auto terminate_at = first("TerminateInstances");
  const auto wait_at = std::find_if(calls.begin() + terminate_at, calls.end(), [](const auto& c) {
                         return c.action == "DescribeInstances";
                       }) -
                       calls.begin();
  EXPECT_LT(wait_at, first("DeleteSecurityGroup"));
  const std::vector<std::string> order{"DeleteSecurityGroup", "DeleteKeyPair",
                                       "DeleteRouteTable",    "DeleteInternetGateway",
                                       "DeleteSubnet",        "DeleteVpc"};
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {
    EXPECT_LT(first(order[i]), first(order[i + 1])) << order[i] << " before " << order[i + 1];
  }
  EXPECT_EQ(std::count(mutations.begin(), mutations.end(), "DeleteSecurityGroup"), 3);
  const auto sleeps = m_clock->sleeps();
  EXPECT_NE(std::find(sleeps.begin(), sleeps.end(), std::chrono::milliseconds(1000)), sleeps.end());
  EXPECT_NE(std::find(sleeps.begin(), sleeps.end(), std::chrono::milliseconds(2000)), sleeps.end());

  EXPECT_EQ(live_rows().size(), 0U);
  for (const auto& [id, resource] : m_ec2.resources()) {
    if (resource.kind == "instance") {
      EXPECT_EQ(resource.state, "terminated") << id;
    } else {
      ADD_FAILURE() << resource.kind << " " << id << " was not deleted";
    }
  }
}

// Given a recorded row naming a security group that is not tagged with this run, expect the
// teardown to refuse it (exit 4), send it no delete, and leave the resource in place.
TEST_F(AwsApplyTeardownTest, TeardownRefusesAResourceNotTaggedWithTheRun) {
  const std::string foreign = m_ec2.add("security-group", {{k_tag_run_id, "someone-else"}});
  state::ResourceRecord row;
  row.run_id = m_run.run_id;
  row.provider = "aws";
  row.kind = "security-group";
  row.name = "lab";
  row.region = "us-east-1";
  auto id = m_store->record_intent(row);
  ASSERT_TRUE(id);
  ASSERT_TRUE(m_store->mark_created(*id, foreign, nlohmann::json::object()));

  const auto torn = m_provider->teardown(context(), live_rows());
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error().code, ExitCode::refused);
  for (const auto& call : m_ec2.calls()) EXPECT_FALSE(mutating(call.action)) << call.action;
  EXPECT_TRUE(m_ec2.resources().contains(foreign));
}

// Given an endpoint that ignores the create-time tags of ENIs, volumes and security groups,
// expect apply to add the five tags to each with CreateTags, record the instances' ENIs and
// volumes as rows, and a teardown afterwards to pass the run's own tag fence and leave nothing.
TEST_F(AwsApplyTeardownTest, ApplyAddsTheTagsAnEndpointDroppedSoTheFenceKeepsTheRunsOwn) {
  m_ec2.drop_create_tags({"network-interface", "volume", "security-group"});
  apply();
  const auto tags = context().tags.pairs();
  std::size_t enis = 0, volumes = 0;
  for (const auto& [id, resource] : m_ec2.resources()) {
    enis += resource.kind == "network-interface" ? 1 : 0;
    volumes += resource.kind == "volume" ? 1 : 0;
    for (const auto& [key, value] : tags) {
      const auto tag = resource.tags.find(key);
      EXPECT_TRUE(tag != resource.tags.end() && tag->second == value)
          << resource.kind << " " << id << " lacks " << key;
    }
  }
  EXPECT_EQ(enis, 3U);
  EXPECT_EQ(volumes, 3U);
  const auto calls = m_ec2.calls();
  EXPECT_GE(std::count_if(calls.begin(), calls.end(),
                          [](const auto& c) { return c.action == "CreateTags"; }),
            3);
  std::size_t attached_rows = 0;
  for (const auto& row : live_rows()) {
    if (row.kind == "network-interface" || row.kind == "volume") ++attached_rows;
  }
  EXPECT_EQ(attached_rows, 6U);

  const auto torn = m_provider->teardown(context(), live_rows());
  ASSERT_TRUE(torn) << torn.error().message;
  for (const auto& [id, resource] : m_ec2.resources()) {
    EXPECT_EQ(resource.kind, "instance") << resource.kind << " " << id << " left behind";
  }
}

// Given a tag index that keeps the tags of deleted resources, expect discovery before the
// teardown to find every tagged resource, and after it to find none and count every lingering
// hit as confirmed gone by its describe.
TEST_F(AwsApplyTeardownTest, DiscoveryConfirmsEachTagIndexHitByItsDescribe) {
  m_ec2.linger_tags(true);
  apply();
  const std::size_t tagged = m_ec2.resources().size();
  const DiscoverQuery query{m_run.run_id, false, m_clock->now(), &m_profile, {"us-east-1"}};
  const auto before = m_provider->discover(query);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->found.size(), tagged);
  EXPECT_EQ(before->confirmed_gone, 0U);

  ASSERT_TRUE(m_provider->teardown(context(), live_rows()));
  const auto after = m_provider->discover(query);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(after->found.empty())
      << after->found.front().kind << " " << after->found.front().cloud_id;
  EXPECT_EQ(after->confirmed_gone, tagged);
}

// Given a describe that fails for a while, expect discovery to ask again with growing sleeps
// and succeed; given one that never answers, expect an error (exit 3) naming the kind and id
// of each hit it could not confirm, after a bounded wait.
TEST_F(AwsApplyTeardownTest, DiscoveryAsksAgainThenNamesTheHitsItCouldNotConfirm) {
  apply();
  const DiscoverQuery query{m_run.run_id, false, m_clock->now(), &m_profile, {"us-east-1"}};
  m_ec2.fail_next("DescribeVpcs", "InvalidParameterValue", 2);
  const auto recovered = m_provider->discover(query);
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_EQ(recovered->found.size(), m_ec2.resources().size());

  std::string vpc;
  for (const auto& [id, resource] : m_ec2.resources()) {
    if (resource.kind == "vpc") vpc = id;
  }
  ASSERT_FALSE(vpc.empty());
  m_ec2.fail_next("DescribeVpcs", "InvalidParameterValue", 1000000);
  const auto start = m_clock->steady_now();
  const auto failed = m_provider->discover(query);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ExitCode::provider);
  EXPECT_NE(failed.error().message.find("vpc " + vpc), std::string::npos)
      << failed.error().message;
  EXPECT_LE(m_clock->steady_now() - start, std::chrono::seconds(61));
  EXPECT_GE(m_clock->steady_now() - start, std::chrono::seconds(50));
}

// Given an applied run, expect the key pair deleted by the name labctl gave it (no KeyPairId)
// and confirmed gone by DescribeKeyPairs filtered by that name.
TEST_F(AwsApplyTeardownTest, KeyPairIsDeletedByItsNameAndConfirmedGone) {
  apply();
  ASSERT_TRUE(m_provider->teardown(context(), live_rows()));
  const auto calls = m_ec2.calls();
  const auto deleted = std::find_if(calls.begin(), calls.end(),
                                    [](const auto& c) { return c.action == "DeleteKeyPair"; });
  ASSERT_NE(deleted, calls.end());
  EXPECT_EQ(deleted->params.at("KeyName"), key_pair_name(m_run.run_id));
  EXPECT_FALSE(deleted->params.contains("KeyPairId"));
  const auto confirmed = std::find_if(deleted, calls.end(), [](const auto& c) {
    return c.action == "DescribeKeyPairs" && c.params.contains("Filter.1.Name") &&
           c.params.at("Filter.1.Name") == "key-name";
  });
  EXPECT_NE(confirmed, calls.end()) << "no DescribeKeyPairs by key-name after the delete";
}

// Given an endpoint that answers DeleteKeyPair with success and deletes nothing, expect the
// teardown to fail (exit 3) with the key pair's row failed, not marked deleted.
TEST_F(AwsApplyTeardownTest, ADeleteAnsweredButNotDoneIsNotTakenAsDone) {
  apply();
  m_ec2.ignore_deletes("key-pair");
  const auto torn = m_provider->teardown(context(), live_rows());
  ASSERT_FALSE(torn);
  EXPECT_EQ(torn.error().code, ExitCode::provider);
  EXPECT_NE(torn.error().message.find("key-pair"), std::string::npos) << torn.error().message;
  const auto left = live_rows();
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left.front().kind, "key-pair");
  EXPECT_EQ(left.front().state, state::k_res_failed);
}

}  // namespace
}  // namespace labctl::providers::aws
