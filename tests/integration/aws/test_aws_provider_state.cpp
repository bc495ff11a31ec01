// Evidence's providers.aws.providerState judged from EC2's own view at collect time, against the
// EC2 fake: labctl describes the run's resources, and changes made behind its back with the aws
// CLI (signed calls, as another operator would make them) turn the judgement to fail.
#include "tests/integration/aws/executor_fixture.hpp"

namespace labctl::testing {
namespace {

class AwsProviderStateTest : public ExecutorTest {
 protected:
  struct Bundle {
    int code = -1;
    std::string err;
    nlohmann::json result;  // result.json
    nlohmann::json state;   // provider-state.json (null when the bundle has none)
  };

  Bundle collect(const std::string& run_id, std::vector<std::string> extra_args = {},
                 std::map<std::string, std::string> env = {}) {
    const auto out = tmp.path() / ("evidence" + std::to_string(++m_bundles));
    std::vector<std::string> args{"evidence", "collect", "--run-id", run_id, "--out", out.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const auto collected = run(args, std::move(env));
    Bundle bundle{collected.code, collected.err, nullptr, nullptr};
    if (std::filesystem::exists(out / "result.json")) {
      bundle.result = nlohmann::json::parse(read_text(out / "result.json"), nullptr, false);
    }
    if (std::filesystem::exists(out / "provider-state.json")) {
      bundle.state = nlohmann::json::parse(read_text(out / "provider-state.json"), nullptr, false);
    }
    return bundle;
  }

  static std::string verdict(const Bundle& bundle) {
    return bundle.result["providers"]["aws"].value("providerState", "");
  }
  static std::string problems(const Bundle& bundle) {
    return bundle.state["aws"]["detail"]["problems"].dump();
  }

  std::string instance_of(const std::string& run_id, const std::string& node) {
    const auto rows = show(run_id).value("resources", nlohmann::json::array());
    for (const auto& row : rows) {
      if (row.value("name", "") == node && row.value("kind", "") == "instance") {
        return row.value("cloudId", "");
      }
    }
    return "";
  }

 private:
  int m_bundles = 0;
};

// Given a fresh lab with a captured service address, expect a live collect to judge aws pass
// from EC2's describes, with the facts in provider-state.json: three running instances, their
// ENIs and volumes, and the address held by the ENI the journal says.
TEST_F(AwsProviderStateTest, PassesWithTheFactsFromTheDescribes) {
  const auto lab = up_lab();
  (void)capture(lab, lab.eni_a);
  const auto bundle = collect(lab.run_id);
  ASSERT_TRUE(bundle.code == 0 || bundle.code == 1) << bundle.err;
  EXPECT_EQ(verdict(bundle), "pass") << bundle.state.dump(2);
  ASSERT_TRUE(bundle.state.is_object()) << "no provider-state.json: " << bundle.err;
  const auto& detail = bundle.state["aws"]["detail"];
  EXPECT_EQ(detail["problems"], nlohmann::json::array()) << detail.dump(2);
  EXPECT_EQ(detail["instances"].size(), 3u) << detail.dump(2);
  for (const auto& instance : detail["instances"]) EXPECT_EQ(instance["state"], "running");
  EXPECT_EQ(detail["checked"].value("network-interface", 0), 3) << detail.dump(2);
  EXPECT_EQ(detail["checked"].value("volume", 0), 3) << detail.dump(2);
  ASSERT_EQ(detail["serviceAddresses"].size(), 1u) << detail.dump(2);
  EXPECT_EQ(detail["serviceAddresses"][0]["holderEni"], lab.eni_a);
  EXPECT_EQ(detail["serviceAddresses"][0]["expectedNode"], "aws-router-a");
}

// Given a recorded stop-active of router-a (expected stopped), then router-b stopped behind
// labctl's back, expect pass before and fail after, naming aws-router-b; an explicit
// --provider-state-json still wins (nothing described) and a dry collect keeps "na".
TEST_F(AwsProviderStateTest, FailsOnAnInstanceStoppedBehindItsBack) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  ASSERT_EQ(
      run({"failover", "--provider", "aws", "--fault", "stop-active", "--run-id", lab.run_id}).code,
      0);
  const auto after_fault = collect(lab.run_id);
  EXPECT_EQ(verdict(after_fault), "pass") << problems(after_fault);
  EXPECT_EQ(after_fault.state["aws"]["detail"]["stoppedByFault"],
            nlohmann::json::array({"aws-router-a"}));

  (void)aws_cli({"stop-instances", "--instance-ids", instance_of(lab.run_id, "aws-router-b")});
  (void)fake_post("/_fake/settle", nlohmann::json::object());
  const auto stopped = collect(lab.run_id);
  EXPECT_EQ(verdict(stopped), "fail");
  EXPECT_TRUE(contains(problems(stopped), "aws-router-b")) << problems(stopped);
  EXPECT_TRUE(contains(problems(stopped), "stopped, expected running")) << problems(stopped);

  const auto given = tmp.path() / "provider-state.json";
  write_text(given, R"({"aws": {"providerState": "pass"}})");
  const auto describes = calls("DescribeInstances");
  const auto overridden = collect(lab.run_id, {"--provider-state-json", given.string()});
  EXPECT_EQ(verdict(overridden), "pass");
  EXPECT_EQ(calls("DescribeInstances"), describes) << "an explicit file wins: nothing described";

  const auto dry = collect(lab.run_id, {}, {{"CE_DRY_RUN", "1"}});
  EXPECT_EQ(verdict(dry), "na");
  EXPECT_TRUE(dry.state.is_null()) << "a dry collect describes nothing";
  EXPECT_EQ(calls("DescribeInstances"), describes);
}

// Given the run-id tag removed from an instance's ENI behind labctl's back, expect fail naming
// the ENI: nothing of the run may be left untagged.
TEST_F(AwsProviderStateTest, FailsOnAnUntaggedEni) {
  if (!aws_cli_available()) GTEST_SKIP() << "no /usr/bin/aws (Debian awscli)";
  const auto lab = up_lab();
  (void)aws_cli(
      {"delete-tags", "--resources", lab.eni_client, "--tags", "Key=routerd.cloudedge.run_id"});
  const auto bundle = collect(lab.run_id);
  EXPECT_EQ(verdict(bundle), "fail");
  EXPECT_TRUE(contains(problems(bundle), lab.eni_client)) << problems(bundle);
  EXPECT_TRUE(contains(problems(bundle), "missing tag(s) routerd.cloudedge.run_id"))
      << problems(bundle);
}

}  // namespace
}  // namespace labctl::testing
