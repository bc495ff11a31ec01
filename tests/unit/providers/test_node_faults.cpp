#include "providers/node_faults.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/env_map.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers {
namespace {

using labctl::testing::env_map;

profile::Profile profile_with(std::map<std::string, profile::NodeFaultCommands> faults) {
  profile::Profile profile;
  profile.name = "lab";
  profile.node_faults = std::move(faults);
  return profile;
}

TEST(NodeFaults, TheThreeNodeFaultsAndNoOther) {
  EXPECT_TRUE(is_node_fault("drain"));
  EXPECT_TRUE(is_node_fault("routerd-bgp-stop"));
  EXPECT_TRUE(is_node_fault("heartbeat-stop"));
  EXPECT_FALSE(is_node_fault("stop-active"));
  EXPECT_FALSE(is_node_fault("executor-fail"));
  EXPECT_FALSE(is_node_fault(""));
}

// Given a profile without node_faults, expect each node fault's documented systemd default,
// with a restore that starts the unit its inject stopped.
TEST(NodeFaults, DefaultsStopAndStartTheirUnit) {
  const auto profile = profile_with({});
  const std::vector<std::pair<std::string, std::string>> units{
      {"drain", "routerd"}, {"routerd-bgp-stop", "routerd-bgp"}, {"heartbeat-stop", "keepalived"}};
  for (const auto& [fault, unit] : units) {
    const auto command = node_fault_command(profile, fault);
    ASSERT_TRUE(command) << fault << ": " << command.error().message;
    EXPECT_EQ(command->inject, "sudo -n systemctl stop " + unit);
    EXPECT_EQ(command->restore, "sudo -n systemctl start " + unit);
    EXPECT_EQ(command->source, "default");
  }
}

// Given node_faults entries, expect them to replace the default whole (a missing restore stays
// missing, it does not fall back to the default's) and to name their file:line.
TEST(NodeFaults, ProfileEntriesReplaceTheDefault) {
  const auto profile = profile_with({{"drain", {"touch /run/d", "rm /run/d", "lab.yaml:7: "}},
                                     {"heartbeat-stop", {"pkill vrrpd", "", "lab.yaml:9: "}}});
  const auto drain = node_fault_command(profile, "drain");
  ASSERT_TRUE(drain);
  EXPECT_EQ(drain->inject, "touch /run/d");
  EXPECT_EQ(drain->restore, "rm /run/d");
  EXPECT_EQ(drain->source, "lab.yaml:7: node_faults.drain");
  const auto heartbeat = node_fault_command(profile, "heartbeat-stop");
  ASSERT_TRUE(heartbeat);
  EXPECT_EQ(heartbeat->restore, "");
  const auto bgp = node_fault_command(profile, "routerd-bgp-stop");
  ASSERT_TRUE(bgp);
  EXPECT_EQ(bgp->source, "default");
}

// Given stop-active (no default: clouds stop machines through their API) without a profile
// entry, expect a usage error naming the key to add; with one, expect that command.
TEST(NodeFaults, StopActiveNeedsAProfileCommand) {
  const auto missing = node_fault_command(profile_with({}), "stop-active");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ExitCode::usage);
  EXPECT_NE(missing.error().message.find("node_faults.stop-active.inject"), std::string::npos)
      << missing.error().message;
  const auto given =
      node_fault_command(profile_with({{"stop-active", {"poweroff", "", ""}}}), "stop-active");
  ASSERT_TRUE(given);
  EXPECT_EQ(given->inject, "poweroff");
}

// Given CE_SSH_STRICT_HOST_KEY_CHECKING=no, expect strict checking anyway, and the resolver's
// precedence for the rest (env key file over the run's, the run's user over the profile's).
TEST(NodeFaults, SshSettingsAreAlwaysStrict) {
  const auto resolved = strict_ssh_settings(
      env_map({{"CE_SSH_STRICT_HOST_KEY_CHECKING", "no"}, {"SSH_KEY_FILE", "/env/key"},
               {"HOME", "/home/t"}}),
      {{"key_file", "/run/key"}, {"user", "run-user"}}, {"", "", "profile-user"});
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->session.policy, ssh::HostKeyPolicy::strict);
  EXPECT_EQ(resolved->session.key_file, "/env/key");
  EXPECT_EQ(resolved->user, "run-user");
  const auto profile_only = strict_ssh_settings(env_map({{"HOME", "/home/t"}}),
                                                nlohmann::json::object(), {"", "", "ec2-user"});
  ASSERT_TRUE(profile_only);
  EXPECT_EQ(profile_only->user, "ec2-user");
}

// Given a fault without a restore command, expect restore to fail as a usage error before any
// connection (the endpoint is a closed loopback port: a connection attempt would be exit 3).
TEST(NodeFaults, RestoreWithoutACommandIsAUsageError) {
  labctl::testing::ManualClock clock;
  const NodeFaultTarget target{"aws", "aws-router-a", "router-a", {"127.0.0.1", 1, "root"}};
  const auto restored = run_node_fault(target, "heartbeat-stop", {"pkill vrrpd", "", "x: "},
                                       NodeFaultStep::restore, {}, clock);
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code, ExitCode::usage);
  EXPECT_NE(restored.error().message.find("node_faults.heartbeat-stop.restore"),
            std::string::npos)
      << restored.error().message;
}

// Given a node that refuses the connection, expect a provider error naming the step, fault,
// node and endpoint.
TEST(NodeFaults, UnreachableNodeIsAProviderErrorNamingIt) {
  labctl::testing::ManualClock clock;
  const NodeFaultTarget target{"onprem", "r1", "router", {"127.0.0.1", 1, "root"}};
  ssh::SshSettings settings;
  settings.connect_timeout_s = 2;
  const auto injected = run_node_fault(target, "drain", {"true", "true", "default"},
                                       NodeFaultStep::inject, settings, clock);
  ASSERT_FALSE(injected);
  EXPECT_EQ(injected.error().code, ExitCode::provider);
  EXPECT_NE(injected.error().message.find("failover: inject drain on onprem node r1 "
                                          "(root@127.0.0.1:1)"),
            std::string::npos)
      << injected.error().message;
}

}  // namespace
}  // namespace labctl::providers
