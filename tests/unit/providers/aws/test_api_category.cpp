#include "providers/aws/api_category.hpp"

#include <gtest/gtest.h>

namespace labctl::providers::aws {
namespace {

TEST(ApiCategory, DocumentedRates) {
  EXPECT_EQ(documented_rate(ApiCategory::non_mutating).capacity, 100);
  EXPECT_EQ(documented_rate(ApiCategory::non_mutating).refill_per_second, 20);
  EXPECT_EQ(documented_rate(ApiCategory::unfiltered_describe).refill_per_second, 10);
  EXPECT_EQ(documented_rate(ApiCategory::run_instances).capacity, 5);
  EXPECT_EQ(documented_rate(ApiCategory::run_instances).refill_per_second, 2);
  EXPECT_EQ(documented_rate(ApiCategory::terminate_instances).capacity, 100);
  EXPECT_EQ(documented_rate(ApiCategory::tags).refill_per_second, 10);
  EXPECT_EQ(documented_rate(ApiCategory::mutating).refill_per_second, 5);
}

TEST(ApiCategory, ClassifiesActions) {
  const QueryParams none;
  QueryParams filtered;
  filtered.add_filters({{"tag:x", {"y"}}});
  EXPECT_EQ(categorize("DescribeInstances", none), ApiCategory::unfiltered_describe);
  EXPECT_EQ(categorize("DescribeInstances", filtered), ApiCategory::non_mutating);
  EXPECT_EQ(categorize("DescribeInstances", QueryParams{{"MaxResults", "5"}}),
            ApiCategory::non_mutating);
  EXPECT_EQ(categorize("DescribeRegions", none), ApiCategory::non_mutating);
  EXPECT_EQ(categorize("RunInstances", none), ApiCategory::run_instances);
  EXPECT_EQ(categorize("TerminateInstances", none), ApiCategory::terminate_instances);
  EXPECT_EQ(categorize("CreateTags", none), ApiCategory::tags);
  EXPECT_EQ(categorize("AssignPrivateIpAddresses", none), ApiCategory::network_interface);
  EXPECT_EQ(categorize("AuthorizeSecurityGroupIngress", none), ApiCategory::resource_intensive);
  EXPECT_EQ(categorize("CreateKeyPair", none), ApiCategory::resource_intensive);
  EXPECT_EQ(categorize("DeleteKeyPair", none), ApiCategory::mutating);
  EXPECT_TRUE(is_mutating("StopInstances"));
  EXPECT_FALSE(is_mutating("DescribeVpcs"));
  EXPECT_FALSE(is_mutating("GetConsoleOutput"));
}

}  // namespace
}  // namespace labctl::providers::aws
