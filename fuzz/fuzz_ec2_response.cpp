// EC2 success answers (providers/aws/xml.hpp, ec2_client.hpp, aws_resources.hpp) through the real
// client: the input is up to 8 response bodies separated by '\0', served with HTTP 200 in turn
// (cycling) to a paginated DescribeInstances and to describe_resources of every resource type
// labctl manages. Properties: no crash; every pagination ends (a repeated or alternating
// nextToken is an error, not an endless loop); no error text carries a credential.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/ec2_fuzz_client.hpp"
#include "fuzz/fuzz_check.hpp"
#include "providers/aws/aws_resources.hpp"

namespace {

namespace aws = labctl::providers::aws;
using labctl::fuzz::check;

std::vector<std::string> bodies_of(std::string_view input) {
  std::vector<std::string> bodies;
  while (bodies.size() < 7) {
    const auto cut = input.find('\0');
    if (cut == std::string_view::npos) break;
    bodies.emplace_back(input.substr(0, cut));
    input.remove_prefix(cut + 1);
  }
  bodies.emplace_back(input);
  return bodies;
}

void check_error(const aws::AwsError& error, std::string_view answer) {
  check(!labctl::fuzz::leaks_credentials(error.describe(), answer),
        "no credential in an AWS error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = labctl::fuzz::as_text(data, size);
  const auto bodies = bodies_of(input);
  {
    labctl::fuzz::Ec2Harness harness(200, bodies);
    const auto pages =
        harness.client->call_paged("DescribeInstances", {}, "reservationSet/item", 5);
    check(!harness.ran_away(), "DescribeInstances pagination ends");
    if (!pages) check_error(pages.error(), input);
  }
  for (const auto& type : aws::resource_types()) {
    labctl::fuzz::Ec2Harness harness(200, bodies);
    const auto live = aws::describe_resources(
        *harness.client, type,
        {{"tag:routerd.cloudedge.run_id", {"20261124T091500Z-cloudedge-x"}}});
    check(!harness.ran_away(), "describe_resources pagination ends");
    if (!live) check_error(live.error(), input);
  }
  return 0;
}
