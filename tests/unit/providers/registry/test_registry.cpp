#include "providers/registry/registry.hpp"

#include <gtest/gtest.h>

namespace labctl::providers {
namespace {

using Names = std::vector<std::string>;

// Seams that see an empty environment; nothing here reaches a clock, a process or a cloud.
ProviderSeams quiet_seams() {
  return ProviderSeams{Seams{[](const std::string&) { return std::optional<std::string>{}; },
                             nullptr, nullptr},
                       nullptr, nullptr, nullptr};
}

TEST(Registry, KnownNamesOfferEveryProviderButTestOnes) {
  EXPECT_EQ(known_names(), (Names{"aws", "oci", "azure", "onprem", "local"}));
  EXPECT_EQ(discoverable_names(), (Names{"aws", "oci", "azure", "onprem", "local", "testfs"}));
  const auto names = profile_names();
  EXPECT_EQ(names.known, known_names());
  EXPECT_EQ(names.test_only, Names{"testfs"});
}

TEST(Registry, UnknownNameIsUsageErrorWithSuggestion) {
  const auto provider = make_provider("asw", quiet_seams());
  ASSERT_FALSE(provider);
  EXPECT_EQ(provider.error().code, ExitCode::usage);
  EXPECT_EQ(provider.error().message,
            "unknown provider: asw (did you mean \"aws\"?) (want: aws oci azure onprem local)");
}

// Given a provider without permission checks or policies, expect the interface's defaults:
// a usage error naming the provider and the thing it lacks.
TEST(Registry, ProviderSpecificChecksDefaultToUnsupported) {
  auto provider = make_provider("testfs", quiet_seams());
  ASSERT_TRUE(provider);
  const auto checked = (*provider)->check_permissions(Plan{});
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ExitCode::usage);
  EXPECT_EQ(checked.error().message, "provider testfs does not support permission checks");
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
}  // namespace labctl::providers
