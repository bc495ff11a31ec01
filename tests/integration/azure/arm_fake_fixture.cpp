#include "tests/integration/azure/arm_fake_fixture.hpp"

#include <csignal>

namespace labctl::testing {
namespace {

const char* k_python = "/usr/bin/python3";
const char* k_curl = "/usr/bin/curl";

std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Debian's python3-azure holds the SDK models the fake validates bodies against (a file check:
// importing them costs a second per test process).
bool python_has_azure_models() {
  const std::filesystem::path models = "/usr/lib/python3/dist-packages/azure/mgmt";
  return std::filesystem::exists(models / "compute/v2022_08_01/models") &&
         std::filesystem::exists(models / "network/v2022_07_01/models") &&
         std::filesystem::exists(models / "resource/resources/v2022_09_01/models") &&
         std::filesystem::exists(models / "resourcegraph/models");
}

}  // namespace

void ArmFakeTest::SetUp() {
  LifecycleTest::SetUp();
  if (!std::filesystem::exists(k_python)) GTEST_SKIP() << "no /usr/bin/python3";
  if (!python_has_azure_models()) {
    GTEST_SKIP() << "/usr/bin/python3 cannot import azure.mgmt.compute (Debian python3-azure)";
  }
  m_fake_dir = tmp.path() / "arm-fake";
  std::filesystem::create_directories(m_fake_dir);
  const auto port_file = m_fake_dir / "port";
  std::vector<std::string> argv{k_python,
                                std::string(LABCTL_SOURCE_DIR) + "/tests/fakes/azure/arm_fake.py",
                                "--port", "0", "--port-file", port_file.string(),
                                "--tls-dir", (m_fake_dir / "tls").string(),
                                "--tenant", k_tenant, "--subscription", k_subscription,
                                "--client", std::string(k_client_id) + "=" + k_canary_secret,
                                "--op-delay-ms", "100", "--retry-after-s", "0"};
  argv.insert(argv.end(), fake_args.begin(), fake_args.end());
  m_fake = std::make_unique<Spawned>(argv, std::map<std::string, std::string>{}, m_fake_dir);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(port_file); }))
      << "ARM fake did not start: " << m_fake->err();
  endpoint = "https://127.0.0.1:" + trim_newlines(read_text(port_file));
}

void ArmFakeTest::TearDown() {
  if (m_fake) {
    m_fake->signal(SIGTERM);
    (void)m_fake->wait(std::chrono::seconds(10));
  }
}

std::filesystem::path ArmFakeTest::ca_bundle() const { return m_fake_dir / "tls" / "ca.pem"; }

std::string ArmFakeTest::write_azure_profile(const std::string& name,
                                             const std::vector<ProfileNode>& nodes) const {
  std::string yaml = "name: " + name +
                     "\n"
                     "providers: [azure]\n"
                     "ttl: 1h\n"
                     "sites:\n"
                     "  - name: azure\n"
                     "    provider: azure\n"
                     "    logical_address: 10.77.60.12\n"
                     "    nodes:\n";
  for (const auto& node : nodes) {
    yaml += "      - {name: " + node.name + ", role: " + node.role + "}\n";
  }
  yaml +=
      "azure:\n"
      "  region: westeurope\n"
      "  operator_cidr: 198.51.100.0/24\n";
  const auto path = tmp.path() / (name + ".yaml");
  write_text(path, yaml);
  return path.string();
}

