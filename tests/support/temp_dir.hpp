#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace labctl::testing {

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

// Fixture giving each test its own TempDir as `tmp`.
class TempDirTest : public ::testing::Test {
 protected:
  TempDir tmp;
};

// Writes `content` to `path`, creating parent directories.
void write_text(const std::filesystem::path& path, const std::string& content);
// Reads a whole file ("" if missing).
[[nodiscard]] std::string read_text(const std::filesystem::path& path);

}  // namespace labctl::testing
