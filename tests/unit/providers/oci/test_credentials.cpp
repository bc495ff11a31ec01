#include "providers/oci/credentials.hpp"

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "providers/oci/signer.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::oci {
namespace {

using labctl::testing::TempDirTest;
using labctl::testing::write_text;

constexpr const char* k_tenancy =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
constexpr const char* k_user =
    "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
constexpr const char* k_other_user = "ocid1.user.oc1..aaaaaaaaotheruser2";
constexpr const char* k_fingerprint = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
constexpr const char* k_canary_pass = "canary-pass-phrase-7f3a9c";
constexpr const char* k_wrong_pass = "canary-wrong-phrase-41be02";

// A PEM private key made by OpenSSL: RSA (1024 bits, fast) or EC, encrypted when `pass` is set.
std::string make_pem(bool rsa, const std::string& pass = {}) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      rsa ? EVP_RSA_gen(1024) : EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  const EVP_CIPHER* cipher = pass.empty() ? nullptr : EVP_aes_256_cbc();
  auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(pass.data()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), cipher, pass.empty() ? nullptr : bytes,
                               static_cast<int>(pass.size()), nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot make a test key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

const std::string& plain_rsa_pem() {
  static const std::string pem = make_pem(true);
  return pem;
}

class OciCredentials : public TempDirTest {
 protected:
  EnvLookup env() const {
    return [vars = m_vars](const std::string& name) -> std::optional<std::string> {
      const auto found = vars.find(name);
      if (found == vars.end()) return std::nullopt;
      return found->second;
    };
  }
  void set(const std::string& name, const std::string& value) { m_vars[name] = value; }
  // A home with ~/.oci/config holding `config`, and ~/.oci/key.pem holding `pem`.
  void home_with(const std::string& config, const std::string& pem) {
    set("HOME", tmp.path().string());
    write_text(tmp.path() / ".oci" / "config", config);
    write_text(tmp.path() / ".oci" / "key.pem", pem);
  }
  static std::string profile(const std::string& name, const std::string& user,
                             const std::string& region, const std::string& extra = {}) {
    return "[" + name + "]\nuser=" + user + "\nfingerprint=" + k_fingerprint +
           "\nkey_file=~/.oci/key.pem\ntenancy=" + k_tenancy + "\nregion=" + region + "\n" + extra;
  }
  Error error() const {
    auto resolved = resolve_credentials(env());
    if (resolved) return Error{ExitCode::ok, "resolved: " + resolved->describe()};
    return resolved.error();
  }

 private:
  std::map<std::string, std::string> m_vars;
};

TEST_F(OciCredentials, ReadsTheDefaultProfileOfTheDefaultFile) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), plain_rsa_pem());
  auto resolved = resolve_credentials(env());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->user, k_user);
  EXPECT_EQ(resolved->region, "us-ashburn-1");
  EXPECT_EQ(resolved->key_file, tmp.path() / ".oci" / "key.pem");
  EXPECT_EQ(resolved->key_id(), std::string(k_tenancy) + "/" + k_user + "/" + k_fingerprint);
  EXPECT_EQ(resolved->key.bits(), 1024);
  EXPECT_NE(resolved->source.find("profile [DEFAULT]"), std::string::npos) << resolved->source;
}

// Given OCI_CLI_PROFILE=DEV whose section sets only user and region, expect DEV's values for
// those and DEFAULT's for the rest (configparser inheritance).
TEST_F(OciCredentials, NamedProfileInheritsDefault) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1") + "[DEV]\nuser = " + k_other_user +
                "\nregion: eu-frankfurt-1\n",
            plain_rsa_pem());
  set("OCI_CLI_PROFILE", "DEV");
  auto resolved = resolve_credentials(env());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->user, k_other_user);
  EXPECT_EQ(resolved->region, "eu-frankfurt-1");
  EXPECT_EQ(resolved->tenancy, k_tenancy);
  EXPECT_EQ(resolved->fingerprint, k_fingerprint);
}

TEST_F(OciCredentials, NamedProfileMissingIsAnError) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), plain_rsa_pem());
  set("OCI_CLI_PROFILE", "PROD");
  const Error e = error();
  EXPECT_EQ(e.code, ExitCode::usage);
  EXPECT_NE(e.message.find("[PROD]"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("it has: DEFAULT"), std::string::npos) << e.message;
}

