#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {

// A LifecycleTest with the ARM fake (tests/fakes/azure/arm_fake.py) serving TLS on 127.0.0.1
// with a CA it generated for this test, and labctl pointed at it: CE_AZURE_ARM_ENDPOINT,
// AZURE_AUTHORITY_HOST and AZURE_CA_BUNDLE, a service principal whose client secret is a canary
// that must never show up anywhere, AZURE_SUBSCRIPTION_ID, managed identity disabled (no IMDS
// traffic). AWS is not configured (no credentials, IMDS disabled).
class ArmFakeTest : public LifecycleTest {
 protected:
  static constexpr const char* k_tenant = "72f988bf-0000-4000-8000-00000000beef";
  static constexpr const char* k_client_id = "0b0b0b0b-1111-4222-8333-444444444444";
  static constexpr const char* k_canary_secret = "azure-canary-SECRET-91c3e5-do-not-leak";
  static constexpr const char* k_subscription = "5f1e0c2a-6b7d-4e8f-9a0b-1c2d3e4f5a6b";

  // Fault modes for the fake (arm_fake.py flags), set before SetUp runs the fake: e.g.
  // {"--throttle-every", "3"}.
  std::vector<std::string> fake_args;

  void SetUp() override;
  void TearDown() override;

  [[nodiscard]] std::map<std::string, std::string> azure_env() const;
  // Runs labctl live (CE_DRY_RUN=0) against the fake.
  [[nodiscard]] CommandOutput live(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> extra = {}) const;
  [[nodiscard]] std::unique_ptr<Spawned> spawn_live(const std::vector<std::string>& args) const;

  // The fake's control API (/_fake/...), over TLS with the test CA.
  [[nodiscard]] nlohmann::json fake_get(const std::string& path) const;
  nlohmann::json fake_post(const std::string& path, const nlohmann::json& body) const;
  // ARM ids of every resource (resource groups included) tagged routerd.cloudedge.run_id=run_id
  // (any run id when empty) that still exists in the fake.
  [[nodiscard]] std::vector<std::string> tagged(const std::string& run_id) const;
  // Number of received requests whose "METHOD /path-pattern" matches `what` as a substring
  // (e.g. "PUT /subscriptions/" or "powerOff").
  [[nodiscard]] std::size_t calls(const std::string& what) const;
  // The test CA (PEM) the fake's certificate chains to.
  [[nodiscard]] std::filesystem::path ca_bundle() const;

  // One node of the profile's azure site.
  struct ProfileNode {
    std::string name;
    std::string role;
  };
  // Writes <tmp>/<name>.yaml, the smallest azure-only profile: one site "azure" (logical address
  // 10.77.60.12) holding `nodes`, ttl 1h, region westeurope, operator CIDR 198.51.100.0/24.
  // Returns its path.
  [[nodiscard]] std::string write_azure_profile(const std::string& name,
                                                const std::vector<ProfileNode>& nodes) const;

  // A raw HTTPS exchange with the fake (for tests of the fake itself and of what labctl's
  // requests look like on the wire): status (0 when no answer), response headers (raw text) and
  // the body parsed as JSON (discarded when it is not JSON).
  struct FakeAnswer {
    long status = 0;
    std::string headers;
    nlohmann::json body;
  };
  // `method` `path` (with query) with `Authorization: Bearer <token>` when `token` is not empty,
  // and `body` as JSON when it is not null.
  [[nodiscard]] FakeAnswer fake_request(const std::string& method, const std::string& path,
                                        const nlohmann::json& body = nullptr,
                                        const std::string& token = "") const;
  // A fresh access token for the test's service principal (client-credentials grant).
  [[nodiscard]] std::string fake_token() const;

  std::string endpoint;  // https://127.0.0.1:<port>

 private:
  std::unique_ptr<Spawned> m_fake;
  std::filesystem::path m_fake_dir;
};

}  // namespace labctl::testing
