// The original's offline matrix cases (reference §8 cases 2, 3, 7, 8 and R6) against
// matrix::smoke with stub MATRIX_RUNNER scripts, plus flag/env precedence and usage errors.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "matrix/smoke.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/unit/matrix/stub_runners.hpp"

namespace labctl::matrix {
namespace {

using nlohmann::json;

const char* const k_d3_sites =
    "onprem=10.77.60.10,aws=10.77.60.11,azure=10.77.60.12,oci=10.77.60.13";

class SmokeOffline : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    stubs::write_stub_runners(tmp.path());
    m_env["CE_STATE_DIR"] = (tmp.path() / "state").string();  // no run: nothing from state
    // The d3 lab of the reference's offline cases, given as a user would: smoke has no
    // default sites (it refuses without a run, --sites or CE_MATRIX_SITES).
    m_env["CE_MATRIX_SITES"] = k_d3_sites;
  }

  void runner(const std::string& name) { m_env["MATRIX_RUNNER"] = (tmp.path() / name).string(); }

  Expected<ExitCode> run(const SmokeOptions& options) {
    m_stdout.str("");
    return smoke(options, labctl::testing::env_map(m_env), system_process_runner(), m_stdout);
  }

  json stdout_json() const {
    const std::string text = m_stdout.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "stdout must be one line: " << text;
    return json::parse(text);
  }

  std::map<std::string, std::string> m_env;
  std::ostringstream m_stdout;
};

SmokeOptions with_sites(std::string sites) {
  SmokeOptions options;
  options.sites = std::move(sites);
  return options;
}
SmokeOptions with_parallel(std::string parallel) {
  SmokeOptions options;
  options.parallel = std::move(parallel);
  return options;
}
SmokeOptions with_matrix(std::string matrix) {
  SmokeOptions options;
  options.matrix = std::move(matrix);
  return options;
}

std::vector<std::pair<std::string, std::string>> pairs(const json& matrix) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& flow : matrix["flows"]) out.emplace_back(flow["src"], flow["dst"]);
  return out;
}

// Case 2: MATRIX_RUNNER=R1 --out M -> 12/12, every flow's checks pass.
TEST_F(SmokeOffline, Case2StubRunnerAllPass) {
  runner("r1");
  SmokeOptions options;
  options.out = (tmp.path() / "M.json").string();
  const auto code = run(options);
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, ExitCode::ok);
  const json printed = stdout_json();
  EXPECT_EQ(m_stdout.str().find("64 bytes"), std::string::npos) << "runner stdout leaked";
  const json written = json::parse(labctl::testing::read_text(options.out));
  EXPECT_EQ(written, printed);
  ASSERT_EQ(written["flows"].size(), 12U);
  EXPECT_EQ(written["summary"]["passed"], 12);
  EXPECT_EQ(written["summary"]["result"], "pass");
  EXPECT_EQ(written["summary"]["phase"], "matrix");
  EXPECT_EQ(written["summary"]["parallelism"], 12);  // default: all flows
  for (const auto& flow : written["flows"]) {
    for (const char* check : {"ping", "sourceIpPreserved", "defaultGwUnchanged", "noNat", "result"}) {
      EXPECT_EQ(flow[check], "pass") << check << " " << flow.dump();
    }
    EXPECT_EQ(flow["defaultGw"], "10.77.60.1");
  }
  EXPECT_EQ(written["flows"][0]["peerIp"], "10.77.60.10") << "first key=value match wins";
  EXPECT_EQ(pairs(written).front(), (std::pair<std::string, std::string>{"onprem", "aws"}));
  EXPECT_EQ(pairs(written).back(), (std::pair<std::string, std::string>{"oci", "azure"}));
}

