#include <unistd.h>

#include "core/state_store.hpp"
#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A local lab stands in for the pre-provisioned machines: its clients are real sshd hosts with
// per-run host keys, reachable from this host on their management addresses.
class OnpremHosts : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "the local lab needs root";
    const auto up = labctl({"up", "--profile", "local", "--ttl", "30m"}, live_env());
    ASSERT_EQ(up.code, 0) << up.err;
    lab_run = first_line(up.out);
    const Json shown_resources = show(lab_run)["resources"];
    for (const auto& r : shown_resources) {
      if (r["kind"] == "netns" && r["attrs"].contains("node") &&
          r["attrs"]["node"].value("role", "") == "client") {
        hosts.push_back(r["attrs"]["node"]["ssh"]["host"]);
      }
    }
    ASSERT_GE(hosts.size(), 2u);
    auto store = state::Store::open_existing(state_dir);
    ASSERT_TRUE(store && *store);
    auto meta = (**store).get_meta(lab_run, "ssh");
    ASSERT_TRUE(meta && *meta);
    key_file = (**meta).at("key_file").get<std::string>();
    known_hosts = (**meta).at("known_hosts").get<std::string>();
    onprem_profile = tmp.path() / "onprem.yaml";
    write_text(onprem_profile,
               "name: onprem-lab\nproviders: [onprem]\nttl: 1h\nsites:\n"
               "  - name: onprem\n    provider: onprem\n    logical_address: 198.18.0.10\n"
               "    nodes:\n      - {name: onprem-router, role: router}\n"
               "      - {name: onprem-client, role: client}\n"
               "onprem:\n  hosts:\n"
               "    - {name: onprem-router, role: router, ssh: {host: " +
                   hosts[0] +
                   ", user: root}}\n"
                   "    - {name: onprem-client, role: client, ssh: {host: " +
                   hosts[1] +
                   ", user: root}}\n"
                   "  fault_commands:\n"
                   "    stop-active: ip -4 -o addr show > " +
                   (tmp.path() / "fault-ran").string() + "\n");
  }

  void TearDown() override {
    if (!lab_run.empty()) {
      const auto down = labctl({"down", "--run-id", lab_run}, live_env());
      EXPECT_EQ(down.code, 0) << down.err;
    }
  }

  std::map<std::string, std::string> live_env() const {
    return {{"CE_DRY_RUN", "0"}, {"LABCTL_LOCAL_META_DIR", (tmp.path() / "meta").string()}};
  }

  CommandOutput onprem_up(const fs::path& known) const {
    return labctl({"up", "--profile", onprem_profile.string(), "--ttl", "30m"},
                  {{"CE_DRY_RUN", "0"},
                   {"SSH_KEY_FILE", key_file},
                   {"SSH_AUTH_SOCK", "\x01unset"},
                   {"CE_SSH_KNOWN_HOSTS", known.string()}});
  }

  std::string lab_run;
  std::vector<std::string> hosts;
  std::string key_file;
  std::string known_hosts;
  fs::path onprem_profile;
};

// Given reachable hosts whose keys are in known_hosts, expect `up` to record each as a verified
// host with its node attrs and host-key fingerprint, and `down` to release them.
TEST_F(OnpremHosts, UpVerifiesAndRecordsEveryHost) {
  const auto up = onprem_up(known_hosts);
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const std::string listed =
      run_command({"/usr/bin/ssh-keygen", "-l", "-f", known_hosts}, {}, tmp.path()).out;
  std::size_t verified = 0;
  const Json shown_resources = show(run_id)["resources"];
  for (const auto& r : shown_resources) {
    if (r["kind"] != "host") continue;
    ++verified;
    EXPECT_EQ(r["state"], "created") << r.dump();
    const auto& node = r["attrs"]["node"];
    EXPECT_EQ(node["site"], "onprem");
    EXPECT_EQ(node["logical_address"], "198.18.0.10");
    EXPECT_EQ(node["ssh"]["host"], r["cloudId"]);
    const std::string fingerprint = r["attrs"].value("hostkey_sha256", "");
    EXPECT_EQ(fingerprint.rfind("SHA256:", 0), 0u) << r.dump();
    EXPECT_NE(listed.find(fingerprint), std::string::npos) << fingerprint << " not in\n" << listed;
  }
  EXPECT_EQ(verified, 2u);
  const auto down = labctl({"down", "--run-id", run_id}, {{"CE_DRY_RUN", "0"}});
  EXPECT_EQ(down.code, 0) << down.err;
  const Json released = show(run_id)["resources"];
  for (const auto& r : released) EXPECT_EQ(r["state"], "deleted") << r.dump();
}

