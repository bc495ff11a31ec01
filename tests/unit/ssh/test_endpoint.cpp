#include "ssh/endpoint.hpp"

#include <gtest/gtest.h>

namespace labctl::ssh {
namespace {

TEST(SshEndpoint, ParsesUserHostPortForms) {
  auto e = parse_endpoint("admin@host.example:2222", "X");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->user, "admin");
  EXPECT_EQ(e->host, "host.example");
  EXPECT_EQ(e->port, 2222);
  e = parse_endpoint("[2001:db8::1]:2200", "X");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "2001:db8::1");
  EXPECT_EQ(e->port, 2200);
  e = parse_endpoint("2001:db8::1", "X");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "2001:db8::1");
  EXPECT_EQ(e->port, 22);
  const auto bad = parse_endpoint("host:99999", "CE_AWS_CLIENT_SSH_HOST");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("CE_AWS_CLIENT_SSH_HOST"), std::string::npos);
}

TEST(SshEndpoint, DescribeIsUserAtHostColonPort) {
  EXPECT_EQ(describe({.host = "10.0.0.1", .port = 2222, .user = "ops"}), "ops@10.0.0.1:2222");
}

}  // namespace
}  // namespace labctl::ssh
