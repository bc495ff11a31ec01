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

  void SetUp() override;
  void TearDown() override;

  [[nodiscard]] std::map<std::string, std::string> aws_env() const;
  // Runs labctl live against the fake.
  [[nodiscard]] CommandOutput live(const std::vector<std::string>& args,
                                   std::map<std::string, std::string> extra = {}) const;
  [[nodiscard]] std::unique_ptr<Spawned> spawn_live(const std::vector<std::string>& args) const;

  [[nodiscard]] nlohmann::json fake_get(const std::string& path) const;
  nlohmann::json fake_post(const std::string& path, const nlohmann::json& body) const;
  // Every resource in the fake tagged routerd.cloudedge.run_id=run_id that still exists
  // (terminated instances do not count), as "kind id" strings.
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
