#include "tests/integration/oci/oci_fake_fixture.hpp"

#include <csignal>
#include <cstring>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace labctl::testing {
namespace {

const char* k_python = "/usr/bin/python3";
const char* k_curl = "/usr/bin/curl";

// A resource in one of these states no longer exists (OCI keeps terminated instances and
// detached VNIC attachments listed for a while; they cost nothing). A private IP has no state.
bool gone(const nlohmann::json& item) {
  const auto state = item.find("lifecycleState");
  return state != item.end() && (*state == "TERMINATED" || *state == "DETACHED");
}

std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// The test's API key in every form a test needs: made once per test process (RSA generation
// costs a noticeable fraction of a second), written to each test's own directory.
struct ApiKey {
  std::string encrypted_pem;  // PKCS#8, AES-256-CBC under k_canary_passphrase: labctl's key file
  std::string public_pem;     // for the fake
  std::string fingerprint;    // MD5 of the DER public key, colon-separated, as OCI computes it
  std::vector<std::string> canaries;
};

std::string pem_of(EVP_PKEY* key, const std::function<int(BIO*, EVP_PKEY*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || write(bio.get(), key) != 1) throw std::runtime_error("cannot write a test key");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

// The second base64 line of a PEM text (the first may be a header line of an encrypted block).
std::string second_body_line(const std::string& pem) {
  std::istringstream in(pem);
  std::string line;
  int body_lines = 0;
  while (std::getline(in, line)) {
    if (line.starts_with("-----") || line.find(':') != std::string::npos || line.empty()) continue;
    if (++body_lines == 2) return line;
  }
  throw std::runtime_error("a test key PEM with fewer than two body lines");
}

ApiKey make_api_key(const char* pass_phrase) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("cannot make a test key");
  ApiKey out;
  out.encrypted_pem = pem_of(key.get(), [&](BIO* bio, EVP_PKEY* k) {
    return PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), pass_phrase,
                                         static_cast<int>(std::strlen(pass_phrase)), nullptr,
                                         nullptr);
  });
  out.public_pem = pem_of(key.get(), [](BIO* bio, EVP_PKEY* k) {
    return PEM_write_bio_PUBKEY(bio, k);
  });
  const auto pkcs8 = pem_of(key.get(), [](BIO* bio, EVP_PKEY* k) {
    return PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
  const auto pkcs1 = pem_of(key.get(), [](BIO* bio, EVP_PKEY* k) {
    return PEM_write_bio_PrivateKey_traditional(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
  out.canaries = {pass_phrase, second_body_line(out.encrypted_pem), second_body_line(pkcs8),
                  second_body_line(pkcs1)};

  unsigned char* der = nullptr;
  const int der_size = i2d_PUBKEY(key.get(), &der);
  if (der_size <= 0) throw std::runtime_error("cannot encode a test public key");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(der_size), digest, &digest_size,
                            EVP_md5(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) throw std::runtime_error("cannot fingerprint a test key");
  static constexpr char k_hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < digest_size; ++i) {
    if (i != 0) out.fingerprint += ':';
    out.fingerprint += k_hex[digest[i] >> 4U];
    out.fingerprint += k_hex[digest[i] & 0xFU];
  }
  return out;
}

const ApiKey& api_key(const char* pass_phrase) {
  static const ApiKey key = make_api_key(pass_phrase);
  return key;
}

}  // namespace

std::string OciFake::unavailable() {
  if (!std::filesystem::exists(k_python)) return "no /usr/bin/python3";
  if (!std::filesystem::exists(OCI_FAKE_MODELS)) {
    return std::string(OCI_FAKE_MODELS) + " missing: run tests/fakes/oci/setup-npm.sh BUILD_DIR";
  }
  return "";
}

void OciFake::start(const std::filesystem::path& dir) {
  m_fake_dir = dir;
  std::filesystem::create_directories(m_fake_dir);
  const auto& key = api_key(k_canary_passphrase);
  write_text(key_file(), key.encrypted_pem);
  std::filesystem::permissions(key_file(), std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_write);
  write_text(m_fake_dir / "public.pem", key.public_pem);
  const auto port_file = m_fake_dir / "port";
  std::vector<std::string> argv{k_python,
                                std::string(LABCTL_SOURCE_DIR) + "/tests/fakes/oci/oci_fake.py",
                                "--port", "0", "--port-file", port_file.string(),
                                "--tls-dir", (m_fake_dir / "tls").string(),
                                "--models", OCI_FAKE_MODELS,
                                "--tenancy", k_tenancy, "--user", k_user,
                                "--public-key", (m_fake_dir / "public.pem").string(),
                                "--region", k_region, "--compartment", k_compartment,
                                "--op-delay-ms", "20"};
  argv.insert(argv.end(), fake_args.begin(), fake_args.end());
  m_fake = std::make_unique<Spawned>(argv, std::map<std::string, std::string>{}, m_fake_dir);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(port_file); }))
      << "OCI fake did not start: " << m_fake->err();
  endpoint = "https://127.0.0.1:" + trim_newlines(read_text(port_file));
}

