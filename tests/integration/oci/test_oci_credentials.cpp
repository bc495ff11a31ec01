// OCI credentials end to end, the labctl binary against the OCI fake (which verifies every
// signature): the order the OCI CLI reads them in (OCI_CLI_* over the config file,
// OCI_CLI_CONFIG_FILE over OCI_CONFIG_FILE, OCI_CLI_PROFILE picking the section), and the key
// canary: the API key and its pass phrase never reach an output, the state directory, the journal
// or evidence.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/oci/oci_fake_fixture.hpp"

namespace labctl::testing {
namespace {

// A user the fake does not know: signatures under it are refused (401 NotAuthenticated).
constexpr const char* k_stranger = "ocid1.user.oc1..aaaaaaaastrangerwhoisnottheapikeyowner01";

class OciCredentialsEndToEnd : public OciFakeTest {
 protected:
  void SetUp() override {
    fake_args = {"--op-delay-ms", "5"};
    OciFakeTest::SetUp();
  }

  // A config file section with the fixture's key; `user` is who signs.
  [[nodiscard]] std::string section(const std::string& name, const std::string& user) const {
    return "[" + name + "]\nuser=" + user + "\nfingerprint=" + fingerprint() +
           "\ntenancy=" + k_tenancy + "\nregion=" + k_region + "\nkey_file=" + key_file().string() +
           "\npass_phrase=" + k_canary_passphrase + "\n";
  }

  // The environment with every OCI_CLI_* credential variable unset (the config file decides),
  // plus `extra`.
  [[nodiscard]] std::map<std::string, std::string> file_only(
      std::map<std::string, std::string> extra) const {
    const std::string unset = "\x01unset";
    std::map<std::string, std::string> env{{"OCI_CLI_USER", unset},
                                           {"OCI_CLI_TENANCY", unset},
                                           {"OCI_CLI_FINGERPRINT", unset},
                                           {"OCI_CLI_KEY_FILE", unset},
                                           {"OCI_CLI_PASSPHRASE", unset},
                                           {"OCI_CLI_REGION", unset}};
    for (auto& [k, v] : extra) env[k] = v;
    return env;
  }

  // `up` of the smallest lab; the run id on success.
  [[nodiscard]] CommandOutput up_with(const std::map<std::string, std::string>& env) const {
    return live({"up", "--profile", write_oci_profile("oci-cred", {{"oci-router", "router"}})},
                env);
  }

  // Requests the fake refused as unauthenticated.
  [[nodiscard]] std::size_t refused() const {
    std::size_t n = 0;
    const auto log = fake_get("/_fake/log");
    for (const auto& entry : log.is_array() ? log : nlohmann::json::array()) {
      n += entry.contains("code") && entry["code"] == "NotAuthenticated" ? 1 : 0;
    }
    return n;
  }

