// The aws provider against a misbehaving EC2 endpoint (issue 17, classes 1, 4 and 5): answers
// that are not UTF-8, success answers without (or with repeated) ids, answers that stall after
// their headers and listings whose nextToken alternates. Each run must end with a documented
// exit code, no crash, an intact state and, once the endpoint behaves again, nothing left.

#include <chrono>
#include <thread>

#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class EndpointFaultTest : public Ec2FakeTest {
 protected:
  // The next `count` matching requests (0: until cleared) get fault `kind`.
  void fault(const std::string& kind, const std::string& action, int count = 0,
             nlohmann::json extra = nlohmann::json::object()) {
    extra["kind"] = kind;
    extra["action"] = action;
    extra["count"] = count;
    const auto answer = fake_post("/_fake/faults", extra);
    ASSERT_TRUE(answer.contains("faults")) << answer.dump();
  }
  void clear_faults() { (void)fake_post("/_fake/faults/clear", nlohmann::json::object()); }

  // Runs a Python snippet against the state database (argv[1]); its stdout.
  [[nodiscard]] std::string sql(const std::string& script) const {
    const auto out =
        run_command({"/usr/bin/python3", "-c",
                     "import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); " + script,
                     (state_dir / "state.db").string()},
                    {}, tmp.path());
    EXPECT_EQ(out.code, 0) << out.err;
    return out.out;
  }
  // run_id -> status of every run in the state.
  [[nodiscard]] std::map<std::string, std::string> run_statuses() const {
    const auto rows = nlohmann::json::parse(
        sql("print(json.dumps(c.execute('SELECT run_id, status FROM runs').fetchall()))"), nullptr,
        false);
    std::map<std::string, std::string> out;
    if (!rows.is_array()) return out;
    for (const auto& row : rows) out[row[0]] = row[1];
    return out;
  }
  [[nodiscard]] std::string integrity() const {
    auto text = sql("print(c.execute('PRAGMA integrity_check').fetchone()[0])");
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  // Every resource in the fake tagged with any run id that still exists.
  [[nodiscard]] std::vector<std::string> any_tagged() const { return tagged(""); }
  // The single run `up` recorded (failed ups print no run id).
  [[nodiscard]] std::string only_run() const {
    const auto runs = run_statuses();
    EXPECT_EQ(runs.size(), 1U);
    return runs.empty() ? std::string() : runs.begin()->first;
  }
};

