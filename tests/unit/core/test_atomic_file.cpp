#include "core/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

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

// Given inputs that are not bounded regular files, expect a refusal before any byte is read.
TEST_F(TempDirTest, ReadRefusesFifosDevicesDirectoriesAndOversizedFiles) {
  const auto fifo = tmp.path() / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::filesystem::path& path : {fifo, std::filesystem::path("/dev/zero"), tmp.path()}) {
    const auto text = read_file(path);  // a FIFO without a writer must not block
    ASSERT_FALSE(text) << path;
    EXPECT_EQ(text.error().code, ExitCode::usage);
    EXPECT_NE(text.error().message.find("not a regular file"), std::string::npos)
        << text.error().message;
  }
  const auto big = tmp.path() / "big.json";
  testing::write_text(big, std::string(2000, 'x'));
  const auto text = read_file(big, 1000);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("more than the limit of 1000"), std::string::npos);
  const auto whole = read_file(big, 2000);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->size(), 2000U);
}

std::size_t entries_in(const std::filesystem::path& dir) {
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  return entries;
}

// Given a symlink, a FIFO, a directory or a device where the file should go, expect a refusal
// (exit 4), the thing itself untouched (a link still a link, its target unchanged), and no
// temporary file left.
TEST_F(TempDirTest, WriteNeverReplacesANonRegularFile) {
  const auto target = tmp.path() / "target";
  testing::write_text(target, "precious");
  const auto link = tmp.path() / "link.json";
  std::filesystem::create_symlink(target, link);
  const auto dangling = tmp.path() / "dangling.json";
  std::filesystem::create_symlink(tmp.path() / "missing", dangling);
  const auto fifo = tmp.path() / "fifo.json";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto dir = tmp.path() / "dir.json";
  std::filesystem::create_directory(dir);
  for (const auto& path : {link, dangling, fifo, dir}) {
    const auto written = write_file_atomic(path, "overwritten");
    ASSERT_FALSE(written) << path;
    EXPECT_EQ(written.error().code, ExitCode::refused);
    EXPECT_NE(written.error().message.find("only replaces regular files"), std::string::npos)
        << written.error().message;
  }
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_TRUE(std::filesystem::is_symlink(dangling));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "missing"));
  EXPECT_EQ(testing::read_text(target), "precious");
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  EXPECT_EQ(entries_in(tmp.path()), 5u) << "no temporary file may be left";

  const auto device = write_file_atomic("/dev/null", "x");
  ASSERT_FALSE(device);
  EXPECT_NE(device.error().message.find("a character device"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}

TEST(ReadStream, RefusesMoreThanTheLimit) {
  std::istringstream small("{}");
  ASSERT_TRUE(read_stream(small, "stdin", 10));
  std::istringstream large(std::string(100, 'x'));
  const auto text = read_stream(large, "stdin", 10);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "stdin: more than the limit of 10 bytes");
}

}  // namespace
}  // namespace labctl