  // Every canary found in any file below `dir` (read whole, binary).
  [[nodiscard]] std::vector<std::string> leaked_in_dir(const std::filesystem::path& dir) const {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string text{std::istreambuf_iterator<char>(in), {}};
      for (const auto& canary : leaked(text)) {
        found.push_back(entry.path().string() + ": " + canary.substr(0, 12) + "...");
      }
    }
    return found;
  }
};

// Given a config file (OCI_CLI_CONFIG_FILE) whose user the fake does not know, expect up refused
// by the fake (exit 3, 401, nothing created); given the same file and OCI_CLI_USER naming the
// key's user, expect the variable to win and up to succeed.
TEST_F(OciCredentialsEndToEnd, EnvironmentOverridesTheConfigFile) {
  const auto config = tmp.path() / "oci-config";
  write_text(config, section("DEFAULT", k_stranger));

  const auto refused_up = up_with(file_only({{"OCI_CLI_CONFIG_FILE", config.string()}}));
  EXPECT_EQ(refused_up.code, 3) << refused_up.err;
  EXPECT_GE(refused(), 1U);
  EXPECT_EQ(existing(), std::vector<std::string>{});

  const auto good_up =
      up_with(file_only({{"OCI_CLI_CONFIG_FILE", config.string()}, {"OCI_CLI_USER", k_user}}));
  EXPECT_EQ(good_up.code, 0) << good_up.err;
  EXPECT_FALSE(tagged("").empty());
}

// Given OCI_CLI_CONFIG_FILE naming a file whose [LAB] profile holds the key's user (its DEFAULT a
// stranger) and OCI_CONFIG_FILE naming a file of strangers only, expect up to succeed with
// OCI_CLI_PROFILE=LAB (the CLI's variable wins over the SDK's, the profile picks the section),
// and to be refused without OCI_CLI_PROFILE (DEFAULT signs).
TEST_F(OciCredentialsEndToEnd, CliConfigFileAndProfileChooseTheSigner) {
  const auto cli_config = tmp.path() / "cli-config";
  const auto sdk_config = tmp.path() / "sdk-config";
  write_text(cli_config, section("DEFAULT", k_stranger) + section("LAB", k_user));
  write_text(sdk_config, section("DEFAULT", k_stranger) + section("LAB", k_stranger));
  const std::map<std::string, std::string> both{{"OCI_CLI_CONFIG_FILE", cli_config.string()},
                                                {"OCI_CONFIG_FILE", sdk_config.string()}};

  const auto default_up = up_with(file_only(both));
  EXPECT_EQ(default_up.code, 3) << default_up.err;
  EXPECT_GE(refused(), 1U);

  auto lab = both;
  lab["OCI_CLI_PROFILE"] = "LAB";
  const auto lab_up = up_with(file_only(lab));
  EXPECT_EQ(lab_up.code, 0) << lab_up.err;
  EXPECT_FALSE(tagged("").empty());
}

// Given a live up (verbose), evidence collect and down of a lab signed with the encrypted key,
// expect none of the key canaries (the pass phrase, lines of the key in each PEM form) in any
// output, in any file of the state directory (state database, run directory, journal) or in the
// evidence bundle.
TEST_F(OciCredentialsEndToEnd, KeyAndPassPhraseNeverLeak) {
  const auto profile = write_oci_profile("oci-canary", {{"oci-router", "router"}});
  const auto up = live({"-v", "up", "--profile", profile});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string run_id = up.out.substr(0, up.out.find('\n'));
  const auto evidence_dir = tmp.path() / "evidence";
  const auto evidence =
      live({"-v", "evidence", "collect", "--run-id", run_id, "--out", evidence_dir.string()});
  const auto down = live({"-v", "down", "--run-id", run_id});
  EXPECT_EQ(down.code, 0) << down.err;
  for (const auto* out : {&up, &evidence, &down}) {
    EXPECT_EQ(leaked(out->out + out->err), std::vector<std::string>{});
  }
  EXPECT_EQ(leaked_in_dir(state_dir), std::vector<std::string>{});
  EXPECT_EQ(leaked_in_dir(evidence_dir), std::vector<std::string>{});
  EXPECT_EQ(tagged(run_id), std::vector<std::string>{});
}

// Given a pass phrase that does not decrypt the key, expect up to stop before any request (exit
// 2) naming OCI_CLI_PASSPHRASE, with neither pass phrase nor the key in the message.
TEST_F(OciCredentialsEndToEnd, WrongPassPhraseErrorHoldsNoSecret) {
  const std::string wrong = "oci-canary-WRONG-PASSPHRASE-3c9d";
  const auto out = up_with({{"OCI_CLI_PASSPHRASE", wrong}});
  EXPECT_EQ(out.code, 2) << out.err;
  EXPECT_NE(out.err.find("OCI_CLI_PASSPHRASE"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find(wrong), std::string::npos) << out.err;
  EXPECT_EQ(leaked(out.out + out.err), std::vector<std::string>{});
  EXPECT_EQ(calls(""), 0U);
}

}  // namespace
}  // namespace labctl::testing