// Case 3: --parallel 3 --phase normal -> parallelism 3, phase normal, same order, 12/12.
TEST_F(SmokeOffline, Case3ParallelKeepsOrder) {
  runner("r1");
  const auto serial = run(with_parallel("1"));
  ASSERT_TRUE(serial);
  const auto serial_pairs = pairs(stdout_json());
  SmokeOptions options;
  options.parallel = "3";
  options.phase = "normal";
  const auto code = run(options);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::ok);
  const json matrix = stdout_json();
  EXPECT_EQ(matrix["summary"]["parallelism"], 3);
  EXPECT_EQ(matrix["summary"]["phase"], "normal");
  EXPECT_EQ(matrix["summary"]["passed"], 12);
  EXPECT_EQ(pairs(matrix), serial_pairs);
}

// Case 7: R2 with both expected hostnames right -> pass, identities non-empty.
TEST_F(SmokeOffline, Case7IdentityPass) {
  runner("r2");
  m_env["CE_ONPREM_CLIENT_EXPECT_HOSTNAME"] = "onprem-client";
  m_env["CE_AWS_CLIENT_EXPECT_HOSTNAME"] = "aws-client";
  SmokeOptions options;
  options.sites = "onprem=10.77.60.10,aws=10.77.60.11";
  const auto code = run(options);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::ok);
  const json matrix = stdout_json();
  ASSERT_EQ(matrix["flows"].size(), 2U);
  for (const auto& flow : matrix["flows"]) {
    EXPECT_EQ(flow["identityCheck"], "pass");
    EXPECT_FALSE(flow["srcHostname"].get<std::string>().empty());
    EXPECT_FALSE(flow["dstHostname"].get<std::string>().empty());
    EXPECT_EQ(flow["dstHostKeySHA256"], "SHA256:dest");
  }
}

// Case 8: a wrong expected hostname -> exit 1, a flow's dstIdentityError names it.
TEST_F(SmokeOffline, Case8IdentityMismatchFails) {
  runner("r2");
  m_env["CE_ONPREM_CLIENT_EXPECT_HOSTNAME"] = "onprem-client";
  m_env["CE_AWS_CLIENT_EXPECT_HOSTNAME"] = "wrong-aws-client";
  SmokeOptions options;
  options.sites = "onprem=10.77.60.10,aws=10.77.60.11";
  const auto code = run(options);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::check_failed);
  const json matrix = stdout_json();
  EXPECT_EQ(matrix["summary"]["result"], "fail");
  bool named = false;
  for (const auto& flow : matrix["flows"]) {
    if (flow["identityCheck"] == "fail" &&
        flow["dstIdentityError"].get<std::string>().find("wrong-aws-client") != std::string::npos) {
      named = true;
    }
  }
  EXPECT_TRUE(named) << matrix.dump();
}

// R6: one ping fails -> that flow fails on ping only, 11/12, exit 1.
TEST_F(SmokeOffline, R6OnePingFails) {
  runner("r6");
  const auto code = run(SmokeOptions{});
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::check_failed);
  const json matrix = stdout_json();
  EXPECT_EQ(matrix["summary"]["passed"], 11);
  EXPECT_EQ(matrix["summary"]["failed"], 1);
  const auto& flow = matrix["flows"][0];
  EXPECT_EQ(flow["dst"], "aws");
  EXPECT_EQ(flow["ping"], "fail");
  EXPECT_EQ(flow["sourceIpPreserved"], "pass");
  EXPECT_EQ(flow["result"], "fail");
  EXPECT_NE(flow["error"].get<std::string>().find("ping op: exit 1"), std::string::npos);
}

TEST_F(SmokeOffline, RunnerFailureForUnknownSiteFailsItsFlows) {
  runner("r1");
  const auto code = run(with_sites("onprem=10.77.60.10,mars=10.0.0.9"));
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::check_failed);
  const json matrix = stdout_json();
  EXPECT_EQ(matrix["flows"][0]["result"], "pass");
  EXPECT_EQ(matrix["flows"][1]["result"], "fail");
  EXPECT_NE(matrix["flows"][1]["error"].get<std::string>().find("ssh op: exit 2"), std::string::npos);
}

