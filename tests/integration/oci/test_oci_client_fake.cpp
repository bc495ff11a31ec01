// tests providers/oci/oci_client.hpp against the OCI fake (tests/fakes/oci): the fake verifies
// every signature the client makes, over real TLS through the curl transport.
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "providers/oci/oci_client.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/support/spawn.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::oci {
namespace {

using testing::eventually;
using testing::read_text;
using testing::Spawned;
using testing::write_text;

constexpr const char* k_python = "/usr/bin/python3";
constexpr const char* k_tenancy = "ocid1.tenancy.oc1..aaaaaaaaclienttestenancy";
constexpr const char* k_user = "ocid1.user.oc1..aaaaaaaaclienttestuser";
constexpr const char* k_fingerprint = "11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00";
// The fake's default compartment (tests/fakes/oci/README.md).
constexpr const char* k_compartment =
    "ocid1.compartment.oc1..aaaaaaaafakelabcompartment0000000000000000000000000";

// A 2048-bit RSA API key: the private PEM and the public PEM.
std::pair<std::string, std::string> make_key() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  const auto pem = [&](bool is_public) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    const int ok = is_public ? PEM_write_bio_PUBKEY(bio.get(), key.get())
                             : PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0,
                                                        nullptr, nullptr);
    if (!key || ok != 1) throw std::runtime_error("cannot make a test key");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  return {pem(false), pem(true)};
}

class OciClientFake : public testing::TempDirTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(k_python)) GTEST_SKIP() << "no /usr/bin/python3";
    if (!std::filesystem::exists(OCI_FAKE_MODELS)) {
      GTEST_SKIP() << OCI_FAKE_MODELS << " missing: run tests/fakes/oci/setup-npm.sh BUILD_DIR";
    }
    const auto [private_pem, public_pem] = make_key();
    write_text(tmp.path() / "key.pem", private_pem);
    write_text(tmp.path() / "public.pem", public_pem);
    const auto port_file = tmp.path() / "port";
    m_fake = std::make_unique<Spawned>(
        std::vector<std::string>{
            k_python,        std::string(LABCTL_SOURCE_DIR) + "/tests/fakes/oci/oci_fake.py",
            "--port",        "0",
            "--port-file",   port_file.string(),
            "--tls-dir",     (tmp.path() / "tls").string(),
            "--models",      OCI_FAKE_MODELS,
            "--tenancy",     k_tenancy,
            "--user",        k_user,
            "--fingerprint", k_fingerprint,
            "--public-key",  (tmp.path() / "public.pem").string(),
            "--op-delay-ms", "20"},
        std::map<std::string, std::string>{}, tmp.path());
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(port_file); }))
        << "OCI fake did not start: " << m_fake->err();
    std::string port = read_text(port_file);
    while (!port.empty() && (port.back() == '\n' || port.back() == '\r')) port.pop_back();
    m_env = {{"OCI_CLI_USER", k_user},
             {"OCI_CLI_TENANCY", k_tenancy},
             {"OCI_CLI_FINGERPRINT", k_fingerprint},
             {"OCI_CLI_KEY_FILE", (tmp.path() / "key.pem").string()},
             {"OCI_CLI_REGION", "us-ashburn-1"},
             {"OCI_CA_BUNDLE", (tmp.path() / "tls" / "ca.pem").string()},
             {"CE_OCI_ENDPOINT", "https://127.0.0.1:" + port},
             {"CE_OCI_REQUEST_TIMEOUT", "10"}};
  }
  void TearDown() override {
    if (m_fake) {
      m_fake->signal(SIGTERM);
      (void)m_fake->wait(std::chrono::seconds(10));
    }
  }
  // A live client of its own factory: as a second labctl process would have.
  std::shared_ptr<OciClient> live_client() {
    auto factory = OciClientFactory::from_env(testing::env_map(m_env), system_clock());
    auto client = factory->client(true);
    if (!client) throw std::runtime_error(client.error().message);
    return *client;
  }

  std::map<std::string, std::string> m_env;
  std::unique_ptr<Spawned> m_fake;
};

// Given the fake holding labctl's public key, expect a VCN created through the client (signed
// POST with a body and a retry token), the same create from a second client answered with the
// same VCN (the retry token), the VCN listed, deleted, and then gone: every signature accepted;
// a client signing under another keyId refused with 401 after one attempt.
TEST_F(OciClientFake, CreatesListsAndDeletesAVcn) {
  const auto client = live_client();
  OciRequest create{OciService::core, "POST", "/vcns"};
  create.body = nlohmann::json{{"compartmentId", k_compartment},
                               {"cidrBlocks", {"10.0.0.0/16"}},
                               {"displayName", "labctl-client-test"},
                               {"freeformTags", {{"routerd.cloudedge.run-id", "run-client"}}}};
  create.retry_token = retry_token("run-client", "vcn");
  const auto created = client->send(create);
  ASSERT_TRUE(created.has_value()) << created.error().describe() << "\n" << m_fake->err();
  const std::string id = created->body.value("id", "");
  ASSERT_TRUE(id.starts_with("ocid1.vcn.")) << created->body.dump();

  const auto again = live_client()->send(create);
  ASSERT_TRUE(again.has_value()) << again.error().describe();
  EXPECT_EQ(again->body.value("id", ""), id);

  const OciRequest get{OciService::core, "GET", "/vcns/" + id};
  ASSERT_TRUE(eventually([&] {
    const auto vcn = client->send(get);
    return vcn && vcn->body.value("lifecycleState", "") == "AVAILABLE";
  }));
  const auto listed =
      client->list({OciService::core, "GET", "/vcns", {{"compartmentId", k_compartment}}});
  ASSERT_TRUE(listed.has_value()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ(listed->at(0).value("id", ""), id);

  // The same request under another keyId: the fake really checks, and 401 is not retried.
  m_env["OCI_CLI_FINGERPRINT"] = "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";
  const auto stranger = live_client()->send(get);
  ASSERT_FALSE(stranger.has_value());
  EXPECT_EQ(stranger.error().kind, OciErrorKind::auth) << stranger.error().describe();
  EXPECT_EQ(stranger.error().code, "NotAuthenticated");
  EXPECT_EQ(stranger.error().attempts, 1);
  EXPECT_FALSE(stranger.error().request_id.empty());

  const auto deleted = client->send({OciService::core, "DELETE", "/vcns/" + id});
  ASSERT_TRUE(deleted.has_value()) << deleted.error().describe();
  ASSERT_TRUE(eventually([&] {
    const auto vcn = client->send(get);
    return !vcn && vcn.error().kind == OciErrorKind::not_found;
  }));
}

}  // namespace
}  // namespace labctl::providers::oci