TEST_F(OciCredentials, ConfigFileVariablesWinOverHome) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), plain_rsa_pem());
  write_text(tmp.path() / "cli.conf", profile("DEFAULT", k_other_user, "us-phoenix-1"));
  write_text(tmp.path() / "sdk.conf", profile("DEFAULT", k_user, "uk-london-1"));
  set("OCI_CONFIG_FILE", (tmp.path() / "sdk.conf").string());
  EXPECT_EQ(resolve_credentials(env()).value().region, "uk-london-1");
  set("OCI_CLI_CONFIG_FILE", (tmp.path() / "cli.conf").string());
  EXPECT_EQ(resolve_credentials(env()).value().region, "us-phoenix-1");
  set("OCI_CLI_CONFIG_FILE", (tmp.path() / "absent.conf").string());
  const Error e = error();
  EXPECT_EQ(e.code, ExitCode::usage);
  EXPECT_NE(e.message.find("absent.conf"), std::string::npos) << e.message;
}

// Given a config file and every OCI_CLI_* variable, expect each variable to win over the file.
TEST_F(OciCredentials, EnvironmentOverridesTheFile) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), plain_rsa_pem());
  write_text(tmp.path() / "other.pem", make_pem(true));
  set("OCI_CLI_USER", k_other_user);
  set("OCI_CLI_REGION", "ap-tokyo-1");
  set("OCI_CLI_FINGERPRINT", "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99");
  set("OCI_CLI_TENANCY", "ocid1.tenancy.oc1..bbbbtenancy");
  set("OCI_CLI_KEY_FILE", (tmp.path() / "other.pem").string());
  auto resolved = resolve_credentials(env());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->user, k_other_user);
  EXPECT_EQ(resolved->region, "ap-tokyo-1");
  EXPECT_EQ(resolved->fingerprint, "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99");
  EXPECT_EQ(resolved->tenancy, "ocid1.tenancy.oc1..bbbbtenancy");
  EXPECT_EQ(resolved->key_file, tmp.path() / "other.pem");
  EXPECT_EQ(resolved->source, "environment");

  for (const char* variable :
       {"OCI_CLI_USER", "OCI_CLI_FINGERPRINT", "OCI_CLI_TENANCY", "OCI_CLI_KEY_FILE"}) {
    set(variable, "");  // empty counts as unset
  }
  resolved = resolve_credentials(env());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->user, k_user);
  EXPECT_EQ(resolved->region, "ap-tokyo-1");
  EXPECT_NE(resolved->source.find("profile [DEFAULT] and environment"), std::string::npos)
      << resolved->source;
}

TEST_F(OciCredentials, EnvironmentAloneIsEnough) {
  set("HOME", (tmp.path() / "empty-home").string());
  write_text(tmp.path() / "key.pem", plain_rsa_pem());
  set("OCI_CLI_USER", k_user);
  set("OCI_CLI_REGION", "us-ashburn-1");
  set("OCI_CLI_FINGERPRINT", k_fingerprint);
  set("OCI_CLI_TENANCY", k_tenancy);
  set("OCI_CLI_KEY_FILE", (tmp.path() / "key.pem").string());
  auto resolved = resolve_credentials(env());
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "environment");
}

TEST_F(OciCredentials, NothingConfiguredListsEveryMissingSetting) {
  set("HOME", (tmp.path() / "empty-home").string());
  set("OCI_CLI_REGION", "us-ashburn-1");
  const Error e = error();
  EXPECT_EQ(e.code, ExitCode::usage);
  for (const char* expected :
       {"user (OCI_CLI_USER)", "tenancy (OCI_CLI_TENANCY)", "fingerprint (OCI_CLI_FINGERPRINT)",
        "key_file (OCI_CLI_KEY_FILE)", "no such file", "instance principals are not supported"}) {
    EXPECT_NE(e.message.find(expected), std::string::npos) << expected << " in " << e.message;
  }
  EXPECT_EQ(e.message.find("region (OCI_CLI_REGION)"), std::string::npos) << e.message;
}

