#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

struct Case {
  std::vector<std::string> args;
  int code;
  std::string message;  // a fragment of stderr
};

class CliValidation : public LifecycleTest, public ::testing::WithParamInterface<Case> {};

// Given bad input, expect the named exit code, the message, and nothing written to state.
TEST_P(CliValidation, RejectsWithMessageAndCode) {
  const auto& c = GetParam();
  const auto out = labctl(c.args);
  EXPECT_EQ(out.code, c.code) << out.err;
  EXPECT_NE(out.err.find(c.message), std::string::npos) << "stderr: " << out.err;
  EXPECT_EQ(out.out, "") << "stdout must stay clean on errors";
  EXPECT_FALSE(std::filesystem::exists(state_dir / "state.db"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CliValidation,
    ::testing::Values(
        Case{{"up"}, 2, "--profile"},
        Case{{"up", "--profile"}, 2, "--profile"},
        Case{{"up", "--profile", "fulll"}, 2, "unknown profile: fulll (did you mean \"full\"?)"},
        Case{{"up", "--profile", "full", "--provider", "aws,asw"}, 2,
             "unknown provider: asw (did you mean \"aws\"?)"},
        Case{{"up", "--profile", "full", "--provider", " , "}, 2, "no providers"},
        Case{{"up", "--profile", "full", "--provider-order", "unknown"}, 2,
             "unknown provider order: unknown"},
        Case{{"up", "--profile", "full", "--ttl", "0"}, 2, "positive duration"},
        Case{{"up", "--profile", "full", "--ttl", "4x"}, 2, "bad duration: '4x'"},
        Case{{"up", "--profile", "full", "--ttl", "-1h"}, 2, "negative"},
        Case{{"up", "--profile", "full", "--ttl", "99999999999999999999"}, 2, "too large"},
        Case{{"up", "--profile", "full", "--ttl", "25h"}, 4, "budget ceiling CE_TTL_MAX=24h"},
        Case{{"up", "--profile", "full", "--bogus"}, 2, "--bogus"},
        Case{{"frobnicate"}, 2, "frobnicate"},
        Case{{}, 2, "no command given"},
        Case{{"down"}, 2, "down: provide --run-id <id>, or --expired, or --force"},
        Case{{"failover", "--provider", "aws"}, 2, "failover: --fault is required"},
        Case{{"failover", "--provider", "aws", "--fault", "stop-activ"}, 2,
             "unknown fault: stop-activ (did you mean \"stop-active\"?)"},
        Case{{"deploy"}, 2, "deploy: one of --build <path> or --commit <ref> is required"},
        Case{{"deploy", "--build", "/nonexistent/x.tar"}, 2, "deploy: --build path not found"},
        Case{{"runs", "show", "20260101T000000Z-cloudedge-none"}, 2, "runs show: no run"},
        Case{{"action", "import", "/nonexistent/plan.json"}, 2,
             "action import: cannot read /nonexistent/plan.json"},
        Case{{"action", "import", "/proc/version"}, 2,
             "action import: /proc/version is not valid JSON"},
        Case{{"--log-format", "xml", "version"}, 2, "--log-format"}));

TEST_F(LifecycleTest, TtlCeilingIsConfigurableAndValidated) {
  const auto raised = labctl({"up", "--profile", "full", "--ttl", "25h"}, {{"CE_TTL_MAX", "48h"}});
  EXPECT_EQ(raised.code, 0) << raised.err;
  const auto bad = labctl({"up", "--profile", "full"}, {{"CE_TTL_MAX", "lots"}});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("CE_TTL_MAX"), std::string::npos) << bad.err;
}

TEST_F(LifecycleTest, VersionFormsAndHelpForEveryCommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"version"}, {"--version"}, {"-V"}}) {
    const auto out = labctl(args);
    EXPECT_EQ(out.code, 0);
    EXPECT_EQ(out.out.rfind("labctl/", 0), 0u) << out.out;
  }
  for (const std::string command :
       {"up", "deploy", "smoke", "failover", "evidence", "down", "runs", "version", "help"}) {
    const auto out = labctl({command, "--help"});
    EXPECT_EQ(out.code, 0) << command << ": " << out.err;
    EXPECT_NE(out.out.find(command), std::string::npos) << command;
  }
  const auto help = labctl({"help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("up"), std::string::npos);
}

}  // namespace
}  // namespace labctl::testing
