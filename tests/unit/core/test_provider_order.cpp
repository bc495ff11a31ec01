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

}  // namespace
}  // namespace labctl
