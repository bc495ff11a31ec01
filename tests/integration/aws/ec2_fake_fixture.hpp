#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {

// A LifecycleTest with the EC2 fake running on 127.0.0.1 and labctl pointed at it with dummy
// credentials (a canary secret that must never show up anywhere). IMDS is disabled.
class Ec2FakeTest : public LifecycleTest {
 protected:
  static constexpr const char* k_access_key = "AKIDLABCTLTEST0001";
  static constexpr const char* k_canary_secret = "canary-SECRET-4f9c2e7d-do-not-leak";
  // A second identity the fake also verifies, for tests that need a scoped-down (denied)
  // credentials profile next to the main one. Its secret must never show up either.
  static constexpr const char* k_scoped_access_key = "AKIDLABCTLSCOPED02";
  static constexpr const char* k_scoped_secret = "scoped-SECRET-8b1d0a3e-do-not-leak";

  void SetUp() override;
  void TearDown() override;

  [[nodiscard]] std::map<std::string, std::string> aws_env() const;
  // Runs labctl live against the fake.
  [[nodiscard]] CommandOutput live(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> extra = {}) const;
  [[nodiscard]] std::unique_ptr<Spawned> spawn_live(const std::vector<std::string>& args) const;
  // live() with `input` on labctl's stdin (through a file and /bin/sh redirection).
  [[nodiscard]] CommandOutput live_stdin(const std::vector<std::string>& args,
                                         const std::string& input,
                                         std::map<std::string, std::string> extra = {}) const;
  // Writes a shared credentials file holding `profile` with the scoped identity's keys and
  // returns its path (for AWS_SHARED_CREDENTIALS_FILE).
  [[nodiscard]] std::filesystem::path write_scoped_credentials(const std::string& profile) const;

  [[nodiscard]] nlohmann::json fake_get(const std::string& path) const;
  nlohmann::json fake_post(const std::string& path, const nlohmann::json& body) const;
  // Every resource in the fake tagged routerd.cloudedge.run_id=run_id (any run id when empty)
  // that still exists (terminated instances do not count), as "kind id" strings.
  [[nodiscard]] std::vector<std::string> tagged(const std::string& run_id) const;
  // Copies (safe to iterate): the fake's us-east-1 instances, and its call log.
  [[nodiscard]] nlohmann::json instances() const;
  [[nodiscard]] nlohmann::json call_log() const;
  // Number of received calls of `action` (any status).
  [[nodiscard]] std::size_t calls(const std::string& action) const;

  std::string endpoint;

 private:
  std::unique_ptr<Spawned> m_fake;
};

}  // namespace labctl::testing