// Given a verified onprem run, expect a fault to run its profile command on the active router
// over SSH, with the key and known_hosts the run recorded (no SSH env at failover time); a fault
// the older onprem.fault_commands does not list to exit 2; and, with node_faults, drain
// --restore-after to run the inject and restore commands there with both timestamps recorded.
TEST_F(OnpremHosts, FaultRunsItsCommandOnTheRouter) {
  const auto up = onprem_up(known_hosts);
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const auto failover =
      labctl({"failover", "--run-id", run_id, "--provider", "onprem", "--fault", "stop-active"},
             {{"CE_DRY_RUN", "0"}, {"SSH_AUTH_SOCK", "\x01unset"}});
  EXPECT_EQ(failover.code, 0) << failover.err;
  EXPECT_NE(read_text(tmp.path() / "fault-ran").find(" " + hosts[0] + "/"), std::string::npos)
      << "the fault command did not run on the router (" << hosts[0] << ")";
  const Json shown_events = show(run_id)["events"];
  bool recorded = false;
  for (const auto& e : shown_events) {
    recorded =
        recorded || (e["kind"] == "failover" && e["detail"]["detail"]["node"] == "onprem-router");
  }
  EXPECT_TRUE(recorded) << shown_events.dump();
  const auto missing =
      labctl({"failover", "--run-id", run_id, "--provider", "onprem", "--fault", "drain"},
             {{"CE_DRY_RUN", "0"}});
  EXPECT_EQ(missing.code, 2) << missing.err;

  // The same run once its profile moves to node_faults (re-read at failover time): drain with
  // --restore-after runs the inject, then the restore command on the router, each an event.
  const std::string profile_text = read_text(onprem_profile);
  const fs::path drained = tmp.path() / "drained";
  const fs::path restored = tmp.path() / "restored";
  write_text(onprem_profile,
             profile_text.substr(0, profile_text.find("  fault_commands:")) +
                 "node_faults:\n  drain:\n    inject: ip -4 -o addr show > " + drained.string() +
                 "\n    restore: ip -4 -o addr show > " + restored.string() + "\n");
  const auto drain = labctl({"failover", "--run-id", run_id, "--provider", "onprem", "--fault",
                             "drain", "--restore-after", "0"},
                            {{"CE_DRY_RUN", "0"}, {"SSH_AUTH_SOCK", "\x01unset"}});
  EXPECT_EQ(drain.code, 0) << drain.err;
  EXPECT_NE(read_text(drained).find(" " + hosts[0] + "/"), std::string::npos);
  EXPECT_NE(read_text(restored).find(" " + hosts[0] + "/"), std::string::npos);
  const Json drain_events = show(run_id)["events"];
  std::string injected_at, restored_at;
  for (const auto& e : drain_events) {
    if (e["kind"] != "failover" || e["detail"].value("fault", "") != "drain") continue;
    // A failed attempt (the exit 2 above) records no detail of its own.
    const Json detail = e["detail"].value("detail", Json::object());
    if (detail.contains("injectedAt")) injected_at = detail["injectedAt"];
    if (detail.contains("restoredAt")) restored_at = detail["restoredAt"];
  }
  EXPECT_FALSE(injected_at.empty()) << drain_events.dump();
  EXPECT_FALSE(restored_at.empty()) << drain_events.dump();
  EXPECT_LE(injected_at, restored_at);
  EXPECT_EQ(labctl({"down", "--run-id", run_id}, {{"CE_DRY_RUN", "0"}}).code, 0);
}

// Given a known_hosts with other keys for the hosts, or none at all, expect `up` to fail closed.
TEST_F(OnpremHosts, WrongOrMissingHostKeyFailsClosed) {
  const fs::path fake = tmp.path() / "fake_host_key";
  ASSERT_EQ(
      run_command({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", fake.string()}, {},
                  tmp.path())
          .code,
      0);
  std::string pub = read_text(fake.string() + ".pub");
  pub = pub.substr(0, pub.rfind(' '));
  const fs::path wrong = tmp.path() / "wrong_known_hosts";
  write_text(wrong, hosts[0] + " " + pub + "\n" + hosts[1] + " " + pub + "\n");
  const auto mismatch = onprem_up(wrong);
  EXPECT_EQ(mismatch.code, 3) << mismatch.err;
  EXPECT_NE(mismatch.err.find("mismatch"), std::string::npos) << mismatch.err;

  const fs::path empty = tmp.path() / "empty_known_hosts";
  write_text(empty, "");
  const auto unknown = onprem_up(empty);
  EXPECT_EQ(unknown.code, 3) << unknown.err;
  EXPECT_NE(unknown.err.find("is not in"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace labctl::testing
