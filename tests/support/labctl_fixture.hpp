#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/spawn.hpp"
#include "tests/support/store_kind.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {

// Each test gets its own state dir, testfs dir and a testfs profile with `nodes` nodes.
class LifecycleTest : public TempDirTest {
 protected:
  void SetUp() override;

  [[nodiscard]] std::map<std::string, std::string> base_env() const;
  [[nodiscard]] CommandOutput labctl(const std::vector<std::string>& args,
                                     std::map<std::string, std::string> extra = {}) const;
  [[nodiscard]] std::unique_ptr<Spawned> spawn(const std::vector<std::string>& args,
                                               std::map<std::string, std::string> extra = {}) const;
  // Files the testfs provider holds for `run_id` (0 when its directory is gone).
  [[nodiscard]] std::size_t testfs_files(const std::string& run_id = "") const;
  [[nodiscard]] nlohmann::json show(const std::string& run_id) const;
  void write_testfs_profile(int nodes);

  std::filesystem::path state_dir;
  std::filesystem::path testfs_dir;
  std::filesystem::path profile_path;
  // CE_STATE_URL of every labctl this test runs: "" (unset: SQLite in state_dir) unless the
  // test runs on PostgreSQL (StoreLifecycleTest).
  std::string state_url;
};

// LifecycleTest on each store: INSTANTIATE_TEST_SUITE_P(Stores, Suite, k_both_stores,
// store_kind_name) over a `using Suite = StoreLifecycleTest;`.
class StoreLifecycleTest : public LifecycleTest, public ::testing::WithParamInterface<StoreKind> {
 protected:
  void SetUp() override;
};

// The run-id line pattern of the evidence schema.
[[nodiscard]] bool looks_like_run_id(const std::string& line);

}  // namespace labctl::testing
