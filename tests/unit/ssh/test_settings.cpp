#include "ssh/settings.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/fakes/env_map.hpp"

namespace labctl::ssh {
namespace {

using labctl::testing::env_map;

Resolved resolve(const std::map<std::string, std::string>& env, const SettingsLayer& run = {},
                 const SettingsLayer& profile = {}) {
  auto resolved = resolve_settings(env_map(env), run, profile);
  EXPECT_TRUE(resolved) << resolved.error().message;
  return resolved ? *resolved : Resolved{};
}

// One string setting: its env names (in precedence order), its field in a layer, where it lands.
struct StringSetting {
  std::string name;
  std::vector<std::string> env_names;
  std::string SettingsLayer::*layer_field;
  std::function<std::string(const Resolved&)> read;
  std::string fallback;  // with HOME=/home/t
};

std::vector<StringSetting> string_settings() {
  return {
      {"key file",
       {"SSH_KEY_FILE"},
       &SettingsLayer::key_file,
       [](const Resolved& r) { return r.session.key_file; },
       ""},
      {"known_hosts",
       {"CE_SSH_KNOWN_HOSTS", "CE_SSH_USER_KNOWN_HOSTS_FILE"},
       &SettingsLayer::known_hosts,
       [](const Resolved& r) { return r.session.known_hosts; },
       "/home/t/.ssh/known_hosts"},
      {"user",
       {"CE_SSH_USER", "SSH_USER", "CLIENT_SSH_USER"},
       &SettingsLayer::user,
       [](const Resolved& r) { return r.user; },
       "ubuntu"},
  };
}

// Given a value for a setting in every source, then removing the winner one source at a time,
// expect env (each of its names in order) > run metadata > profile > default, for each setting.
TEST(SshSettings, EnvBeatsRunBeatsProfileBeatsDefault) {
  for (const auto& setting : string_settings()) {
    SCOPED_TRACE(setting.name);
    std::map<std::string, std::string> env{{"HOME", "/home/t"}};
    for (const auto& name : setting.env_names) env[name] = "env-" + name;
    SettingsLayer run;
    run.*setting.layer_field = "from-run";
    SettingsLayer profile;
    profile.*setting.layer_field = "from-profile";
    for (const auto& name : setting.env_names) {
      EXPECT_EQ(setting.read(resolve(env, run, profile)), "env-" + name);
      env.erase(name);
    }
    EXPECT_EQ(setting.read(resolve(env, run, profile)), "from-run");
    EXPECT_EQ(setting.read(resolve(env, {}, profile)), "from-profile");
    EXPECT_EQ(setting.read(resolve(env, {}, {})), setting.fallback);
  }
}

// Given a variable set to "", expect it to count as unset: the next source wins.
TEST(SshSettings, AnEmptyVariableCountsAsUnset) {
  for (const auto& setting : string_settings()) {
    SCOPED_TRACE(setting.name);
    std::map<std::string, std::string> env{{"HOME", "/home/t"}};
    for (const auto& name : setting.env_names) env[name] = "";
    SettingsLayer run;
    run.*setting.layer_field = "from-run";
    EXPECT_EQ(setting.read(resolve(env, run)), "from-run");
  }
}

TEST(SshSettings, KnownHostsDefaultsToRootsWithoutHome) {
  EXPECT_EQ(resolve({}).session.known_hosts, "/root/.ssh/known_hosts");
}

// The agent has one source: SSH_AUTH_SOCK, else none (then only the default identities).
TEST(SshSettings, AgentComesFromSshAuthSockOnly) {
  EXPECT_EQ(resolve({{"SSH_AUTH_SOCK", "/tmp/agent.sock"}}).session.agent_socket,
            "/tmp/agent.sock");
  EXPECT_EQ(resolve({}).session.agent_socket, "");
  EXPECT_EQ(resolve({{"SSH_AUTH_SOCK", ""}}).session.agent_socket, "");
}

// Given each CE_SSH_STRICT_HOST_KEY_CHECKING value, expect its policy; unset or unknown text is
// strict (fails closed).
TEST(SshSettings, StrictnessFromEnvDefaultsToStrict) {
  EXPECT_EQ(resolve({}).session.policy, HostKeyPolicy::strict);
  EXPECT_EQ(resolve({{"CE_SSH_STRICT_HOST_KEY_CHECKING", "yes"}}).session.policy,
            HostKeyPolicy::strict);
  EXPECT_EQ(resolve({{"CE_SSH_STRICT_HOST_KEY_CHECKING", "accept-new"}}).session.policy,
            HostKeyPolicy::accept_new);
  EXPECT_EQ(resolve({{"CE_SSH_STRICT_HOST_KEY_CHECKING", "no"}}).session.policy,
            HostKeyPolicy::off);
  EXPECT_EQ(resolve({{"CE_SSH_STRICT_HOST_KEY_CHECKING", "maybe"}}).session.policy,
            HostKeyPolicy::strict);
}

TEST(SshSettings, ConnectTimeoutFromEnvElseEightSeconds) {
  EXPECT_EQ(resolve({}).session.connect_timeout_s, 8);
  EXPECT_EQ(resolve({{"CE_SSH_CONNECT_TIMEOUT", ""}}).session.connect_timeout_s, 8);
  EXPECT_EQ(resolve({{"CE_SSH_CONNECT_TIMEOUT", "1"}}).session.connect_timeout_s, 1);
  EXPECT_EQ(resolve({{"CE_SSH_CONNECT_TIMEOUT", "3600"}}).session.connect_timeout_s, 3600);
}

// Given a connect timeout that is not a whole number of seconds from 1 to 3600, expect a usage
// error (exit 2) naming the variable, never the default in its place.
TEST(SshSettings, BadConnectTimeoutIsAUsageErrorNamingTheVariable) {
  for (const std::string bad :
       {"0", "-1", "x", "8s", " 8", "3601", "1e3", "99999999999999999999"}) {
    SCOPED_TRACE(bad);
    const auto resolved = resolve_settings(env_map({{"CE_SSH_CONNECT_TIMEOUT", bad}}), {}, {});
    ASSERT_FALSE(resolved);
    EXPECT_EQ(resolved.error().code, ExitCode::usage);
    EXPECT_NE(resolved.error().message.find("CE_SSH_CONNECT_TIMEOUT"), std::string::npos)
        << resolved.error().message;
  }
}

// Given a run's "ssh" meta with strings and non-strings, expect only the strings as set values.
TEST(SshSettings, LayerFromMetaTakesStringFieldsOnly) {
  const auto layer = layer_from_meta(
      {{"key_file", "/k"}, {"known_hosts", 7}, {"user", "ops"}, {"other", "ignored"}});
  EXPECT_EQ(layer.key_file, "/k");
  EXPECT_EQ(layer.known_hosts, "");
  EXPECT_EQ(layer.user, "ops");
  EXPECT_EQ(layer_from_meta(nlohmann::json::array()).user, "");
}

}  // namespace
}  // namespace labctl::ssh
