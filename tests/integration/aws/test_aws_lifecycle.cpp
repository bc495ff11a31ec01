#include <sys/stat.h>

#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Every file under `dir`, read whole, concatenated (for canary searches).
std::string all_text_under(const std::filesystem::path& dir) {
  std::string text;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) text += read_text(entry.path());
  }
  return text;
}

// Given the provider profile's aws part, expect a tagged lab in the fake (everything carries
// the five tags), then a down that leaves nothing tagged with the run.
TEST_F(Ec2FakeTest, UpAndDownProviderProfile) {
  const auto up = live({"up", "--profile", "provider", "--provider", "aws", "--ttl", "1h"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = first_line(up.out);
  const auto state = fake_get("/_fake/state")["regions"]["us-east-1"];
  std::size_t running = 0;
  for (const auto& instance : state["instances"]) {
    if (instance["tags"].value("routerd.cloudedge.run_id", "") != run_id) continue;
    ++running;
    for (const char* key : {"routerd.cloudedge.owner", "routerd.cloudedge.ttl_expires_at",
                            "routerd.cloudedge.provider", "routerd.cloudedge.purpose", "Name",
                            "role"}) {
      EXPECT_TRUE(instance["tags"].contains(key)) << key;
    }
  }
  EXPECT_EQ(running, 3u);
  for (const char* kind : {"volumes", "network_interfaces", "key_pairs", "security_groups",
                           "vpcs", "subnets", "internet_gateways"}) {
    std::size_t ours = 0;
    for (const auto& item : state[kind]) {
      ours += item["tags"].value("routerd.cloudedge.run_id", "") == run_id ? 1 : 0;
    }
    EXPECT_GE(ours, 1u) << kind << " not tagged with the run";
  }
  // SSH only from the operator CIDR, never the world.
  for (const auto& group : state["security_groups"]) {
    if (group["tags"].value("routerd.cloudedge.run_id", "") != run_id) continue;
    const std::string rules = group["IpPermissions"].dump();  // ingress only
    EXPECT_NE(rules.find("198.51.100.0/24"), std::string::npos) << rules;
    EXPECT_EQ(rules.find("0.0.0.0/0"), std::string::npos) << rules;
  }
  const auto run = show(run_id);
  std::size_t with_ips = 0;
  for (const auto& r : run["resources"]) {
    if (r["kind"] == "instance" && !r["attrs"].value("privateIp", "").empty() &&
        !r["attrs"].value("eniId", "").empty()) {
      ++with_ips;
    }
    if (r["kind"] == "key-pair") {
      const std::string key_file = r["attrs"].value("keyFile", "");
      struct stat st {};
      ASSERT_EQ(stat(key_file.c_str(), &st), 0) << key_file;
      EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
  }
  EXPECT_EQ(with_ips, 3u);

  const auto down = live({"down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(show(run_id)["status"], "down");
  for (const auto& text : {up.err, up.out, down.err, all_text_under(state_dir)}) {
    EXPECT_EQ(text.find(k_canary_secret), std::string::npos) << "the secret leaked";
  }
}

// Given the full profile live, OCI configured (credentials, and an image in a copy of the
// profile; its endpoint refuses connections) but no Azure subscription, expect up to stop
// before any provider sends anything (exit 2, naming the fix).
TEST_F(Ec2FakeTest, FullProfileWithoutAzureSubscriptionSendsNothing) {
  std::string yaml = read_text(std::string(LABCTL_SOURCE_DIR) + "/profiles/full.yaml");
  const std::string oci_block = "\noci:\n";
  ASSERT_NE(yaml.find(oci_block), std::string::npos);
  yaml.insert(yaml.find(oci_block) + oci_block.size(),
              "  image: ocid1.image.oc1.iad.aaaaaaaafullprofileimage\n");
  const auto profile = tmp.path() / "full.yaml";
  write_text(profile, yaml);
  const auto up = live(
      {"up", "--profile", profile.string(), "--ttl", "1h"},
      {{"OCI_CLI_USER", "ocid1.user.oc1..aaaaaaaafullprofileuser"},
       {"OCI_CLI_TENANCY", "ocid1.tenancy.oc1..aaaaaaaafullprofiletenancy"},
       {"OCI_CLI_FINGERPRINT", "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"},
       {"OCI_CLI_KEY_FILE", std::string(LABCTL_SOURCE_DIR) +
                                "/tests/unit/providers/oci/data/oracle_docs_example_key.pem"},
       {"OCI_CLI_REGION", "us-ashburn-1"},
       {"CE_OCI_ENDPOINT", "https://127.0.0.1:9"}});
  EXPECT_EQ(up.code, 2) << up.err;
  EXPECT_NE(up.err.find("AZURE_SUBSCRIPTION_ID"), std::string::npos) << up.err;
  EXPECT_EQ(calls("RunInstances"), 0u);
}

// Given the full profile's aws and onprem sites live, the onprem hosts unreachable (a copy of
// the profile points them at a closed loopback port), expect aws to come up, onprem to fail
// (exit 3) verifying its first host, and the guard to tear the aws part down again.
TEST_F(Ec2FakeTest, FullProfileLaterProviderFailureTearsDownAws) {
  std::string yaml = read_text(std::string(LABCTL_SOURCE_DIR) + "/profiles/full.yaml");
  for (const std::string host : {"onprem-router.lab.example", "onprem-client.lab.example"}) {
    ASSERT_NE(yaml.find("host: " + host), std::string::npos) << host;
    yaml.replace(yaml.find("host: " + host), 6 + host.size(), "host: 127.0.0.1, port: 9");
  }
  const auto profile = tmp.path() / "full.yaml";
  write_text(profile, yaml);
  const auto up = live({"up", "--profile", profile.string(), "--provider", "aws,onprem",
                        "--ttl", "1h"});
  EXPECT_EQ(up.code, 3) << up.err;
  EXPECT_NE(up.err.find("provider onprem: cannot verify host onprem-router"), std::string::npos)
      << up.err;
  const auto runs = nlohmann::json::parse(labctl({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "down") << up.err;
  EXPECT_EQ(tagged(runs[0]["runId"]), std::vector<std::string>{});
  EXPECT_GE(calls("RunInstances"), 3u);
}

TEST_F(Ec2FakeTest, DryRunSendsNothing) {
  const auto up = labctl({"up", "--profile", "provider"},
                         [&] {
                           auto env = aws_env();
                           env["CE_DRY_RUN"] = "1";
                           return env;
                         }());
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(fake_get("/_fake/calls")["calls"].size(), 0u);
}

// Given RunInstances whose responses are lost (the fake handles the call, then drops the
// connection), expect the retried call with the same ClientToken to create each node once.
TEST_F(Ec2FakeTest, RetriedRunInstancesCreatesOnce) {
  fake_post("/_fake/faults", {{"action", "RunInstances"}, {"kind", "drop"}, {"count", 3}});
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_GE(calls("RunInstances"), 6u);
  std::size_t created = 0;
  for (const auto& i : instances()) {
    created += i["tags"].value("routerd.cloudedge.run_id", "") == first_line(up.out) ? 1 : 0;
  }
  EXPECT_EQ(created, 3u);
}

// Given a storm of throttling (every step of up and down throttled several times), expect both
// to complete with the default retry budget, and every throttle answered by a retry.
TEST_F(Ec2FakeTest, ThrottlingStormCompletes) {
  const auto storm = [&](const std::vector<std::string>& actions) {
    for (const auto& action : actions) {
      fake_post("/_fake/faults", {{"action", action}, {"kind", "throttle"}, {"count", 3}});
    }
  };
  storm({"DescribeImages", "CreateVpc", "CreateKeyPair", "CreateSecurityGroup", "RunInstances",
         "DescribeInstances"});
  const auto up = live({"up", "--profile", "provider", "--provider", "aws"});
  ASSERT_EQ(up.code, 0) << up.err;
  std::size_t throttled = 0;
  for (const auto& call : call_log()) {
    throttled += call["error_code"] == "RequestLimitExceeded" ? 1 : 0;
  }
  EXPECT_EQ(throttled, 18u);
  storm({"TerminateInstances", "DeleteSecurityGroup", "DeleteVpc"});
  EXPECT_EQ(live({"down", "--run-id", first_line(up.out)}).code, 0);
  EXPECT_EQ(tagged(first_line(up.out)), std::vector<std::string>{});
}

// An expired lab of the `provider` profile that only its tags know of (another machine's
// leak): up with a 1 s TTL, the state directory removed, the TTL passed.
class JanitorTest : public Ec2FakeTest {
 protected:
  std::string expired_lab_without_state() {
    const auto up = live({"up", "--profile", "provider", "--provider", "aws", "--ttl", "1s"});
    EXPECT_EQ(up.code, 0) << up.err;
    std::filesystem::remove_all(state_dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return first_line(up.out);
  }
};

// True if a DescribeInstances call's filters ask only for instances not yet terminated.
bool asks_for_live_instances_only(const nlohmann::json& params) {
  for (const auto& [name, value] : params.items()) {
    if (!name.starts_with("Filter.") || !name.ends_with(".Name")) continue;
    if (value != "instance-state-name") continue;
    const std::string values_prefix = name.substr(0, name.size() - 4) + "Value.";
    for (const auto& [other, state] : params.items()) {
      if (other.starts_with(values_prefix) && state == "terminated") return false;
    }
    return true;
  }
  return false;
}

// Given an expired lab and an EMPTY state directory (another machine's leak), expect the
// janitor to find it by tag and remove it; its scan is the tag fence of what it adopted (one
// DescribeInstances before TerminateInstances: the scan's), and every DescribeInstances after
// it asks only for instances not yet terminated, so the answers shrink to nothing instead of
// repeating every terminated instance in full.
TEST_F(JanitorTest, StatelessJanitorRemovesExpiredLab) {
  const std::string run_id = expired_lab_without_state();
  const std::size_t before = call_log().size();
  const auto janitor = live({"down", "--expired"});
  ASSERT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});

  const auto log = call_log();
  std::size_t describes_before_terminate = 0;
  std::size_t describes_after_terminate = 0;
  bool terminated = false;
  for (std::size_t i = before; i < log.size(); ++i) {
    const std::string action = log[i].value("action", "");
    if (action == "TerminateInstances") {
      EXPECT_FALSE(terminated) << "one TerminateInstances for the whole run";
      terminated = true;
    } else if (action == "DescribeInstances" && !terminated) {
      ++describes_before_terminate;
    } else if (action == "DescribeInstances") {
      ++describes_after_terminate;
      EXPECT_TRUE(asks_for_live_instances_only(log[i]["params"])) << log[i]["params"].dump();
    }
  }
  EXPECT_TRUE(terminated);
  EXPECT_EQ(describes_before_terminate, 1u);
  EXPECT_GE(describes_after_terminate, 1u) << "the wait and the final discovery describe";
}

// Given an adopted expired lab whose TerminateInstances EC2 answers with
// InvalidInstanceID.NotFound (one of its ids vanished after the scan, which fails the whole
// call), expect the janitor to fence the instances, send the call again and remove the lab.
TEST_F(JanitorTest, TerminateIsSentAgainAfterAnInstanceVanished) {
  const std::string run_id = expired_lab_without_state();
  fake_post("/_fake/faults",
            {{"action", "TerminateInstances"}, {"kind", "instance_not_found"}, {"count", 1}});
  const auto janitor = live({"down", "--expired"});
  EXPECT_EQ(janitor.code, 0) << janitor.err;
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
  EXPECT_EQ(calls("TerminateInstances"), 2u);
}

}  // namespace
}  // namespace labctl::testing