void OciFake::stop() {
  if (m_fake) {
    m_fake->signal(SIGTERM);
    (void)m_fake->wait(std::chrono::seconds(10));
    m_fake.reset();
  }
}

std::filesystem::path OciFake::ca_bundle() const { return m_fake_dir / "tls" / "ca.pem"; }

std::filesystem::path OciFake::key_file() const { return m_fake_dir / "api_key.pem"; }

std::string OciFake::fingerprint() { return api_key(k_canary_passphrase).fingerprint; }

std::vector<std::string> OciFake::key_canaries() { return api_key(k_canary_passphrase).canaries; }

std::vector<std::string> OciFake::leaked(const std::string& text) {
  std::vector<std::string> found;
  for (const auto& canary : key_canaries()) {
    if (text.find(canary) != std::string::npos) found.push_back(canary);
  }
  return found;
}

std::map<std::string, std::string> OciFake::credentials_env() const {
  const std::string unset = "\x01unset";
  return {{"CE_OCI_ENDPOINT", endpoint},
          {"OCI_CA_BUNDLE", ca_bundle().string()},
          {"OCI_CLI_USER", k_user},
          {"OCI_CLI_TENANCY", k_tenancy},
          {"OCI_CLI_FINGERPRINT", fingerprint()},
          {"OCI_CLI_KEY_FILE", key_file().string()},
          {"OCI_CLI_PASSPHRASE", k_canary_passphrase},
          {"OCI_CLI_REGION", k_region},
          {"CE_OCI_REQUEST_TIMEOUT", "10"},
          // No config file from the developer's shell or home.
          {"OCI_CLI_CONFIG_FILE", unset},
          {"OCI_CONFIG_FILE", unset},
          {"OCI_CLI_PROFILE", unset},
          {"HOME", m_fake_dir.string()}};
}

void OciFakeTest::SetUp() {
  LifecycleTest::SetUp();
  if (const auto why = unavailable(); !why.empty()) GTEST_SKIP() << why;
  start(tmp.path() / "oci-fake");
}

void OciFakeTest::TearDown() { stop(); }

std::string OciFakeTest::write_oci_profile(const std::string& name,
                                           const std::vector<ProfileNode>& nodes) const {
  std::string yaml = "name: " + name +
                     "\n"
                     "providers: [oci]\n"
                     "ttl: 1h\n"
                     "sites:\n"
                     "  - name: oci\n"
                     "    provider: oci\n"
                     "    logical_address: 10.77.60.13\n"
                     "    nodes:\n";
  for (const auto& node : nodes) {
    yaml += "      - {name: " + node.name + ", role: " + node.role + "}\n";
  }
  yaml += std::string("oci:\n") + "  region: " + k_region + "\n" +
          "  compartment: " + k_compartment + "\n" + "  image: " + k_image + "\n" +
          "  shape: VM.Standard.E4.Flex\n"
          "  operator_cidr: 198.51.100.0/24\n";
  const auto path = tmp.path() / (name + ".yaml");
  write_text(path, yaml);
  return path.string();
}

