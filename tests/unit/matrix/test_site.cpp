#include "matrix/site.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/text.hpp"
#include "tests/fakes/env_map.hpp"

namespace labctl::matrix {
namespace {

using labctl::testing::env_map;

TEST(ParseSites, SplitsTrimsAndSkipsEmptyItems) {
  const auto sites = parse_sites(" onprem = 10.0.0.1 ,, aws=10.0.0.2,");
  ASSERT_TRUE(sites) << sites.error().message;
  ASSERT_EQ(sites->size(), 2U);
  EXPECT_EQ((*sites)[0].name, "onprem");
  EXPECT_EQ((*sites)[0].ip, "10.0.0.1");
  EXPECT_EQ((*sites)[1].name, "aws");
}

TEST(ParseSites, NameIsTextBeforeFirstEquals) {
  const auto sites = parse_sites("a=b.example=,b=3");
  ASSERT_FALSE(sites);  // the name is "a"; "b.example=" is no address
  EXPECT_NE(sites.error().message.find("bad site spec entry: 'a=b.example='"), std::string::npos)
      << sites.error().message;
  const auto names = parse_sites("a=fd00::1,b=host-2.lab");
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_EQ((*names)[0].name, "a");
  EXPECT_EQ((*names)[0].ip, "fd00::1");
  EXPECT_EQ((*names)[1].ip, "host-2.lab");
}

// Given addresses that would reach ping as an option, or bytes that are not text (found by
// fuzz_matrix_runner), expect a usage error that prints them safely.
TEST(ParseSites, AddressesAreHostsOrIpsOnly) {
  for (const std::string& spec : std::vector<std::string>{"a=-f,b=1", "a=10.77\xb5.60.10,b=1", "a=1|2,b=3", "a=1;reboot,b=2",
                                 "a=$(id),b=2", "a=" + std::string(300, 'x') + ",b=1"}) {
    const auto sites = parse_sites(spec);
    ASSERT_FALSE(sites) << spec;
    EXPECT_EQ(sites.error().code, ExitCode::usage);
    EXPECT_TRUE(text::is_valid_utf8(sites.error().message)) << sites.error().message;
  }
}

TEST(ParseSites, DuplicateNamesAreAllowed) {
  const auto sites = parse_sites("a=1,a=2");
  ASSERT_TRUE(sites);
  EXPECT_EQ(sites->size(), 2U);
}

// Given the original's usage errors, expect exit 2 with its exact messages.
TEST(ParseSites, RejectsBadEntriesAsUsageErrors) {
  for (const auto* spec : {"a=1,b", "a=1,=2", "a=1,b=", "a=1,x=x"}) {
    const auto sites = parse_sites(spec);
    ASSERT_FALSE(sites) << spec;
    EXPECT_EQ(sites.error().code, ExitCode::usage);
    EXPECT_NE(sites.error().message.find("bad site spec entry: '"), std::string::npos);
    EXPECT_NE(sites.error().message.find("(want site=ip)"), std::string::npos);
  }
  const auto one = parse_sites("a=1");
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().code, ExitCode::usage);
  EXPECT_EQ(one.error().message, "need at least 2 sites for a directed matrix");
  EXPECT_EQ(parse_sites("a=1,b").error().message, "bad site spec entry: 'b' (want site=ip)");
}

TEST(ExpectedHostname, FollowsTheFourFallbacksInOrder) {
  EXPECT_EQ(env_site_key("my-site"), "MY_SITE");
  EXPECT_EQ(expected_hostname(env_map({}), "aws"), "");
  EXPECT_EQ(expected_hostname(env_map({{"AWS_EXPECT_HOSTNAME", "d"}}), "aws"), "d");
  EXPECT_EQ(expected_hostname(env_map({{"AWS_EXPECT_HOSTNAME", "d"}, {"CE_AWS_EXPECT_HOSTNAME", "c"}}), "aws"), "c");
  EXPECT_EQ(expected_hostname(env_map({{"CE_AWS_EXPECT_HOSTNAME", "c"}, {"AWS_CLIENT_EXPECT_HOSTNAME", "b"}}), "aws"), "b");
  EXPECT_EQ(expected_hostname(env_map({{"AWS_CLIENT_EXPECT_HOSTNAME", "b"}, {"CE_AWS_CLIENT_EXPECT_HOSTNAME", "a"}}), "aws"), "a");
  EXPECT_EQ(expected_hostname(env_map({{"CE_MY_SITE_CLIENT_EXPECT_HOSTNAME", "x"}}), "my-site"), "x");
}

// Given env and state both naming a host, expect env to win; CE_ forms beat plain ones.
TEST(ResolveEndpoints, EnvBeatsStateAndCeBeatsPlain) {
  auto sites = *parse_sites("aws=10.0.0.2,oci=10.0.0.3,azure=10.0.0.4");
  std::map<std::string, StateEndpoint> state;
  state["aws"] = {ssh::Endpoint{"state-aws", 2200, "ec2-user"},
                  ssh::Endpoint{"jump.state", 22, ""}};
  state["oci"] = {ssh::Endpoint{"state-oci", 22, ""}, std::nullopt};
  resolve_endpoints(sites,
                    env_map({{"CE_AWS_CLIENT_SSH_HOST", "ce-aws"}, {"AWS_CLIENT_SSH_HOST", "plain-aws"},
                            {"AWS_CLIENT_SSH_USER", "plainuser"},
                            {"OCI_CLIENT_SSH_JUMP", "bastion@jump.example:2022"}}),
                    state, "ubuntu");
  EXPECT_EQ(sites[0].ssh.host, "ce-aws");
  EXPECT_EQ(sites[0].ssh.port, 22);
  EXPECT_EQ(sites[0].ssh.user, "plainuser");
  ASSERT_TRUE(sites[0].jump);
  EXPECT_EQ(sites[0].jump->host, "jump.state");
  EXPECT_EQ(sites[0].jump->user, "plainuser");
  EXPECT_EQ(sites[1].ssh.host, "state-oci");
  EXPECT_EQ(sites[1].ssh.user, "ubuntu");
  ASSERT_TRUE(sites[1].jump);
  EXPECT_EQ(sites[1].jump->user, "bastion");
  EXPECT_EQ(sites[1].jump->port, 2022);
  EXPECT_TRUE(sites[2].ssh.host.empty());
  EXPECT_NE(sites[2].ssh_error.find("CE_AZURE_CLIENT_SSH_HOST"), std::string::npos);
}

}  // namespace
}  // namespace labctl::matrix
