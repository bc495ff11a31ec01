#include "executor/contract.hpp"

#include <gtest/gtest.h>

namespace labctl::executor {
namespace {

nlohmann::json request_document() {
  return {{"apiVersion", k_api_version},
          {"kind", "ExecuteActionRequest"},
          {"spec",
           {{"action", "assign-secondary-ip"},
            {"provider", "aws"},
            {"target", {{"nicRef", "eni-0abc123"}, {"address", "10.0.1.50"},
                        {"region", "us-east-1"}}},
            {"parameters", {{"allowReassignment", true}, {"ownershipEpoch", 2}}},
            {"mode", "execute"},
            {"idempotencyKey", "k1"},
            {"context", {{"runId", "20260601T030000Z-cloudedge-d5"}}}}}};
}

// Given the runbook's request, expect every field parsed and a round trip to the same document.
TEST(Contract, ParsesTheRunbooksRequestAndRoundTrips) {
  const auto parsed = parse_request(request_document());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->action, k_assign);
  EXPECT_EQ(parsed->target.nic_ref, "eni-0abc123");
  EXPECT_EQ(parsed->target.address, "10.0.1.50");
  EXPECT_EQ(parsed->mode, k_mode_execute);
  EXPECT_EQ(parsed->parameters["ownershipEpoch"], 2);
  EXPECT_EQ(parsed->context["runId"], "20260601T030000Z-cloudedge-d5");
  EXPECT_EQ(nlohmann::json::parse(to_json(*parsed).dump()), request_document());
}

// Given each kind of malformed request, expect a usage error that names the problem.
TEST(Contract, RejectsMalformedRequestsWithTheReason) {
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> cases{
      {"/spec/mode", [](nlohmann::json& d) { d["spec"]["mode"] = "yolo"; }},
      {"/spec/target/nicRef", [](nlohmann::json& d) { d["spec"]["target"]["nicRef"] = "i-123"; }},
      {"/spec/action", [](nlohmann::json& d) { d["spec"]["action"] = "delete-vpc"; }},
      {"idempotencyKey", [](nlohmann::json& d) { d["spec"].erase("idempotencyKey"); }},
      {"/kind", [](nlohmann::json& d) { d["kind"] = "ExecuteActionResult"; }},
      {"/spec/target/address", [](nlohmann::json& d) { d["spec"]["target"]["address"] = "10.0.1"; }},
      {"secret", [](nlohmann::json& d) { d["spec"]["secret"] = "x"; }},
  };
  for (const auto& [needle, mutate] : cases) {
    auto document = request_document();
    mutate(document);
    const auto parsed = parse_request(document);
    ASSERT_FALSE(parsed) << needle;
    EXPECT_EQ(parsed.error().code, ExitCode::usage);
    EXPECT_NE(parsed.error().message.find(needle), std::string::npos)
        << needle << " not in: " << parsed.error().message;
  }
}

// Given an IP action without an address (the schema allows it for forwarding actions), expect
// a usage error; a forwarding action without one parses.
TEST(Contract, IpActionsNeedAnAddress) {
  auto document = request_document();
  document["spec"]["target"].erase("address");
  const auto parsed = parse_request(document);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("needs spec.target.address"), std::string::npos);
  document["spec"]["action"] = k_forwarding_on;
  EXPECT_TRUE(parse_request(document));
}

// Expect each mutating action's undo to be its runbook counterpart, and undos to have none.
TEST(Contract, UndoPairs) {
  EXPECT_EQ(undo_action_of(k_assign), k_unassign);
  EXPECT_EQ(undo_action_of(k_forwarding_on), k_forwarding_off);
  EXPECT_EQ(undo_action_of(k_unassign), "");
  EXPECT_EQ(undo_action_of(k_forwarding_off), "");
}

// Expect a result document to carry the contract's fields, error only when there is one.
TEST(Contract, ResultDocument) {
  const auto ok = to_json(ActionResult{"skipped", "left as is", {{"priorSourceDestCheck", false}},
                                       false, ""});
  EXPECT_EQ(ok["kind"], "ExecuteActionResult");
  EXPECT_EQ(ok["status"]["status"], "skipped");
  EXPECT_EQ(ok["status"]["observed"]["priorSourceDestCheck"], false);
  EXPECT_FALSE(ok["status"].contains("error"));
  const auto failed = to_json(ActionResult{"failed", "m", {}, false, "UnauthorizedOperation"});
  EXPECT_EQ(failed["status"]["error"], "UnauthorizedOperation");
}

}  // namespace
}  // namespace labctl::executor
