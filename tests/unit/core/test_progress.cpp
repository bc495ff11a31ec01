#include "core/progress.hpp"

#include <gtest/gtest.h>

namespace labctl::progress {
namespace {

using std::chrono::milliseconds;

TEST(ProgressStatusText, ShowsStepCountersAndElapsed) {
  EXPECT_EQ(status_text("smoke", "flows 3/12, 1 failed", milliseconds(4250)),
            "smoke: flows 3/12, 1 failed  4.2s");
  EXPECT_EQ(status_text("up", "resources 0/3 ready", milliseconds(0)), "up: resources 0/3 ready  0.0s");
  EXPECT_EQ(status_text("down", "resources 1/2 gone", milliseconds(65'000)),
            "down: resources 1/2 gone  1m05s");
}

// Given counters longer than the terminal row, expect them cut with "..." and the elapsed time
// kept, so a carriage return always reaches the start of the line.
TEST(ProgressStatusText, FitsTheWidthAndKeepsTheElapsedTime) {
  const std::string line = status_text("smoke", std::string(300, 'x'), milliseconds(1500), 40);
  EXPECT_EQ(line.size(), 40u);
  EXPECT_EQ(line.substr(line.size() - 11), "xx...  1.5s");
}

// Given text with control characters, expect them shown escaped: the status line must not move
// the cursor or recolour the terminal on behalf of its input.
TEST(ProgressStatusText, EscapesControlCharacters) {
  const std::string line = status_text("failover", "phase \x1b[2Jx\r", milliseconds(0));
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
}

// Given no terminal (the default until labctl::run says otherwise), expect a Status to draw
// nothing: its counters are never even asked for.
TEST(ProgressStatus, DoesNothingWithoutATerminal) {
  set_terminal({});
  EXPECT_FALSE(live());
  Status status("smoke", []() -> std::string {
    ADD_FAILURE() << "rendered without a terminal";
    return "";
  });
  status.refresh();
}

// Given NO_COLOR, expect no live line even on a terminal.
TEST(ProgressStatus, NoColorTurnsTheLiveLineOff) {
  set_terminal({.tty = true, .no_color = true});
  EXPECT_FALSE(live());
  set_terminal({.tty = true, .no_color = false});
  EXPECT_TRUE(live());
  set_terminal({});
}

}  // namespace
}  // namespace labctl::progress