TEST_F(OciCredentials, HostileValuesAreRefusedNamingTheirSource) {
  const auto refused_with = [&](const std::string& variable, const std::string& value,
                                const std::string& expected) {
    home_with(profile("DEFAULT", k_user, "us-ashburn-1"), plain_rsa_pem());
    set(variable, value);
    const Error e = error();
    EXPECT_EQ(e.code, ExitCode::usage) << variable << "=" << value << ": " << e.message;
    EXPECT_NE(e.message.find(expected), std::string::npos) << e.message;
    set(variable, "");  // empty: unset for the override rule
  };
  refused_with("OCI_CLI_USER", "ocid1.tenancy.oc1..aaaa", "OCI_CLI_USER: \"ocid1.tenancy");
  refused_with("OCI_CLI_USER", "ocid1.user.oc1..AAAA", "not a user OCID");
  refused_with("OCI_CLI_USER", "ocid1.user.oc1..", "not a user OCID");
  refused_with("OCI_CLI_USER", "ocid2.user.oc1..aaaa", "not a user OCID");
  refused_with("OCI_CLI_USER", "ocid1.user.oc1..aaaa\n[x]", "a value of");
  refused_with("OCI_CLI_TENANCY", std::string(300, 'a'), "OCI_CLI_TENANCY: a value of 300 bytes");
  refused_with("OCI_CLI_FINGERPRINT", "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a",
               "not a key fingerprint");
  refused_with("OCI_CLI_FINGERPRINT", "20-3b-97-13-55-1c-5b-0d-d3-37-d8-50-4e-c5-3a-34",
               "not a key fingerprint");
  refused_with("OCI_CLI_REGION", "us-ashburn-1.evil.example", "not a region identifier");
  refused_with("OCI_CLI_REGION", "US-ASHBURN-1", "not a region identifier");
  refused_with("OCI_CLI_KEY_FILE", "~otheruser/key.pem", "\"~user\" paths are not expanded");
}

TEST_F(OciCredentials, BadFileValueNamesKeyProfileAndFile) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1") + "[DEV]\nfingerprint=zz\n",
            plain_rsa_pem());
  set("OCI_CLI_PROFILE", "DEV");
  const Error e = error();
  EXPECT_NE(e.message.find("fingerprint in [DEV] of " + (tmp.path() / ".oci" / "config").string()),
            std::string::npos)
      << e.message;
}

TEST_F(OciCredentials, HostileConfigFilesAreRefused) {
  const auto refused_with = [&](const std::string& config, const std::string& expected) {
    home_with(config, plain_rsa_pem());
    const Error e = error();
    EXPECT_EQ(e.code, ExitCode::usage) << e.message;
    EXPECT_NE(e.message.find(expected), std::string::npos) << e.message;
  };
  refused_with(std::string(k_max_config_file_bytes + 1, '#'), "more than the limit");
  refused_with("[DEFAULT]\nuser=" + std::string(5000, 'a') + "\n", ":2: line longer than");
  refused_with("user=x\n[DEFAULT]\n", ":1: a setting before any [PROFILE] header");
  refused_with("[DEFAULT]\nuser=a\nuser=b\n", ":3: key \"user\" given twice");
  refused_with("[DEFAULT]\n[DEFAULT]\n", ":2: section [DEFAULT] given twice");
  refused_with("[DEFAULT]\nuser=a\x1b[2J\n", ":2: a control byte");
  refused_with("[DEFAULT]\njust words\n", ":2: neither");
  refused_with(std::string("[DEFAULT]\nuser=a\0b\n", 19), ":2: a control byte");
}

TEST(OciConfigFile, ParsesTheSdkDialect) {
  auto file = parse_config_file(
      "# comment\r\n; other\r\n[DEFAULT]\r\n  User = u1\r\nregion:r1\n\n[B]\nkey_file = ~/k # not "
      "a "
      "comment\n",
      "f");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->at("DEFAULT").at("user"), "u1");
  EXPECT_EQ(file->at("DEFAULT").at("region"), "r1");
  const ConfigSection b = profile_settings(*file, "B");
  EXPECT_EQ(b.at("key_file"), "~/k # not a comment");
  EXPECT_EQ(b.at("user"), "u1");
  EXPECT_EQ(profile_settings(*file, "absent").size(), 2U);
}

