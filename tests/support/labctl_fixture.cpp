#include "tests/support/labctl_fixture.hpp"

#include <regex>

namespace labctl::testing {

void LifecycleTest::SetUp() {
  state_dir = tmp.path() / "state";
  testfs_dir = tmp.path() / "testfs";
  profile_path = tmp.path() / "lab.yaml";
  write_testfs_profile(3);
}

void LifecycleTest::write_testfs_profile(int nodes) {
  std::string yaml = "name: fslab\nproviders: [testfs]\nttl: 1h\nsites:\n  - name: fs\n"
                     "    provider: testfs\n    nodes:\n";
  for (int i = 1; i <= nodes; ++i) {
    yaml += "      - {name: node" + std::to_string(i) + ", role: client}\n";
  }
  write_text(profile_path, yaml);
}

void StoreLifecycleTest::SetUp() {
  LifecycleTest::SetUp();
  std::string why;
  auto url = state_url_for(GetParam(), &why);
  if (!url) GTEST_SKIP() << "no PostgreSQL server: " << why;
  state_url = *url;
}

std::map<std::string, std::string> LifecycleTest::base_env() const {
  return {{"CE_STATE_DIR", state_dir.string()},
          {"CE_STATE_URL", state_url.empty() ? std::string("\x01unset") : state_url},
          {"CE_MACHINE", "\x01unset"},
          {"CE_LEASE_SECONDS", "\x01unset"},
          {"LABCTL_TESTFS_DIR", testfs_dir.string()},
          {"LABCTL_PROFILE_DIR", std::string(LABCTL_SOURCE_DIR) + "/profiles"},
          {"CE_DRY_RUN", "\x01unset"},
          {"CE_TTL_MAX", "\x01unset"},
          {"CE_PROVIDER_ORDER", "\x01unset"},
          {"CE_LOG_FORMAT", "\x01unset"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          // Azure's managed identity asks IMDS at 169.254.169.254 unless told otherwise: a
          // closed loopback port instead, and no Azure identity from the developer's shell.
          {"AZURE_IMDS_ENDPOINT", "http://127.0.0.1:1"},
          {"IDENTITY_ENDPOINT", "\x01unset"},
          {"IDENTITY_HEADER", "\x01unset"},
          {"AZURE_CLIENT_SECRET", "\x01unset"},
          {"AZURE_FEDERATED_TOKEN_FILE", "\x01unset"},
          {"AZURE_SUBSCRIPTION_ID", "\x01unset"},
          {"LABCTL_TESTFS_BLOCK_AFTER", "\x01unset"},
          {"LABCTL_TESTFS_FAIL_AFTER", "\x01unset"},
          {"LABCTL_TESTFS_FAIL_DELETE", "\x01unset"}};
}

CommandOutput LifecycleTest::labctl(const std::vector<std::string>& args,
                                    std::map<std::string, std::string> extra) const {
  auto env = base_env();
  for (auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> argv{LABCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env, tmp.path());
}

std::unique_ptr<Spawned> LifecycleTest::spawn(const std::vector<std::string>& args,
                                              std::map<std::string, std::string> extra) const {
  auto env = base_env();
  for (auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> argv{LABCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Spawned>(argv, env, tmp.path());
}

std::size_t LifecycleTest::testfs_files(const std::string& run_id) const {
  std::size_t count = 0;
  std::error_code ec;
  if (!std::filesystem::exists(testfs_dir, ec)) return 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(testfs_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    if (!run_id.empty() && entry.path().parent_path().filename() != run_id) continue;
    ++count;
  }
  return count;
}

nlohmann::json LifecycleTest::show(const std::string& run_id) const {
  const auto out = labctl({"runs", "show", run_id, "--json"});
  EXPECT_EQ(out.code, 0) << out.err;
  return nlohmann::json::parse(out.out, nullptr, false);
}

bool looks_like_run_id(const std::string& line) {
  static const std::regex pattern("^[0-9]{8}T[0-9]{6}Z-cloudedge-[A-Za-z0-9._-]+$");
  return std::regex_match(line, pattern);
}

}  // namespace labctl::testing
