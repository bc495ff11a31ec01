// The contract's reader on a 20,000-row plan. Its own executable: the scale tests run once, in
// the optimized build (label release-only, scripts/test.sh); under the sanitizers they add time,
// not coverage (test_contract.cpp drives the same code).
#include <gtest/gtest.h>

#include "core/json_io.hpp"
#include "providers/action_contract.hpp"
#include "tests/unit/executor/contract_documents.hpp"

namespace labctl::providers {
namespace {

using test_documents::plan_of;

// Given a 20,000-row plan, expect it read whole (the schema is compiled once; its speed is not
// asserted here: a wall-clock bound flakes under ASan on two cores); given the same plan with
// only its last row bad, expect the whole plan refused, naming that row.
TEST(Contract, ReadsLargePlansAndRefusesThemWhole) {
  auto plan = plan_of(20000);
  const auto read = read_plan(json_io::dump(plan, 2), "plan.json");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->actions.size(), 20000U);
  EXPECT_EQ(read->run_id, "20260601T030000Z-cloudedge-d5");
  EXPECT_EQ(read->actions.back().idempotency_key, "k19999");

  plan["actions"].back()["spec"]["parameters"]["ownershipEpoch"] = "1";
  const auto bad = read_plan(json_io::dump(plan), "plan.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ExitCode::usage);
  EXPECT_NE(bad.error().message.find("actions[19999]"), std::string::npos);
}

}  // namespace
}  // namespace labctl::providers