std::map<std::string, std::string> ArmFakeTest::azure_env() const {
  const std::string unset = "\x01unset";
  return {{"CE_DRY_RUN", "0"},
          {"CE_AZURE_ARM_ENDPOINT", endpoint},
          {"AZURE_AUTHORITY_HOST", endpoint},
          {"AZURE_CA_BUNDLE", ca_bundle().string()},
          {"AZURE_TENANT_ID", k_tenant},
          {"AZURE_CLIENT_ID", k_client_id},
          {"AZURE_CLIENT_SECRET", k_canary_secret},
          {"AZURE_SUBSCRIPTION_ID", k_subscription},
          // Managed identity off: IMDS is a closed loopback port, App Service identity unset.
          {"AZURE_IMDS_ENDPOINT", "http://127.0.0.1:1"},
          {"IDENTITY_ENDPOINT", unset},
          {"IDENTITY_HEADER", unset},
          {"MSI_ENDPOINT", unset},
          {"AZURE_FEDERATED_TOKEN_FILE", unset},
          {"AZURE_CLIENT_CERTIFICATE_PATH", unset},
          {"AZURE_USERNAME", unset},
          // AWS not configured.
          {"AWS_ACCESS_KEY_ID", unset},
          {"AWS_SECRET_ACCESS_KEY", unset},
          {"AWS_SESSION_TOKEN", unset},
          {"AWS_PROFILE", unset},
          {"AWS_CONFIG_FILE", "/dev/null"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
          {"AWS_EC2_METADATA_DISABLED", "true"}};
}

CommandOutput ArmFakeTest::live(const std::vector<std::string>& args,
                                std::map<std::string, std::string> extra) const {
  auto env = azure_env();
  for (auto& [k, v] : extra) env[k] = v;
  return labctl(args, env);
}

std::unique_ptr<Spawned> ArmFakeTest::spawn_live(const std::vector<std::string>& args) const {
  return spawn(args, azure_env());
}

ArmFakeTest::FakeAnswer ArmFakeTest::fake_request(const std::string& method,
                                                  const std::string& path,
                                                  const nlohmann::json& body,
                                                  const std::string& token) const {
  // Headers and body go through files: no token or secret on a command line.
  static int counter = 0;
  const auto stem = m_fake_dir / ("request-" + std::to_string(++counter));
  const auto header_file = stem.string() + ".headers";
  const auto config_file = stem.string() + ".curlrc";
  const auto body_file = stem.string() + ".body";
  std::string config = "header = \"Content-Type: application/json\"\n";
  if (!token.empty()) config += "header = \"Authorization: Bearer " + token + "\"\n";
  if (!body.is_null()) {
    write_text(body_file, body.dump());
    config += "data-binary = \"@" + body_file + "\"\n";
  }
  write_text(config_file, config);
  const auto out = run_command({k_curl, "-sS", "--max-time", "20", "--cacert",
                                ca_bundle().string(), "-K", config_file, "-X", method, "-D",
                                header_file, "-w", "\n%{http_code}", endpoint + path},
                               {}, m_fake_dir);
  FakeAnswer answer;
  const auto cut = out.out.rfind('\n');
  if (cut == std::string::npos) return answer;
  answer.status = std::strtol(out.out.c_str() + cut + 1, nullptr, 10);
  answer.headers = read_text(header_file);
  answer.body = nlohmann::json::parse(out.out.substr(0, cut), nullptr, false);
  if (answer.body.is_discarded()) answer.body = nullptr;
  return answer;
}

std::string ArmFakeTest::fake_token() const {
  const auto form_file = m_fake_dir / "token.form";
  write_text(form_file, std::string("grant_type=client_credentials&client_id=") + k_client_id +
                            "&client_secret=" + k_canary_secret +
                            "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
  const auto out = run_command({k_curl, "-sS", "--max-time", "20", "--cacert",
                                ca_bundle().string(), "--data-binary", "@" + form_file.string(),
                                endpoint + "/" + k_tenant + "/oauth2/v2.0/token"},
                               {}, m_fake_dir);
  const auto answer = nlohmann::json::parse(out.out, nullptr, false);
  if (!answer.is_object()) return {};
  return answer.value("access_token", "");
}

nlohmann::json ArmFakeTest::fake_get(const std::string& path) const {
  return fake_request("GET", path).body;
}

nlohmann::json ArmFakeTest::fake_post(const std::string& path, const nlohmann::json& body) const {
  return fake_request("POST", path, body).body;
}

std::vector<std::string> ArmFakeTest::tagged(const std::string& run_id) const {
  std::vector<std::string> found;
  const auto state = fake_get("/_fake/state");
  if (!state.is_object()) return found;
  for (const auto& item : state.value("resources", nlohmann::json::array())) {
    const auto tags = item.value("tags", nlohmann::json::object());
    if (!tags.is_object() || !tags.contains("routerd.cloudedge.run_id")) continue;
    if (!run_id.empty() && tags.value("routerd.cloudedge.run_id", "") != run_id) continue;
    found.push_back(item.value("id", ""));
  }
  return found;
}

std::size_t ArmFakeTest::calls(const std::string& what) const {
  std::size_t n = 0;
  const auto log = fake_get("/_fake/log");
  if (!log.is_array()) return 0;
  for (const auto& entry : log) {
    const auto line = entry.value("method", "") + " " + entry.value("path", "");
    if (line.find(what) != std::string::npos) ++n;
  }
  return n;
}

}  // namespace labctl::testing
