// The three former readers of SSH settings (matrix/plan.cpp, `labctl deploy`, the onprem
// provider) now call ssh/settings.hpp: given the same env and the same run, each must get the
// same settings. One test per drift issue #11 found between them.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/state_store.hpp"
#include "deploy/deploy.hpp"
#include "matrix/plan.hpp"
#include "providers/onprem/onprem_provider.hpp"
#include "ssh/settings.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/fakes/env_map.hpp"

namespace labctl::ssh {
namespace {

using nlohmann::json;
using labctl::testing::env_map;

class SshSettingsCallers : public labctl::testing::TempDirTest {
 protected:
  void SetUp() override {
    auto store = state::Store::open(tmp.path() / "state");
    ASSERT_TRUE(store) << store.error().message;
    state::RunRecord run;
    run.run_id = "20260601T000000Z-ssh-settings";
    run.profile = "lab";
    run.status = state::k_run_up;
    ASSERT_TRUE((*store)->insert_run(run));
    ASSERT_TRUE((*store)->set_meta(run.run_id, "ssh", m_meta));
    m_run_id = run.run_id;
    m_env["CE_STATE_DIR"] = (tmp.path() / "state").string();
    m_env["HOME"] = "/home/t";
  }

  // What the matrix engine would connect with: flags name the sites and the run.
  Expected<SshSettings> matrix_settings() {
    matrix::SmokeOptions options;
    options.sites = "a=10.0.0.1,b=10.0.0.2";
    options.run_id = m_run_id;
    const auto env = env_map(m_env);
    auto run = matrix::find_run(options, env);
    if (!run) return std::unexpected(run.error());
    EXPECT_TRUE(*run) << "the run should be found";
    auto plan = matrix::resolve_plan(options, env, *run ? &**run : nullptr);
    if (!plan) return std::unexpected(plan.error());
    EXPECT_EQ(plan->sites.at(0).ssh.user, "runuser");
    return plan->ssh.ssh;
  }
  Expected<SshSettings> deploy_settings() {
    auto resolved = deploy::ssh_for_run(env_map(m_env), m_meta);
    if (!resolved) return std::unexpected(resolved.error());
    EXPECT_EQ(resolved->user, "runuser");
    return resolved->session;
  }
  Expected<SshSettings> onprem_settings() {
    return providers::onprem_ssh_settings(env_map(m_env), m_meta);
  }

  // All three succeed and agree; returns the common settings.
  SshSettings expect_same() {
    const auto from_matrix = matrix_settings();
    const auto from_deploy = deploy_settings();
    const auto from_onprem = onprem_settings();
    EXPECT_TRUE(from_matrix) << from_matrix.error().message;
    EXPECT_TRUE(from_deploy) << from_deploy.error().message;
    EXPECT_TRUE(from_onprem) << from_onprem.error().message;
    if (!from_matrix || !from_deploy || !from_onprem) return {};
    EXPECT_EQ(*from_matrix, *from_deploy);
    EXPECT_EQ(*from_matrix, *from_onprem);
    return *from_matrix;
  }

  void expect_usage_error_naming(const std::string& variable) {
    for (const auto& result : {matrix_settings(), deploy_settings(), onprem_settings()}) {
      ASSERT_FALSE(result);
      EXPECT_EQ(result.error().code, ExitCode::usage);
      EXPECT_NE(result.error().message.find(variable), std::string::npos) << result.error().message;
    }
  }

  json m_meta = {
      {"key_file", "/run/key"}, {"known_hosts", "/run/known_hosts"}, {"user", "runuser"}};
  std::map<std::string, std::string> m_env;
  std::string m_run_id;
};

// Given only the run's meta, expect its key, known_hosts and user everywhere.
TEST_F(SshSettingsCallers, RunMetaReachesAllThree) {
  const auto settings = expect_same();
  EXPECT_EQ(settings.key_file, "/run/key");
  EXPECT_EQ(settings.known_hosts, "/run/known_hosts");
  EXPECT_EQ(settings.connect_timeout_s, 8);
}

// Drift 1: only matrix/plan.cpp honoured CE_SSH_USER_KNOWN_HOSTS_FILE. Given it, expect deploy
// and onprem to check host keys against that file too.
TEST_F(SshSettingsCallers, UserKnownHostsFileIsHonouredByAll) {
  m_env["CE_SSH_USER_KNOWN_HOSTS_FILE"] = "/env/known_hosts";
  EXPECT_EQ(expect_same().known_hosts, "/env/known_hosts");
}

// Drift 2: `labctl deploy` ignored CE_SSH_CONNECT_TIMEOUT. Given it, expect every caller's
// connect timeout to be that value.
TEST_F(SshSettingsCallers, ConnectTimeoutReachesDeploy) {
  m_env["CE_SSH_CONNECT_TIMEOUT"] = "3";
  EXPECT_EQ(expect_same().connect_timeout_s, 3);
}

// Drift 3: onprem parsed CE_SSH_CONNECT_TIMEOUT with strtol (so "5s" was 5 and "x" was 1).
// Given a value that is not a whole number, expect every caller to refuse it with exit 2
// naming the variable.
TEST_F(SshSettingsCallers, BadConnectTimeoutIsRefusedByAll) {
  for (const std::string bad : {"5s", "x", "0"}) {
    SCOPED_TRACE(bad);
    m_env["CE_SSH_CONNECT_TIMEOUT"] = bad;
    expect_usage_error_naming("CE_SSH_CONNECT_TIMEOUT");
  }
}

// The one deliberate difference: onprem checks host keys strictly whatever
// CE_SSH_STRICT_HOST_KEY_CHECKING says (it never connects to a host it cannot identify).
TEST_F(SshSettingsCallers, OnpremKeepsStrictHostKeysWhateverTheEnvSays) {
  m_env["CE_SSH_STRICT_HOST_KEY_CHECKING"] = "no";
  ASSERT_TRUE(matrix_settings());
  EXPECT_EQ(matrix_settings()->policy, HostKeyPolicy::off);
  EXPECT_EQ(deploy_settings()->policy, HostKeyPolicy::off);
  const auto onprem = onprem_settings();
  ASSERT_TRUE(onprem) << onprem.error().message;
  EXPECT_EQ(onprem->policy, HostKeyPolicy::strict);
}

}  // namespace
}  // namespace labctl::ssh