// A command's outcome is one of the documented exit codes, without a crash or a C++ exception
// text (what an escaped nlohmann type_error or std::terminate would print).
void expect_clean_failure(const CommandOutput& out, int code) {
  EXPECT_EQ(out.code, code) << out.err;
  EXPECT_EQ(out.err.find("terminate called"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find("type_error"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find('\xff'), std::string::npos) << "raw endpoint bytes in the output";
}

// ---- class 1: text from the endpoint that is not UTF-8 ----------------------------------

class BadUtf8ErrorOnCreate : public EndpointFaultTest,
                             public ::testing::WithParamInterface<std::string> {};

// Given a 400 whose Message, and RequestID, hold bytes that are not UTF-8 (and an escape
// sequence) on a create, expect up to exit 3, the guard to tear everything down (run down,
// nothing tagged left) and the error to show the bytes replaced, not raw.
TEST_P(BadUtf8ErrorOnCreate, UpFailsCleanlyAndLeavesNothing) {
  fault("bad_utf8_error", GetParam());
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  expect_clean_failure(up, 3);
  EXPECT_NE(up.err.find(GetParam()), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("InvalidParameterValue"), std::string::npos) << up.err;
  EXPECT_EQ(up.err.find('\x1b'), std::string::npos) << "a terminal escape reached the output";
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
  const std::string run_id = only_run();
  EXPECT_EQ(run_statuses()[run_id], "down");
  EXPECT_EQ(integrity(), "ok");
}

INSTANTIATE_TEST_SUITE_P(Creates, BadUtf8ErrorOnCreate,
                         ::testing::Values(std::string("RunInstances"),
                                           std::string("CreateSecurityGroup"),
                                           std::string("CreateVpc"),
                                           std::string("AuthorizeSecurityGroupIngress")));

// Given a 200 whose id elements end in bytes that are not UTF-8 (the resource was created),
// expect an ambiguous failure (exit 3) and the guard to find the resource by tag and remove it.
TEST_F(EndpointFaultTest, BadUtf8InSuccessAnswerIsAmbiguous) {
  fault("bad_utf8_body", "CreateSubnet", 1);
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  expect_clean_failure(up, 3);
  EXPECT_NE(up.err.find("AmbiguousAnswer"), std::string::npos) << up.err;
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
}

// Given two expired labs and TerminateInstances answered with a non-UTF-8 error, expect
// down --expired to exit 3 without aborting, the runs recorded down_failed (not stuck in
// tearing_down) in an intact state, and a later janitor, the endpoint healed, to remove all.
TEST_F(EndpointFaultTest, JanitorSurvivesBadUtf8OnTerminate) {
  for (int i = 0; i < 2; ++i) {
    const auto up = live({"up", "--profile", "provider", "--provider", "aws", "--ttl", "1s"});
    ASSERT_EQ(up.code, 0) << up.err;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  fault("bad_utf8_error", "TerminateInstances");
  const std::map<std::string, std::string> quick{{"CE_AWS_DEPENDENCY_RETRIES", "1"}};
  const auto janitor = live({"down", "--expired"}, quick);
  expect_clean_failure(janitor, 3);
  EXPECT_EQ(integrity(), "ok");
  const auto statuses = run_statuses();
  ASSERT_EQ(statuses.size(), 2U);
  for (const auto& [run_id, status] : statuses) EXPECT_EQ(status, "down_failed") << run_id;

  clear_faults();
  const auto again = live({"down", "--expired"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
  for (const auto& [run_id, status] : run_statuses()) EXPECT_EQ(status, "down") << run_id;
}

// ---- class 4: success answers without the promised id --------------------------------

class DroppedId : public EndpointFaultTest, public ::testing::WithParamInterface<std::string> {};

// Given a create that happens but whose 200 answer lacks every id element, expect up to fail
// (exit 3) instead of recording an empty id, and down --run-id afterwards to leave nothing.
TEST_P(DroppedId, UpFailsAndDownRemovesEverything) {
  fault("drop_id", GetParam(), 1);
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  expect_clean_failure(up, 3);
  EXPECT_NE(up.err.find("AmbiguousAnswer"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find(GetParam()), std::string::npos) << up.err;
  const std::string run_id = only_run();
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
  EXPECT_EQ(sql("print(c.execute(\"SELECT count(*) FROM resources WHERE state='created' AND "
                "cloud_id=''\").fetchone()[0])"),
            "0\n");
}

INSTANTIATE_TEST_SUITE_P(Creates, DroppedId,
                         ::testing::Values(std::string("RunInstances"), std::string("CreateVpc"),
                                           std::string("CreateSubnet"),
                                           std::string("CreateSecurityGroup"),
                                           std::string("CreateKeyPair"),
                                           std::string("CreateInternetGateway"),
                                           std::string("CreateRouteTable")));

// Given an endpoint answering one fixed body (the first answer it gave) to `action`, expect up
// to fail (exit 3) on the first answer that repeats an id or lacks its own, and down --run-id
// with the endpoint healed to leave nothing.
class SameBody : public EndpointFaultTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(SameBody, UpFailsAndDownRemovesEverything) {
  fault("same_body", GetParam());
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  expect_clean_failure(up, 3);
  clear_faults();
  const std::string run_id = only_run();
  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
}

// "*": every action, describes included; "*mutating*": every create; RunInstances: the second
// instance comes back with the first one's id.
INSTANTIATE_TEST_SUITE_P(Actions, SameBody,
                         ::testing::Values(std::string("*"), std::string("*mutating*"),
                                           std::string("RunInstances")));

// ---- class 5: bounds ----------------------------------------------------------------

// Given RunInstances answers that stall after their headers for a minute, a 1 s stall bound
// and 2 attempts, expect up to give up with a timeout naming the action and region (exit 3)
// in far less than the stall, and the guard to remove what the stalled call created.
TEST_F(EndpointFaultTest, StallAfterHeadersIsCutAndRetried) {
  fault("stall_after_headers", "RunInstances", 0, {{"hang_seconds", 60}});
  const auto started = steady_clock::now();
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"},
                       {{"CE_AWS_STALL_TIMEOUT", "1"}, {"CE_AWS_MAX_ATTEMPTS", "2"}});
  const auto took = steady_clock::now() - started;
  expect_clean_failure(up, 3);
  EXPECT_NE(up.err.find("RunInstances (us-east-1): timeout"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("after 2 attempts"), std::string::npos) << up.err;
  EXPECT_LT(took, seconds(50)) << "the stall was not cut";
  EXPECT_EQ(calls("RunInstances"), 2U);
  clear_faults();
  EXPECT_EQ(live({"down", "--run-id", only_run()}).code, 0);
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
}

// Given a stall longer than the per-request bounds allow for and a 3 s phase deadline, expect
// the deadline to end up (exit 3, naming CE_AWS_COMMAND_TIMEOUT) and to leave nothing.
TEST_F(EndpointFaultTest, CommandDeadlineEndsTheBringUp) {
  fault("stall_after_headers", "CreateVpc", 0, {{"hang_seconds", 60}});
  const auto started = steady_clock::now();
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"},
                       {{"CE_AWS_COMMAND_TIMEOUT", "3"}, {"CE_AWS_STALL_TIMEOUT", "30"}});
  const auto took = steady_clock::now() - started;
  expect_clean_failure(up, 3);
  EXPECT_NE(up.err.find("CE_AWS_COMMAND_TIMEOUT=3 s"), std::string::npos) << up.err;
  EXPECT_LT(took, seconds(30)) << "the deadline did not cut the stalled request";
  clear_faults();
  EXPECT_EQ(live({"down", "--run-id", only_run()}).code, 0);
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
}

// Given an expired lab and DescribeTags pages whose nextToken alternates A, B, A, ..., expect
// down --expired to stop at the repeat (exit 3, naming the token) after a handful of pages, and
// to remove the lab once the endpoint heals.
TEST_F(EndpointFaultTest, AlternatingNextTokenStopsTheJanitor) {
  const auto up = live({"up", "--profile", "provider", "--provider", "aws", "--ttl", "1s"});
  ASSERT_EQ(up.code, 0) << up.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  fault("alternating_token", "DescribeTags");
  const auto janitor = live({"down", "--expired"});
  expect_clean_failure(janitor, 3);
  EXPECT_NE(janitor.err.find("repeats the nextToken \"tokenA\""), std::string::npos) << janitor.err;
  EXPECT_LE(calls("DescribeTags"), 10U);
  clear_faults();
  EXPECT_EQ(live({"down", "--expired"}).code, 0);
  EXPECT_EQ(tagged(first_line(up.out)), std::vector<std::string>{});
}

// Given a bound set to something that is not a whole number of seconds in range, expect up to
// refuse with exit 2 naming the variable, and nothing to be created.
class BadBound : public EndpointFaultTest,
                 public ::testing::WithParamInterface<std::pair<std::string, std::string>> {};

TEST_P(BadBound, UpExitsTwoNamingTheVariable) {
  const auto& [name, value] = GetParam();
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"}, {{name, value}});
  expect_clean_failure(up, 2);
  EXPECT_NE(up.err.find(name), std::string::npos) << up.err;
  EXPECT_EQ(any_tagged(), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(
    Variables, BadBound,
    ::testing::Values(std::pair<std::string, std::string>{"CE_AWS_COMMAND_TIMEOUT", "banana"},
                      std::pair<std::string, std::string>{"CE_AWS_STALL_TIMEOUT", "0"},
                      std::pair<std::string, std::string>{"CE_AWS_REQUEST_TIMEOUT", "1e3"},
                      std::pair<std::string, std::string>{"CE_AWS_WAIT_TIMEOUT", "-5"},
                      std::pair<std::string, std::string>{"CE_JANITOR_TIMEOUT",
                                                          "99999999999999999999"},
                      std::pair<std::string, std::string>{"CE_AWS_DEPENDENCY_RETRIES", " 3"}));

}  // namespace
}  // namespace labctl::testing
