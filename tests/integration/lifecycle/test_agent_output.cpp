// What an agent reads from labctl: refusals instead of made-up defaults, and NDJSON events
// whose facts are fields (issue #13, "Honest defaults" and "Agents").
#include <sstream>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

// Every stderr line parsed as one JSON object (a line that is not fails the test).
std::vector<nlohmann::json> events(const std::string& err) {
  std::vector<nlohmann::json> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(event.is_object()) << "not an NDJSON object: " << line;
    if (event.is_object()) out.push_back(std::move(event));
  }
  return out;
}

class AgentOutput : public LifecycleTest {
 protected:
  // A MATRIX_RUNNER stand-in: every ping passes except a -> b; ssh reports the source's address.
  std::map<std::string, std::string> runner_env() {
    const auto runner = tmp.path() / "runner";
    write_text(runner,
               "#!/bin/sh\n"
               "case \"$1\" in\n"
               "  ping) [ \"$2\" = a ] && [ \"$3\" = 10.0.0.2 ] && exit 1; exit 0;;\n"
               "  ssh) case \"$2\" in a) echo peer_ip=10.0.0.1;; b) echo peer_ip=10.0.0.2;; esac\n"
               "       echo default_gw=10.0.0.254;;\n"
               "esac\n");
    std::filesystem::permissions(runner, std::filesystem::perms::owner_all);
    return {{"MATRIX_RUNNER", runner.string()}, {"CE_MATRIX_SITES", "\x01unset"}};
  }
};

// Given no run, no --sites and no CE_MATRIX_SITES, expect exit 2 saying what to give, nothing
// on stdout and no flow run (it used to test made-up addresses and fail 12 flows, exit 1).
TEST_F(AgentOutput, SmokeWithoutRunOrSitesRefuses) {
  const auto smoke = labctl({"smoke"}, runner_env());
  EXPECT_EQ(smoke.code, 2) << smoke.err;
  EXPECT_EQ(smoke.out, "");
  for (const char* named : {"no sites to test", "--run-id", "--sites", "CE_MATRIX_SITES"}) {
    EXPECT_NE(smoke.err.find(named), std::string::npos) << smoke.err;
  }
  EXPECT_EQ(smoke.err.find("matrix:"), std::string::npos) << "flows ran: " << smoke.err;
}

// Given CE_LOG_FORMAT=json, expect every stderr line to be a JSON object, each matrix.flow to
// carry src, dst, result, the failing checks and the latencies as fields, the truth table as
// rows of cells and the summary's counts as fields.
TEST_F(AgentOutput, NdjsonSmokeEventsCarryTheirFactsAsFields) {
  auto env = runner_env();
  env["CE_LOG_FORMAT"] = "json";
  const auto smoke = labctl({"smoke", "--sites", "a=10.0.0.1,b=10.0.0.2"}, env);
  EXPECT_EQ(smoke.code, 1) << smoke.err;
  std::map<std::string, nlohmann::json> flows;
  nlohmann::json table, summary;
  for (const auto& event : events(smoke.err)) {
    if (event["event"] == "matrix.flow") {
      flows[event["src"].get<std::string>() + ">" + event["dst"].get<std::string>()] = event;
    }
    if (event["event"] == "matrix.table") table = event;
    if (event["event"] == "matrix.summary") summary = event;
  }
  ASSERT_EQ(flows.size(), 2u) << smoke.err;
  const auto& failed = flows["a>b"];
  EXPECT_EQ(failed["result"], "fail");
  EXPECT_EQ(failed["failing"], nlohmann::json::array({"ping"}));
  EXPECT_EQ(failed["srcIp"], "10.0.0.1");
  EXPECT_EQ(failed["dstIp"], "10.0.0.2");
  EXPECT_TRUE(failed.contains("pingMs") && failed.contains("sshMs")) << failed.dump();
  EXPECT_EQ(flows["b>a"]["result"], "pass");
  EXPECT_EQ(flows["b>a"]["failing"], nlohmann::json::array());
  EXPECT_EQ(table["columns"], nlohmann::json::array({"a", "b"})) << table.dump();
  EXPECT_EQ(table["rows"], nlohmann::json::parse(R"([["a",null,"fail:ping"],["b","pass",null]])"));
  EXPECT_EQ(summary["passed"], 1);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["result"], "fail");
}

}  // namespace
}  // namespace labctl::testing
