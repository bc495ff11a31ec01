// EC2 error answers (providers/aws/aws_error.hpp): parse_error_response directly and through the
// client's retry loop. The first input byte picks the HTTP status; the rest is the body.
// Properties: no crash; an error always describes itself naming the action; 5xx and throttling
// are retryable and nothing else is; the client gives up after its attempts (no endless retry);
// no error text carries a credential.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/ec2_fuzz_client.hpp"
#include "fuzz/fuzz_check.hpp"
#include "providers/aws/aws_error.hpp"

namespace {

namespace aws = labctl::providers::aws;
using labctl::fuzz::check;

constexpr long k_statuses[] = {400, 401, 403, 404, 409, 412, 429, 500, 502, 503, 504, 200, 302};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const long status = k_statuses[data[0] % std::size(k_statuses)];
  const std::string body(labctl::fuzz::as_text(data + 1, size - 1));

  const aws::AwsError parsed = aws::parse_error_response("RunInstances", "us-east-1", status, body);
  check(parsed.http_status == status, "the error keeps the HTTP status");
  const std::string text = parsed.describe();
  check(text.find("RunInstances") != std::string::npos, "the error names the action");
  if (status >= 500 || aws::is_throttling_code(parsed.code)) {
    check(parsed.retryable, "5xx and throttling are retryable");
  }
  check(parsed.to_error().code == labctl::ExitCode::provider, "an AWS error exits 3");

  if (status != 200) {
    labctl::fuzz::Ec2Harness harness(status, {body}, 3);
    const auto answer = harness.client->call("DescribeInstances", {{"InstanceId.1", "i-1"}});
    check(!harness.ran_away() && harness.transport->requests().size() <= 3,
          "the client stops after its attempts");
    if (!answer) {
      check(!labctl::fuzz::leaks_credentials(answer.error().describe(), body),
            "no credential in an AWS error");
    }
  }
  return 0;
}