// Flag > env > default for sites, parallelism, phase and the gateway expectation.
TEST_F(SmokeOffline, FlagsBeatEnvBeatDefaults) {
  runner("r1");
  m_env["CE_MATRIX_SITES"] = "onprem=10.77.60.10,aws=10.77.60.11";
  m_env["CE_MATRIX_PARALLELISM"] = "2";
  m_env["CE_MATRIX_PHASE"] = "env-phase";
  m_env["CE_EXPECT_DEFAULT_GW"] = "10.77.60.254";
  ASSERT_TRUE(run(SmokeOptions{}));
  json matrix = stdout_json();
  EXPECT_EQ(matrix["flows"].size(), 2U);
  EXPECT_EQ(matrix["summary"]["parallelism"], 2);
  EXPECT_EQ(matrix["summary"]["phase"], "env-phase");
  EXPECT_EQ(matrix["flows"][0]["defaultGwUnchanged"], "fail");

  SmokeOptions options;
  options.sites = "azure=10.77.60.12,oci=10.77.60.13,aws=10.77.60.11";
  options.parallel = "5";
  options.phase = "flag-phase";
  options.expect_default_gw = "10.77.60.1";
  const auto code = run(options);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, ExitCode::ok);
  matrix = stdout_json();
  EXPECT_EQ(matrix["flows"].size(), 6U);
  EXPECT_EQ(matrix["flows"][0]["src"], "azure");
  EXPECT_EQ(matrix["summary"]["parallelism"], 5);
  EXPECT_EQ(matrix["summary"]["phase"], "flag-phase");
}

TEST_F(SmokeOffline, UsageErrorsExitTwoBeforeRunning) {
  runner("r1");
  const auto expect_usage = [&](SmokeOptions options, const std::string& message) {
    const auto code = run(options);
    ASSERT_FALSE(code) << message;
    EXPECT_EQ(code.error().code, ExitCode::usage);
    EXPECT_NE(code.error().message.find(message), std::string::npos) << code.error().message;
    EXPECT_TRUE(m_stdout.str().empty());
  };
  expect_usage(with_sites("a=1,b"), "bad site spec entry: 'b' (want site=ip)");
  expect_usage(with_sites("a=1"), "need at least 2 sites for a directed matrix");
  expect_usage(with_parallel("0"), "bad --parallel: 0 (want positive integer)");
  expect_usage(with_parallel("x3"), "bad --parallel: x3 (want positive integer)");
  expect_usage(with_matrix("d9"), "unknown matrix: d9 (known: d3");
  m_env["CE_MATRIX_PARALLELISM"] = "-1";
  expect_usage(SmokeOptions{}, "bad CE_MATRIX_PARALLELISM: -1");
  m_env.erase("CE_MATRIX_PARALLELISM");
  m_env["CE_MATRIX_PING_COUNT"] = "three";
  expect_usage(SmokeOptions{}, "bad CE_MATRIX_PING_COUNT: three");
}

// Given no run, no --sites and no CE_MATRIX_SITES, expect exit 2 naming every way to give
// sites, before any flow runs (the original tested made-up d3 addresses and failed 12 flows).
TEST_F(SmokeOffline, NoRunAndNoSitesRefuses) {
  runner("r1");
  m_env.erase("CE_MATRIX_SITES");
  for (const SmokeOptions& options : {SmokeOptions{}, with_matrix("d3")}) {
    const auto code = run(options);
    ASSERT_FALSE(code) << "ran with made-up sites";
    EXPECT_EQ(code.error().code, ExitCode::usage);
    for (const char* named : {"no sites to test", "--run-id", "--sites", "CE_MATRIX_SITES",
                              m_env["CE_STATE_DIR"].c_str()}) {
      EXPECT_NE(code.error().message.find(named), std::string::npos) << code.error().message;
    }
    EXPECT_TRUE(m_stdout.str().empty());
  }
}

TEST_F(SmokeOffline, D3MatrixIsAccepted) {
  runner("r1");
  const auto code = run(with_matrix("d3"));
  ASSERT_TRUE(code) << code.error().message;
  EXPECT_EQ(*code, ExitCode::ok);
}

}  // namespace
}  // namespace labctl::matrix
