#include "core/suggest.hpp"

#include <gtest/gtest.h>

namespace labctl {
namespace {

TEST(DidYouMean, SuggestsCloseTypos) {
  const std::vector<std::string> names{"aws", "oci", "azure", "onprem", "local"};
  EXPECT_EQ(closest_match("asw", names), "aws");
  EXPECT_EQ(closest_match("azrue", names), "azure");
  EXPECT_EQ(closest_match("onperm", names), "onprem");
  EXPECT_EQ(did_you_mean("regoin", {"region", "regions"}), " (did you mean \"region\"?)");
}

TEST(DidYouMean, StaysQuietForUnrelatedWords) {
  EXPECT_FALSE(closest_match("kubernetes", {"aws", "oci"}));
  EXPECT_EQ(did_you_mean("zzz", {"aws"}), "");
}

}  // namespace
}  // namespace labctl
