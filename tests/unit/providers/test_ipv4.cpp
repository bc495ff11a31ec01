// tests providers/ipv4.hpp: the IPv4 readers every cloud's answers and the action contract go
// through.
#include "providers/ipv4.hpp"

#include <initializer_list>
#include <utility>

#include <gtest/gtest.h>

namespace labctl::providers {
namespace {

// Given a dotted quad, bare or as a /32, expect the address; given anything else, nothing.
TEST(Ipv4, SingleAddressTakesDottedQuadsOnly) {
  EXPECT_EQ(single_address("10.0.0.5"), "10.0.0.5");
  EXPECT_EQ(single_address("10.0.0.5/32"), "10.0.0.5");
  for (const char* bad : {"10.0.0.5/24", "10.0.0", "2001:db8::1", "10.0.0.5 ", "", "1.2.3.4/32/32",
                          "010.000.000.005", "10.0.0.5\n", "256.0.0.1"}) {
    EXPECT_EQ(single_address(bad), std::nullopt) << bad;
    EXPECT_FALSE(is_ipv4(bad)) << bad;
  }
}

// Given addresses and networks, expect membership; given garbage on either side, never inside.
TEST(Ipv4, InCidrIsFalseForAnythingMalformed) {
  EXPECT_TRUE(in_cidr("10.0.1.5", "10.0.1.0/24"));
  EXPECT_TRUE(in_cidr("10.0.1.5", "0.0.0.0/0"));
  EXPECT_FALSE(in_cidr("10.0.2.5", "10.0.1.0/24"));
  for (const auto& [address, cidr] : std::initializer_list<std::pair<const char*, const char*>>{
           {"10.0.1.5", "10.0.1.0"}, {"10.0.1.5", "10.0.1.0/33"}, {"10.0.1.5", "10.0.1.0/x"},
           {"10.0.1.5", "garbage/24"}, {"garbage", "10.0.1.0/24"}, {"10.0.1.5", "10.0.1.0/24 "}}) {
    EXPECT_FALSE(in_cidr(address, cidr)) << address << " " << cidr;
  }
}

}  // namespace
}  // namespace labctl::providers
