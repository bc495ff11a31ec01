#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/spawn.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/evidence/fixtures.hpp"

// Runs the real labctl binary (LABCTL_BIN) on input files the test writes in the original
// harness's formats, with an empty state directory of its own.
namespace labctl::evidence::testing {

class EvidenceCli : public labctl::testing::TempDirTest {
 protected:
  // Writes `value` as a probe file under the temp dir and returns its path.
  std::string input(const std::string& name, const nlohmann::json& value) {
    const auto path = tmp.path() / "inputs" / name;
    labctl::testing::write_text(path, value.dump());
    return path.string();
  }

  labctl::testing::CommandOutput labctl(std::vector<std::string> args,
                                        std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), LABCTL_BIN);
    env.emplace("CE_STATE_DIR", (tmp.path() / "state").string());
    env.emplace("CE_ACCEPTANCE_SCENARIOS", "\x01unset");
    env.emplace("CE_DRY_RUN", "1");
    const auto logs = tmp.path() / ("run-" + std::to_string(++m_runs));
    std::filesystem::create_directories(logs);
    return labctl::testing::run_command(args, env, logs);
  }

  // `evidence collect --out <tmp>/<out> ARGS...`
  labctl::testing::CommandOutput collect(const std::string& out, std::vector<std::string> args,
                                         std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"evidence", "collect", "--out", bundle(out).string()});
    return labctl(std::move(args), std::move(env));
  }

  std::filesystem::path bundle(const std::string& out) const { return tmp.path() / out; }

  nlohmann::json result_of(const std::string& out) const {
    return nlohmann::json::parse(labctl::testing::read_text(bundle(out) / "result.json"));
  }

  static const nlohmann::json& assertion(const nlohmann::json& result, const std::string& name) {
    for (const auto& a : result["assertions"]) {
      if (a["name"] == name) return a;
    }
    static const nlohmann::json k_missing = {{"result", "missing"}};
    return k_missing;
  }

 private:
  int m_runs = 0;
};

// A program on PATH (or an absolute path that exists), for tools the tests need.
inline std::optional<std::string> find_program(const std::string& name) {
  if (name.starts_with("/"))
    return std::filesystem::exists(name) ? std::optional(name) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return std::nullopt;
}

inline constexpr const char* k_d3_run = "20260601T000000Z-cloudedge-d3-4site-directed-matrix";

}  // namespace labctl::evidence::testing
