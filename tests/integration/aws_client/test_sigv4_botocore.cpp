// labctl's SigV4 signer against botocore's SigV4Auth (tests/fakes/ec2/sigv4_reference.py) on
// fixed requests, with fixed time and keys, with and without a session token: the
// Authorization headers must be identical.

#include <gtest/gtest.h>

#include "core/process.hpp"
#include "providers/aws/query.hpp"
#include "providers/aws/sigv4.hpp"
#include "tests/integration/aws_client/fake_server.hpp"

namespace labctl::providers::aws {
namespace {

struct Case {
  std::string name;
  std::string url;
  std::string body;
  std::string token;
  std::string region;
};

const std::filesystem::path k_reference = "tests/fakes/ec2/sigv4_reference.py";

// Given EC2-shaped requests at a fixed time, expect byte-identical Authorization headers.
TEST(Sigv4Botocore, AuthorizationMatchesBotocore) {
  const auto script = testing::source_dir() / k_reference;
  if (!std::filesystem::exists("/usr/bin/python3") ||
      !std::filesystem::exists("/usr/lib/python3/dist-packages/botocore/auth.py")) {
    GTEST_SKIP() << "needs /usr/bin/python3 and python3-botocore";
  }
  ASSERT_TRUE(std::filesystem::exists(script)) << script;

  QueryParams run;
  run.add("Action", "RunInstances")
      .add("Version", "2016-11-15")
      .add("ImageId", "ami-0abc")
      .add("ClientToken", "run-20261124T091500Z-r1")
      .add_tag_specification("instance", {{"routerd.cloudedge.run_id", "20261124T091500Z-ab12"},
                                          {"Name", "a b+c/d=e*~"}});
  const std::vector<Case> cases = {
      {"describe", "https://ec2.us-east-1.amazonaws.com/",
       "Action=DescribeRegions&Version=2016-11-15", "", "us-east-1"},
      {"run_with_token", "https://ec2.eu-west-3.amazonaws.com/", run.form_encode(),
       "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token==", "eu-west-3"},
      {"fake_port_with_token", "http://127.0.0.1:48123/",
       "Action=DescribeInstances&Version=2016-11-15&MaxResults=5", "short-token", "us-west-2"},
      {"empty_body", "https://ec2.ap-south-1.amazonaws.com/", "", "", "ap-south-1"},
  };
  const SystemTime time = SystemTime(std::chrono::seconds(1795511700));  // 2026-11-24T09:15:00Z
  const std::string content_type = "application/x-www-form-urlencoded; charset=utf-8";
  const auto runner = system_process_runner();
  for (const auto& c : cases) {
    const Credentials credentials("AKIAIOSFODNN7EXAMPLE",
                                  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", c.token);
    const auto ours = sign({"POST", c.url, {{"Content-Type", content_type}}, c.body}, credentials,
                           {c.region, "ec2"}, time);
    ASSERT_TRUE(ours.has_value()) << c.name;

    ProcessRequest request;
    request.argv = {"/usr/bin/python3",
                    script.string(),
                    "--method",
                    "POST",
                    "--url",
                    c.url,
                    "--body",
                    c.body,
                    "--header",
                    "Content-Type: " + content_type,
                    "--region",
                    c.region,
                    "--service",
                    "ec2",
                    "--access-key",
                    credentials.access_key_id(),
                    "--secret",
                    credentials.secret_access_key(),
                    "--timestamp",
                    amz_date(time)};
    if (!c.token.empty()) request.argv.insert(request.argv.end(), {"--session-token", c.token});
    request.timeout = std::chrono::seconds(30);
    const auto result = runner->run(request);
    ASSERT_TRUE(result.has_value()) << c.name;
    ASSERT_EQ(result->exit_code, 0) << c.name << ": " << result->err;
    std::string expected = result->out;
    while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r'))
      expected.pop_back();
    EXPECT_EQ(find_header(*ours, "Authorization"), expected) << c.name << "\n" << result->err;
  }
}

}  // namespace
}  // namespace labctl::providers::aws
