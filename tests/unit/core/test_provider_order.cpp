#include "core/provider_order.hpp"

#include <gtest/gtest.h>

namespace labctl {
namespace {

using Names = std::vector<std::string>;

TEST(SplitProviderList, ToleratesWhitespaceAndDuplicates) {
  EXPECT_EQ(split_provider_list(" aws , oci "), (Names{"aws", "oci"}));
  EXPECT_EQ(split_provider_list("aws,,aws, onprem"), (Names{"aws", "onprem"}));
  EXPECT_EQ(split_provider_list(""), Names{});
}

TEST(OrderProviders, DeclaredKeepsOrder) {
  const Names full{"aws", "oci", "azure", "onprem"};
  EXPECT_EQ(*order_providers(full, "declared"), full);
  EXPECT_EQ(*order_providers(full, ""), full);
}

TEST(OrderProviders, CostOptimizedAndSlowFirst) {
  const Names full{"aws", "oci", "azure", "onprem"};
  const Names expected{"onprem", "oci", "aws", "azure"};
  EXPECT_EQ(*order_providers(full, "cost-optimized"), expected);
  EXPECT_EQ(*order_providers(full, "slow-first"), expected);
}

TEST(OrderProviders, FastFirst) {
  EXPECT_EQ(*order_providers({"onprem", "oci", "aws", "azure"}, "fast-first"),
            (Names{"aws", "azure", "oci", "onprem"}));
}

TEST(OrderProviders, UnrankedKeepDeclaredOrderAfterRanked) {
  EXPECT_EQ(*order_providers({"testfs", "aws", "local"}, "fast-first"),
            (Names{"local", "aws", "testfs"}));
}

TEST(OrderProviders, UnknownModeIsUsageErrorWithModes) {
  const auto ordered = order_providers({"aws"}, "cheapest");
  ASSERT_FALSE(ordered);
  EXPECT_EQ(ordered.error().code, ExitCode::usage);
  EXPECT_NE(ordered.error().message.find("declared|cost-optimized|slow-first|fast-first"),
            std::string::npos);
}

}  // namespace
}  // namespace labctl
