#include "core/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "tests/support/temp_dir.hpp"

namespace labctl::log {
namespace {

using labctl::testing::TempDirTest;

// Runs `emit_lines` with stderr sent to a file and returns what it wrote.
template <class Emit>
std::string captured_stderr(const std::filesystem::path& file, Emit emit_lines) {
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  FILE* sink = std::fopen(file.c_str(), "w");
  ::dup2(::fileno(sink), STDERR_FILENO);
  emit_lines();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(sink);
  return labctl::testing::read_text(file);
}

// Given outside text with an escape sequence, a carriage return, ill-formed UTF-8 and a line
// break, expect a human line with the controls escaped and the line break kept.
TEST_F(TempDirTest, HumanLinesEscapeControlsAndKeepLineBreaks) {
  set_format(Format::human);
  const std::string out = captured_stderr(tmp.path() / "err", [] {
    error("test", "aws said: \x1b[31mred\r\xff\xfe\nsecond line\tend");
  });
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("aws said: \\x1b[31mred\\r\xef\xbf\xbd\xef\xbf\xbd\nsecond line\\tend\n"),
            std::string::npos)
      << out;
}

// Given ill-formed UTF-8 in the message and in a field, expect one valid NDJSON line (the
// default dump would throw type_error.316 here).
TEST_F(TempDirTest, JsonEventsNeverThrowOnIllFormedText) {
  set_format(Format::json);
  const std::string out = captured_stderr(tmp.path() / "err", [] {
    EXPECT_NO_THROW(warn("test", "bad \xff", {{"detail", "\xc3\x28"}, {"n", 1}}));
  });
  set_format(Format::human);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  const auto event = nlohmann::json::parse(out);
  EXPECT_EQ(event["msg"], "bad \xef\xbf\xbd");
  EXPECT_EQ(event["detail"], "\xef\xbf\xbd(");
  EXPECT_EQ(event["n"], 1);
}

}  // namespace
}  // namespace labctl::log
