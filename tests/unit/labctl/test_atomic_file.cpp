#include "labctl/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

namespace labctl {
namespace {

using testing::TempDirTest;

TEST_F(TempDirTest, WritesWholeFileWithMode) {
  const auto path = tmp.path() / "out.json";
  ASSERT_TRUE(write_file_atomic(path, "{\"a\":1}\n", 0600));
  EXPECT_EQ(testing::read_text(path), "{\"a\":1}\n");
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(write_file_atomic(path, "new"));
  EXPECT_EQ(testing::read_text(path), "new");
  // No temporary file is left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(TempDirTest, MissingDirectoryIsAClearError) {
  const auto result = write_file_atomic(tmp.path() / "nope" / "out.json", "x");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("nope/out.json"), std::string::npos);
}

}  // namespace
}  // namespace labctl