TEST(OciConfigFile, AcceptsTheShapesOciUses) {
  EXPECT_TRUE(check_ocid(
      "ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a",
      "instance", "x"));
  EXPECT_TRUE(check_ocid("ocid1.tenancy.oc1..aaaa", "tenancy", "x"));
  EXPECT_TRUE(check_ocid("ocid1.user.oc1.us-ashburn-1.future.aaaa", "user", "x"));
  EXPECT_FALSE(check_ocid("ocid1.user.oc1..aa.aa.aa", "user", "x"));
  EXPECT_TRUE(check_region("us-ashburn-1", "x"));
  EXPECT_TRUE(check_region("phx", "x"));
  EXPECT_FALSE(check_region("us--ashburn", "x"));
  EXPECT_FALSE(check_region("", "x"));
  EXPECT_TRUE(check_fingerprint("20:3B:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34", "x"));
}

TEST_F(OciCredentials, MissingKeyFileNamesItAndTheSetting) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), plain_rsa_pem());
  std::filesystem::remove(tmp.path() / ".oci" / "key.pem");
  const Error e = error();
  EXPECT_EQ(e.code, ExitCode::usage);
  EXPECT_NE(e.message.find((tmp.path() / ".oci" / "key.pem").string()), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("key_file in [DEFAULT]"), std::string::npos) << e.message;
}

TEST_F(OciCredentials, KeyFileThatIsNotAKeyIsRefused) {
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), "ssh-rsa AAAAB3Nza... user@host\n");
  EXPECT_NE(error().message.find("not a PEM private key"), std::string::npos) << error().message;
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), make_pem(false));
  EXPECT_NE(error().message.find("not an RSA key"), std::string::npos) << error().message;
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), std::string(k_max_key_file_bytes + 1, 'A'));
  EXPECT_NE(error().message.find("more than the limit"), std::string::npos) << error().message;
}

// Given a key encrypted with a canary pass phrase, expect: no pass phrase and a wrong one are
// clear errors naming the file; the right one (from the file or OCI_CLI_PASSPHRASE) loads it;
// and neither pass phrase nor any line of the key appears in any error or description.
TEST_F(OciCredentials, EncryptedKeyAndCanaries) {
  const std::string pem = make_pem(true, k_canary_pass);
  ASSERT_NE(pem.find("ENCRYPTED"), std::string::npos);
  const std::string key_path = (tmp.path() / ".oci" / "key.pem").string();
  std::vector<std::string> texts;

  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), pem);
  Error e = error();
  EXPECT_NE(e.message.find("is encrypted and no pass phrase is set"), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find(key_path), std::string::npos) << e.message;
  texts.push_back(e.message);

  home_with(profile("DEFAULT", k_user, "us-ashburn-1", std::string("pass_phrase=") + k_wrong_pass),
            pem);
  e = error();
  EXPECT_NE(e.message.find("does not decrypt"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("pass_phrase in [DEFAULT]"), std::string::npos) << e.message;
  texts.push_back(e.message);

  set("OCI_CLI_PASSPHRASE", k_wrong_pass);
  home_with(profile("DEFAULT", k_user, "us-ashburn-1"), pem);
  e = error();
  EXPECT_NE(e.message.find("check OCI_CLI_PASSPHRASE"), std::string::npos) << e.message;
  texts.push_back(e.message);

  set("OCI_CLI_PASSPHRASE", k_canary_pass);
  auto resolved = resolve_credentials(env());
  ASSERT_TRUE(resolved) << resolved.error().message;
  texts.push_back(resolved->describe());
  texts.push_back(resolved->source);

  // The key signs, and what it signs carries no pass phrase either.
  auto added = sign_request({"GET", "https://h.example/a", {}, ""}, resolved->key_id(),
                            resolved->key, "Thu, 05 Jan 2014 21:31:40 GMT");
  ASSERT_TRUE(added) << added.error().message;
  for (const auto& [name, value] : *added) texts.push_back(value);

  set("OCI_CLI_PASSPHRASE", "");
  home_with(profile("DEFAULT", k_user, "us-ashburn-1", std::string("pass_phrase=") + k_canary_pass),
            pem);
  ASSERT_TRUE(resolve_credentials(env())) << error().message;

  const std::string key_line = pem.substr(pem.find('\n') + 1, 40);  // the first base64 line
  for (const auto& text : texts) {
    EXPECT_EQ(text.find(k_canary_pass), std::string::npos) << text;
    EXPECT_EQ(text.find(k_wrong_pass), std::string::npos) << text;
    EXPECT_EQ(text.find(key_line), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace labctl::providers::oci
