#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {

// The OCI fake (tests/fakes/oci/oci_fake.py) serving TLS on 127.0.0.1 with a CA it generated,
// and what labctl needs to use it: CE_OCI_ENDPOINT, OCI_CA_BUNDLE and an API key given by the
// OCI_CLI_* variables (user, tenancy, fingerprint, key file, region). The key file is encrypted;
// its pass phrase (OCI_CLI_PASSPHRASE) is a canary, and so is the key's PEM text: neither may
// show up anywhere (key_canaries()). No OCI config file is read. A part of a test fixture: OciFakeTest
// below, or a fixture of several clouds holding one as a member.
class OciFake {
 public:
  static constexpr const char* k_tenancy = "ocid1.tenancy.oc1..aaaaaaaalabctlfaketenancy0000000001";
  static constexpr const char* k_user = "ocid1.user.oc1..aaaaaaaalabctlfakeuser00000000000001";
  static constexpr const char* k_region = "us-ashburn-1";
  // The fake's default compartment (tests/fakes/oci/README.md), the profiles' compartment.
  static constexpr const char* k_compartment =
      "ocid1.compartment.oc1..aaaaaaaafakelabcompartment0000000000000000000000000";
  // A well-formed image OCID (the fake accepts any image).
  static constexpr const char* k_image =
      "ocid1.image.oc1.iad.aaaaaaaalabctlfakeimage000000000000000000000000000000001";
  static constexpr const char* k_canary_passphrase = "oci-canary-PASSPHRASE-7e41a9-do-not-leak";

  // Fault and timing flags for the fake (tests/fakes/oci/README.md), set before start(): e.g.
  // {"--throttle-every", "3"}. --op-delay-ms 20 comes first; a later --op-delay-ms here wins.
  std::vector<std::string> fake_args;

  // Why the fake cannot run on this machine ("" when it can): /usr/bin/python3 or the SDK models
  // file OCI_FAKE_MODELS (${CMAKE_BINARY_DIR}/npm-oci/oci-models.json, from
  // tests/fakes/oci/setup-npm.sh) missing. A test skips with it.
  [[nodiscard]] static std::string unavailable();
  // Starts the fake with its files (key, CA, port) in `dir`; a fatal test failure when it does
  // not start. stop() (SIGTERM, waited) is safe to call when it never started.
  void start(const std::filesystem::path& dir);
  void stop();

  // labctl's OCI variables for the fake (nothing about dry-run or other clouds). HOME is the
  // fake's directory: no ~/.oci/config of the developer's.
  [[nodiscard]] std::map<std::string, std::string> credentials_env() const;

  // The fake's control API (/_fake/...), over TLS with the test CA; null when no JSON answer.
  [[nodiscard]] nlohmann::json fake_get(const std::string& path) const;
  nlohmann::json fake_post(const std::string& path, const nlohmann::json& body) const;
  // OCIDs of every resource the fake holds that still exists (lifecycleState neither TERMINATED
  // nor DETACHED: terminated instances and their attachments stay listed), tagged
  // routerd.cloudedge.run_id = run_id (any run id when empty).
  [[nodiscard]] std::vector<std::string> tagged(const std::string& run_id) const;
  // OCIDs of every resource the fake holds that still exists, tagged or not (a VCN's default
  // route table and security list included): the fake serves one test, so after a clean down
  // there must be none.
  [[nodiscard]] std::vector<std::string> existing() const;
  // Number of received requests whose "METHOD /path" matches `what` as a substring (e.g.
  // "POST /20160918/instances" or "DELETE "). Paths carry the API version.
  [[nodiscard]] std::size_t calls(const std::string& what) const;
  // Number of received requests that mutate (POST other than Resource Search, PUT, DELETE).
  [[nodiscard]] std::size_t mutations() const;
  // The test CA (PEM) the fake's certificate chains to.
  [[nodiscard]] std::filesystem::path ca_bundle() const;
  // The encrypted API key file labctl is given (OCI_CLI_KEY_FILE) and its fingerprint.
  [[nodiscard]] std::filesystem::path key_file() const;
  [[nodiscard]] static std::string fingerprint();
  // Texts that must never appear in any output, state, journal or evidence: the pass phrase and
  // base64 lines of the key (the encrypted file, the decrypted PKCS#8 and PKCS#1 forms).
  [[nodiscard]] static std::vector<std::string> key_canaries();
  // Every canary found in `text` (empty: none).
  [[nodiscard]] static std::vector<std::string> leaked(const std::string& text);

  std::string endpoint;  // https://127.0.0.1:<port>

 private:
  std::unique_ptr<Spawned> m_fake;
  std::filesystem::path m_fake_dir;
};

// A LifecycleTest with the OCI fake running (skipped where it cannot run) and labctl pointed at
// it; AWS and Azure are not configured.
class OciFakeTest : public LifecycleTest, protected OciFake {
 protected:
  void SetUp() override;
  void TearDown() override;

  // labctl's environment for the fake: credentials_env(), CE_DRY_RUN=0, AWS and Azure off.
  [[nodiscard]] std::map<std::string, std::string> oci_env() const;
  // Runs labctl live (CE_DRY_RUN=0) against the fake; `extra` overrides oci_env().
  [[nodiscard]] CommandOutput live(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> extra = {}) const;
  // Runs labctl in dry-run (CE_DRY_RUN unset) with the fake's credentials and endpoint.
  [[nodiscard]] CommandOutput dry(const std::vector<std::string>& args) const;
  [[nodiscard]] std::unique_ptr<Spawned> spawn_live(const std::vector<std::string>& args) const;

  // One node of the profile's oci site.
  struct ProfileNode {
    std::string name;
    std::string role;
  };
  // Writes <tmp>/<name>.yaml, the smallest oci-only profile: one site "oci" (logical address
  // 10.77.60.13) holding `nodes`, ttl 1h, region k_region, compartment k_compartment, image
  // k_image, shape VM.Standard.E4.Flex, operator CIDR 198.51.100.0/24. Returns its path.
  [[nodiscard]] std::string write_oci_profile(const std::string& name,
                                              const std::vector<ProfileNode>& nodes) const;
};

}  // namespace labctl::testing
