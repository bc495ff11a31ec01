#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/process.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "providers/local/local_provider.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {

// Why a live local-lab test cannot run here ("" when it can): not root, or a tool missing.
[[nodiscard]] std::string live_lab_unavailable();

// Runs a command; returns its exit code (-1 if it could not start) and fills `out`.
int run_command(const std::vector<std::string>& argv, std::string* out = nullptr,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// One lab run driven through the provider directly: its own state dir, metadata dir and run
// record. The destructor tears down whatever the state still lists, so a failed assertion
// never leaks namespaces or daemons.
class LabHarness {
 public:
  // `profile_yaml` empty: the shipped profiles/local.yaml.
  explicit LabHarness(const std::string& scenario, const std::string& profile_yaml = "",
                      long long ttl_seconds = 3600);
  ~LabHarness();
  LabHarness(const LabHarness&) = delete;
  LabHarness& operator=(const LabHarness&) = delete;

  [[nodiscard]] providers::RunContext ctx();
  [[nodiscard]] state::Store& store() { return *m_store; }
  [[nodiscard]] providers::Provider& provider() { return *m_provider; }
  [[nodiscard]] const state::RunRecord& run() const { return m_run; }
  [[nodiscard]] const std::filesystem::path& meta_dir() const { return m_meta_dir; }
  [[nodiscard]] const std::filesystem::path& root() const { return m_tmp.path(); }

  // Rows not yet deleted, newest first (what `down` hands the provider).
  [[nodiscard]] std::vector<state::ResourceRecord> live_rows();
  // The run's netns name of a node, from the netns rows' attrs ("" if unknown).
  [[nodiscard]] std::string netns_of(const std::string& node);
  [[nodiscard]] std::vector<pid_t> recorded_pids();

 private:
  TempDir m_tmp;
  std::filesystem::path m_meta_dir;
  std::unique_ptr<state::Store> m_store;
  profile::Profile m_profile;
  state::RunRecord m_run;
  std::unique_ptr<providers::Provider> m_provider;
};

}  // namespace labctl::testing
