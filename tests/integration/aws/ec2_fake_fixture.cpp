#include "tests/integration/aws/ec2_fake_fixture.hpp"

#include <csignal>
#include <thread>

namespace labctl::testing {
namespace {

const char* k_python = "/usr/bin/python3";

}  // namespace

void Ec2FakeTest::SetUp() {
  LifecycleTest::SetUp();
  if (!std::filesystem::exists(k_python)) GTEST_SKIP() << "no /usr/bin/python3";
  const auto port_file = tmp.path() / "fake.port";
  m_fake = std::make_unique<Spawned>(
      std::vector<std::string>{k_python,
                               std::string(LABCTL_SOURCE_DIR) + "/tests/fakes/ec2/ec2_fake.py",
                               "--port", "0", "--port-file", port_file.string(),
                               "--run-delay-ms", "100",
                               "--verify-secret", std::string(k_access_key) + "=" +
                                                      k_canary_secret,
                               "--verify-secret", std::string(k_scoped_access_key) + "=" +
                                                      k_scoped_secret},
      std::map<std::string, std::string>{}, tmp.path());
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(port_file); }))
      << "EC2 fake did not start: " << m_fake->err();
  std::string port = read_text(port_file);
  while (!port.empty() && (port.back() == '\n' || port.back() == '\r')) port.pop_back();
  endpoint = "http://127.0.0.1:" + port;
}

void Ec2FakeTest::TearDown() {
  if (m_fake) {
    m_fake->signal(SIGTERM);
    (void)m_fake->wait(std::chrono::seconds(10));
  }
}

std::map<std::string, std::string> Ec2FakeTest::aws_env() const {
  return {{"CE_DRY_RUN", "0"},
          {"AWS_ENDPOINT_URL_EC2", endpoint},
          {"AWS_ACCESS_KEY_ID", k_access_key},
          {"AWS_SECRET_ACCESS_KEY", k_canary_secret},
          {"AWS_SESSION_TOKEN", "\x01unset"},
          {"AWS_PROFILE", "\x01unset"},
          {"AWS_REGION", "us-east-1"},
          {"AWS_CONFIG_FILE", "/dev/null"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"CE_AWS_REGIONS", "us-east-1"}};
}

CommandOutput Ec2FakeTest::live(const std::vector<std::string>& args,
                                std::map<std::string, std::string> extra) const {
  auto env = aws_env();
  for (auto& [k, v] : extra) env[k] = v;
  return labctl(args, env);
}

std::unique_ptr<Spawned> Ec2FakeTest::spawn_live(const std::vector<std::string>& args) const {
  return spawn(args, aws_env());
}

CommandOutput Ec2FakeTest::live_stdin(const std::vector<std::string>& args,
                                      const std::string& input,
                                      std::map<std::string, std::string> extra) const {
  const auto input_file = tmp.path() / "stdin.input";
  write_text(input_file, input);
  auto env = base_env();
  for (auto& [k, v] : aws_env()) env[k] = v;
  for (auto& [k, v] : extra) env[k] = v;
  env["LABCTL_TEST_STDIN"] = input_file.string();
  // $0 is labctl, "$@" its arguments: no quoting of test data through the shell.
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$0\" \"$@\" < \"$LABCTL_TEST_STDIN\"",
                                LABCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env, tmp.path());
}

std::filesystem::path Ec2FakeTest::write_scoped_credentials(const std::string& profile) const {
  const auto path = tmp.path() / "scoped-credentials";
  write_text(path, "[" + profile + "]\naws_access_key_id = " + k_scoped_access_key +
                       "\naws_secret_access_key = " + k_scoped_secret + "\n");
  return path;
}

nlohmann::json Ec2FakeTest::fake_get(const std::string& path) const {
  const auto out = run_command({"/usr/bin/curl", "-sS", "--max-time", "20", endpoint + path}, {},
                               tmp.path());
  return nlohmann::json::parse(out.out, nullptr, false);
}

nlohmann::json Ec2FakeTest::fake_post(const std::string& path, const nlohmann::json& body) const {
  const auto out = run_command({"/usr/bin/curl", "-sS", "--max-time", "20", "-X", "POST", "-H",
                                "Content-Type: application/json", "-d", body.dump(),
                                endpoint + path},
                               {}, tmp.path());
  return nlohmann::json::parse(out.out, nullptr, false);
}

std::vector<std::string> Ec2FakeTest::tagged(const std::string& run_id) const {
  std::vector<std::string> found;
  const auto state = fake_get("/_fake/state");
  const auto regions = state.value("regions", nlohmann::json::object());
  for (const auto& [region, kinds] : regions.items()) {
    for (const auto& [kind, items] : kinds.items()) {
      if (!items.is_array()) continue;
      for (const auto& item : items) {
        const auto tags = item.value("tags", nlohmann::json::object());
        if (!tags.contains("routerd.cloudedge.run_id")) continue;
        if (!run_id.empty() && tags.value("routerd.cloudedge.run_id", "") != run_id) continue;
        if (item.contains("State") && item["State"].is_object() &&
            item["State"].value("Name", "") == "terminated") {
          continue;
        }
        found.push_back(kind + " " + item.dump().substr(0, 80));
      }
    }
  }
  return found;
}

nlohmann::json Ec2FakeTest::instances() const {
  const auto state = fake_get("/_fake/state?region=us-east-1");
  return state["regions"]["us-east-1"]["instances"];
}

nlohmann::json Ec2FakeTest::call_log() const {
  return fake_get("/_fake/calls").value("calls", nlohmann::json::array());
}

std::size_t Ec2FakeTest::calls(const std::string& action) const {
  std::size_t n = 0;
  for (const auto& call : call_log()) {
    if (call.value("action", "") == action) ++n;
  }
  return n;
}

}  // namespace labctl::testing