std::map<std::string, std::string> OciFakeTest::oci_env() const {
  const std::string unset = "\x01unset";
  auto env = credentials_env();
  env.insert({{"CE_DRY_RUN", "0"},
              // Azure not configured (managed identity off: IMDS is a closed loopback port).
              {"AZURE_IMDS_ENDPOINT", "http://127.0.0.1:1"},
              {"AZURE_CLIENT_ID", unset},
              {"AZURE_TENANT_ID", unset},
              {"AZURE_CLIENT_SECRET", unset},
              {"AZURE_SUBSCRIPTION_ID", unset},
              // AWS not configured.
              {"AWS_ACCESS_KEY_ID", unset},
              {"AWS_SECRET_ACCESS_KEY", unset},
              {"AWS_SESSION_TOKEN", unset},
              {"AWS_PROFILE", unset},
              {"AWS_CONFIG_FILE", "/dev/null"},
              {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
              {"AWS_EC2_METADATA_DISABLED", "true"}});
  return env;
}

CommandOutput OciFakeTest::live(const std::vector<std::string>& args,
                                std::map<std::string, std::string> extra) const {
  auto env = oci_env();
  for (auto& [k, v] : extra) env[k] = v;
  return labctl(args, env);
}

CommandOutput OciFakeTest::dry(const std::vector<std::string>& args) const {
  return live(args, {{"CE_DRY_RUN", "\x01unset"}});
}

std::unique_ptr<Spawned> OciFakeTest::spawn_live(const std::vector<std::string>& args) const {
  return spawn(args, oci_env());
}

nlohmann::json OciFake::fake_get(const std::string& path) const {
  const auto out = run_command({k_curl, "-sS", "--max-time", "20", "--cacert",
                                ca_bundle().string(), endpoint + path},
                               {}, m_fake_dir);
  return nlohmann::json::parse(out.out, nullptr, false);
}

nlohmann::json OciFake::fake_post(const std::string& path, const nlohmann::json& body) const {
  // The body goes through a file: nothing on a command line.
  static int counter = 0;
  const auto body_file = m_fake_dir / ("control-" + std::to_string(++counter) + ".json");
  write_text(body_file, body.dump());
  const auto out = run_command({k_curl, "-sS", "--max-time", "20", "--cacert",
                                ca_bundle().string(), "-H", "Content-Type: application/json",
                                "--data-binary", "@" + body_file.string(), endpoint + path},
                               {}, m_fake_dir);
  return nlohmann::json::parse(out.out, nullptr, false);
}

std::vector<std::string> OciFake::existing() const {
  std::vector<std::string> found;
  const auto state = fake_get("/_fake/state");
  if (!state.is_object()) {
    ADD_FAILURE() << "the OCI fake answered no state";
    return found;
  }
  for (const auto& item : state.value("resources", nlohmann::json::array())) {
    if (gone(item)) continue;
    found.push_back(item.value("id", ""));
  }
  return found;
}

std::vector<std::string> OciFake::tagged(const std::string& run_id) const {
  std::vector<std::string> found;
  const auto state = fake_get("/_fake/state");
  if (!state.is_object()) {
    ADD_FAILURE() << "the OCI fake answered no state";
    return found;
  }
  for (const auto& item : state.value("resources", nlohmann::json::array())) {
    if (gone(item)) continue;
    const auto tags = item.value("freeformTags", nlohmann::json::object());
    if (!tags.is_object() || !tags.contains("routerd.cloudedge.run_id")) continue;
    if (!run_id.empty() && tags.value("routerd.cloudedge.run_id", "") != run_id) continue;
    found.push_back(item.value("id", ""));
  }
  return found;
}

std::size_t OciFake::calls(const std::string& what) const {
  std::size_t n = 0;
  const auto log = fake_get("/_fake/log");
  if (!log.is_array()) return 0;
  for (const auto& entry : log) {
    const auto line = entry.value("method", "") + " " + entry.value("path", "");
    if (line.find(what) != std::string::npos) ++n;
  }
  return n;
}

std::size_t OciFake::mutations() const {
  std::size_t n = 0;
  const auto log = fake_get("/_fake/log");
  if (!log.is_array()) return 0;
  for (const auto& entry : log) {
    const auto method = entry.value("method", "");
    const auto path = entry.value("path", "");
    const bool search = method == "POST" && path.starts_with("/20180409/resources");
    if ((method == "POST" && !search) || method == "PUT" || method == "DELETE") ++n;
  }
  return n;
}

}  // namespace labctl::testing
