#include "providers/action_contract.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "core/json_io.hpp"
#include "tests/unit/executor/contract_documents.hpp"

namespace labctl::providers {
namespace {

using test_documents::plan_of;
using test_documents::request_document;

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

// Given a capture whose ownershipEpoch is missing or anything but a non-negative integer (the
// string "1" once bypassed the stale-action fence), expect a usage error that names the epoch.
TEST(Contract, CaptureNeedsAnIntegerEpoch) {
  for (const char* epoch : {"\"1\"", "1e300", "1.5", "-1", "true", "null", "1.0",
                            "18446744073709551615", "[1]"}) {
    auto document = request_document();
    document["spec"]["parameters"]["ownershipEpoch"] = nlohmann::json::parse(epoch);
    const auto parsed = parse_request(document);
    ASSERT_FALSE(parsed) << epoch;
    EXPECT_EQ(parsed.error().code, ExitCode::usage);
    EXPECT_NE(parsed.error().message.find("ownershipEpoch"), std::string::npos)
        << epoch << ": " << parsed.error().message;
  }
  auto missing = request_document();
  missing["spec"]["parameters"].erase("ownershipEpoch");
  const auto parsed = parse_request(missing);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("needs spec.parameters.ownershipEpoch"), std::string::npos)
      << parsed.error().message;
  missing["spec"].erase("parameters");
  EXPECT_FALSE(parse_request(missing));
  // Only a capture needs one.
  missing["spec"]["action"] = k_unassign;
  EXPECT_TRUE(parse_request(missing));
}

// Given idempotency keys with control characters (C0, DEL, C1 such as U+0085 and the CSI
// U+009B), expect a usage error: keys are printed in tables and logs.
TEST(Contract, KeysHaveNoControlCharacters) {
  for (const std::string key : {"k\nforged", "k\r", "\x1b[2Jk", "k\x7f", "k\u0085", "k\u009b31m",
                                "k\t"}) {
    auto document = request_document();
    document["spec"]["idempotencyKey"] = key;
    const auto parsed = parse_request(document);
    ASSERT_FALSE(parsed) << key;
    EXPECT_EQ(parsed.error().code, ExitCode::usage);
  }
  auto document = request_document();
  document["spec"]["idempotencyKey"] = "run/assign \u00e9\u2603/e1";  // printable non-ASCII is fine
  EXPECT_TRUE(parse_request(document));
}

// Given hostile request text — a 40,000-character nicRef, parameters nested 100,000 deep, bad
// UTF-8, a second document, 1e400 — expect a usage error naming the input, quickly, no crash.
TEST(Contract, ReadRequestRefusesHostileText) {
  auto long_ref = request_document();
  long_ref["spec"]["target"]["nicRef"] = "eni-" + std::string(40000, 'a');
  std::string deep = json_io::dump(request_document());
  deep.replace(deep.find("{\"allowReassignment\""), 0,
               "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "},");
  const std::vector<std::string> texts{
      json_io::dump(long_ref), deep, "{\"apiVersion\":\"\xff\"}",
      json_io::dump(request_document()) + " {}",
      json_io::dump(request_document()).replace(json_io::dump(request_document()).find(":2"), 2,
                                                ":1e400"),
  };
  for (const auto& text : texts) {
    const auto started = std::chrono::steady_clock::now();
    const auto parsed = read_request(text, "stdin");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
    ASSERT_FALSE(parsed) << text.substr(0, 80);
    EXPECT_EQ(parsed.error().code, ExitCode::usage);
    EXPECT_TRUE(parsed.error().message.starts_with("stdin")) << parsed.error().message;
  }
  EXPECT_TRUE(read_request(json_io::dump(request_document()), "stdin"));
}


// Given a plan envelope that is not the one `labctl action plan` writes, expect a usage error.
TEST(Contract, PlanEnvelopeIsClosed) {
  const std::vector<std::function<void(nlohmann::json&)>> breaks{
      [](nlohmann::json& p) { p["kind"] = "Plan"; },
      [](nlohmann::json& p) { p.erase("kind"); },
      [](nlohmann::json& p) { p["apiVersion"] = "v1"; },
      [](nlohmann::json& p) { p["runId"] = 7; },
      [](nlohmann::json& p) { p["runId"] = "20260601T030000Z-cloudedge-" + std::string(400, 'a'); },
      [](nlohmann::json& p) { p["runId"] = "not-a-run"; },
      [](nlohmann::json& p) { p["actions"] = nlohmann::json::object(); },
      [](nlohmann::json& p) { p.erase("actions"); },
      [](nlohmann::json& p) { p["extra"] = true; },
      [](nlohmann::json& p) { p = nlohmann::json::array(); },
  };
  for (std::size_t i = 0; i < breaks.size(); ++i) {
    auto plan = plan_of(1);
    breaks[i](plan);
    const auto read = read_plan(json_io::dump(plan), "plan.json");
    ASSERT_FALSE(read) << i;
    EXPECT_EQ(read.error().code, ExitCode::usage) << i;
  }
  // One ExecuteActionRequest is a plan of one, its run the request's context.runId.
  const auto one = read_plan(json_io::dump(request_document()), "request.json");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->actions.size(), 1U);
  EXPECT_EQ(one->run_id, "20260601T030000Z-cloudedge-d5");
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
}  // namespace labctl::providers
