#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/aws/ec2_fake_fixture.hpp"

namespace labctl::testing {

// An aws run against the EC2 fake, with helpers for the gated provider-action path
// (`labctl action ...`). Every labctl command a test runs through run() is kept in a transcript
// (the credential-canary test scans it).
class ExecutorTest : public Ec2FakeTest {
 protected:
  // The address the tests capture: inside the provider profile's subnet 10.240.1.0/24.
  static constexpr const char* k_address = "10.240.1.50";

  struct Lab {
    std::string run_id;
    std::string eni_a;  // aws-router-a
    std::string eni_b;  // aws-router-b
    std::string eni_client;
  };
  // The idempotency keys of a capture plan: ensure-forwarding-enabled, assign-secondary-ip.
  struct CaptureKeys {
    std::string forwarding;
    std::string assign;
    std::filesystem::path plan_file;
  };

  // live(), recorded in the transcript.
  CommandOutput run(const std::vector<std::string>& args,
                    std::map<std::string, std::string> extra = {});
  CommandOutput run_stdin(const std::vector<std::string>& args, const std::string& input,
                          std::map<std::string, std::string> extra = {});
  // spawn_live() with run_env and `extra` (`extra` wins); not in the transcript.
  [[nodiscard]] std::unique_ptr<Spawned> spawn_run(
      const std::vector<std::string>& args, std::map<std::string, std::string> extra = {}) const;
  // The environment that makes a labctl one machine of a team: its own CE_STATE_DIR (created
  // under tmp) and CE_MACHINE `name`, sharing the test's CE_STATE_URL (so only meaningful, and
  // only accepted, on PostgreSQL). Set it as run_env, or pass it as `extra`.
  [[nodiscard]] std::map<std::string, std::string> machine_env(const std::string& name) const;

  // `up --profile provider --provider aws` and the ENIs of its instance rows.
  [[nodiscard]] Lab up_lab();
  // `action plan` into a file under tmp; returns the file (the plan must succeed).
  [[nodiscard]] std::filesystem::path plan(const Lab& lab, const std::string& eni,
                                           const std::string& seize_from = "");
  // One ExecuteActionRequest (us-east-1); `address` "" for the forwarding actions, `run_id` ""
  // for no context.
  [[nodiscard]] static nlohmann::json action_request(
      const std::string& action, const std::string& eni_id, const std::string& address,
      const nlohmann::json& parameters, const std::string& mode, const std::string& key,
      const std::string& run_id);
  // An ActionPlan of `rows` dry-run captures on `eni_id` (epoch 1; distinct addresses in
  // 10.240.2.0-10.240.81.x and keys "<run>/<prefix>/<i>").
  [[nodiscard]] static nlohmann::json big_plan(const std::string& run_id, const std::string& eni_id,
                                               int rows, const std::string& prefix);
  [[nodiscard]] static CaptureKeys keys_of(const std::filesystem::path& plan_file);
  // plan and import (asserts both); the plan's keys.
  [[nodiscard]] CaptureKeys import_plan(const Lab& lab, const std::string& eni,
                                        const std::string& seize_from = "");
  // import_plan, then approve (by "tester") its assign-secondary-ip action.
  [[nodiscard]] CaptureKeys approved_assign(const Lab& lab, const std::string& eni,
                                            const std::string& seize_from = "");
  // plan, import, approve (by "tester") and execute --approved both actions; asserts each step.
  [[nodiscard]] CaptureKeys capture(const Lab& lab, const std::string& eni,
                                    const std::string& seize_from = "");
  // approve --by tester then execute --approved; returns the execute's output.
  CommandOutput approve_and_execute(const std::string& key);

  // The journal as `action list --json` / `action show --json` give it.
  [[nodiscard]] nlohmann::json journal_rows(const std::string& run_id);
  [[nodiscard]] nlohmann::json journal_row(const std::string& key);
  // The number of journal rows of `run_id`, counted in the test's state database (state.db, or
  // state_url's PostgreSQL database) without labctl: cheap for journals of 100,000 rows.
  [[nodiscard]] std::size_t journal_count(const std::string& run_id) const;

  // The fake's view of one ENI (us-east-1): its describe document plus "tags".
  [[nodiscard]] nlohmann::json eni(const std::string& eni_id) const;
  [[nodiscard]] std::vector<std::string> secondary_ips(const std::string& eni_id) const;
  [[nodiscard]] bool source_dest_check(const std::string& eni_id) const;
  // An ENI of a freshly seeded instance that carries no lab tags (a non-lab resource).
  [[nodiscard]] std::string seed_foreign_eni() const;
  // Calls that change an ENI: Assign/UnassignPrivateIpAddresses, ModifyNetworkInterfaceAttribute.
  [[nodiscard]] std::size_t mutating_eni_calls() const;

  // Debian's aws CLI against the fake with the main dummy identity: changes behind labctl's back
  // (expects exit 0). Tests using it GTEST_SKIP first unless aws_cli_available().
  [[nodiscard]] static bool aws_cli_available();
  CommandOutput aws_cli(const std::vector<std::string>& args) const;

  std::string transcript;
  // Added to the environment of every run()/run_stdin() (a call's own `extra` wins).
  std::map<std::string, std::string> run_env;

 private:
  int m_plans = 0;
};

// ExecutorTest on each store: TEST_P(StoreExecutorTest, ...) with
// INSTANTIATE_TEST_SUITE_P(Stores, StoreExecutorTest, k_both_stores, store_kind_name); a suite
// derived from it may instantiate Values(StoreKind::postgresql) only (cross-machine tests). A
// PostgreSQL case runs on a fresh database every labctl of the test shares (LifecycleTest's
// state_url, CE_STATE_URL).
class StoreExecutorTest : public ExecutorTest, public ::testing::WithParamInterface<StoreKind> {
 protected:
  void SetUp() override;
};

[[nodiscard]] bool contains(const std::string& text, const std::string& part);

}  // namespace labctl::testing
