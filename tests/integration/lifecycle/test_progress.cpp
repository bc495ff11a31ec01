// Progress on stderr (issue #13): a live status line and colour on a terminal, plain lines for
// NO_COLOR, pipes and NDJSON, and a live `up`'s plan summary. The terminal is a pseudo-terminal
// in raw mode, so the bytes read are exactly the bytes labctl wrote (no "\n" -> "\r\n").
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "tests/support/labctl_fixture.hpp"

extern char** environ;

namespace labctl::testing {
namespace {

const std::map<std::string, std::string> k_live{{"CE_DRY_RUN", "0"}};

// Two sites whose every check passes, and a third whose ping always fails: 6 flows, 4 failed.
constexpr const char* k_runner = R"(#!/bin/sh
ip_of() { case "$1" in a) echo 198.18.0.1;; b) echo 198.18.0.2;; c) echo 198.18.0.3;; *) return 1;; esac; }
case "$1" in
  ping) [ "$2" = c ] && exit 1; [ "$3" = 198.18.0.3 ] && exit 1; exit 0;;
  ssh) ip=$(ip_of "$2") || exit 2; echo "peer_ip=$ip"; echo "default_gw=198.18.0.254";;
  *) exit 2;;
esac
)";

struct TerminalOutput {
  int code = -1;
  std::string bytes;  // stdout and stderr as the terminal received them
};

class ProgressTest : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    runner = tmp.path() / "runner";
    write_text(runner, k_runner);
    ::chmod(runner.c_str(), 0755);
  }

  std::map<std::string, std::string> smoke_env(std::map<std::string, std::string> extra) const {
    extra.emplace("MATRIX_RUNNER", runner.string());
    extra.emplace("CE_MATRIX_SITES", "a=198.18.0.1,b=198.18.0.2,c=198.18.0.3");
    extra.emplace("NO_COLOR", "\x01unset");
    return extra;
  }

  // Runs labctl with its stdout and stderr on a raw pseudo-terminal; 60 s limit.
  TerminalOutput on_terminal(const std::vector<std::string>& args,
                             std::map<std::string, std::string> extra = {}) const {
    auto env = base_env();
    for (auto& [k, v] : extra) env[k] = v;
    std::vector<std::string> entries;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      if (!env.contains(entry.substr(0, entry.find('=')))) entries.push_back(entry);
    }
    for (const auto& [k, v] : env) {
      if (v != "\x01unset") entries.push_back(k + "=" + v);
    }
    std::vector<std::string> argv{LABCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv, c_env;
    for (auto& a : argv) c_argv.push_back(a.data());
    for (auto& e : entries) c_env.push_back(e.data());
    c_argv.push_back(nullptr);
    c_env.push_back(nullptr);

    termios raw{};
    ::cfmakeraw(&raw);
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 100;
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, &raw, &size);
    if (pid == 0) {
      ::execve(c_argv[0], c_argv.data(), c_env.data());
      ::_exit(127);
    }
    TerminalOutput out;
    if (pid < 0) {
      ADD_FAILURE() << "forkpty: " << std::strerror(errno);
      return out;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd ready{master, POLLIN, 0};
      if (::poll(&ready, 1, 200) <= 0) continue;
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n > 0) {
        out.bytes.append(buffer, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // EIO: the child's side of the terminal is closed
      }
    }
    // The terminal closes as the child exits, a moment before it can be reaped.
    int status = 0;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(pid, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (reaped == 0) {
      ::kill(pid, SIGKILL);  // our own child, by pid
      ADD_FAILURE() << "labctl did not finish in 60 s:\n" << out.bytes;
      ::waitpid(pid, &status, 0);
    }
    ::close(master);
    out.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
  }

  std::filesystem::path runner;
};

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Given smoke on a terminal, expect the live line (a carriage return, then "smoke: flows N/M,
// K failed") redrawn as flows finish, and the red result line (flows failed, exit 1).
TEST_F(ProgressTest, SmokeOnATerminalShowsALiveLineAndColour) {
  const auto out = on_terminal({"smoke"}, smoke_env({}));
  EXPECT_EQ(out.code, 1) << out.bytes;
  EXPECT_TRUE(has(out.bytes, "\r\x1b[Ksmoke: flows 0/6, 0 failed")) << out.bytes;
  EXPECT_TRUE(has(out.bytes, "\r\x1b[Ksmoke: flows 6/6, 4 failed")) << out.bytes;
  EXPECT_TRUE(has(out.bytes, "\x1b[31m")) << out.bytes;
  EXPECT_TRUE(has(out.bytes, "\x1b[0m")) << out.bytes;
}

// Given NO_COLOR (even empty) on a terminal, or stderr on a pipe, expect plain lines: no escape
// code and no carriage return anywhere.
TEST_F(ProgressTest, NoColorAndPipesGetPlainLines) {
  for (const std::string value : {"1", ""}) {
    const auto out = on_terminal({"smoke"}, smoke_env({{"NO_COLOR", value}}));
    EXPECT_EQ(out.code, 1) << out.bytes;
    EXPECT_TRUE(has(out.bytes, "flow")) << out.bytes;
    EXPECT_FALSE(has(out.bytes, "\x1b")) << "NO_COLOR=" << value << ":\n" << out.bytes;
    EXPECT_FALSE(has(out.bytes, "\r")) << "NO_COLOR=" << value << ":\n" << out.bytes;
  }
  const auto piped = labctl({"smoke"}, smoke_env({}));
  EXPECT_EQ(piped.code, 1) << piped.err;
  EXPECT_FALSE(has(piped.err, "\x1b")) << piped.err;
  EXPECT_FALSE(has(piped.err, "\r")) << piped.err;
}

// Given NDJSON logs on a terminal, expect every stderr line to be a JSON event: no status line,
// no escape codes (stdout's one result line is JSON too).
TEST_F(ProgressTest, JsonLogsOnATerminalStayNdjson) {
  const auto out = on_terminal({"--log-format", "json", "smoke"}, smoke_env({}));
  EXPECT_EQ(out.code, 1) << out.bytes;
  EXPECT_FALSE(has(out.bytes, "\r")) << out.bytes;
  EXPECT_FALSE(has(out.bytes, "\x1b")) << out.bytes;
  std::istringstream lines(out.bytes);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  }
  EXPECT_GT(count, 6u);
}

// Given a live `up` and `down` on a terminal, expect their live lines and green result lines.
TEST_F(ProgressTest, UpAndDownOnATerminalShowResources) {
  auto live = k_live;
  live["NO_COLOR"] = "\x01unset";
  const auto up = on_terminal({"up", "--profile", profile_path.string()}, live);
  ASSERT_EQ(up.code, 0) << up.bytes;
  EXPECT_TRUE(has(up.bytes, "\r\x1b[Kup: resources 0/3 ready")) << up.bytes;
  EXPECT_TRUE(has(up.bytes, "\x1b[32m")) << up.bytes;
  const auto down = on_terminal({"down", "--force"}, live);
  ASSERT_EQ(down.code, 0) << down.bytes;
  EXPECT_TRUE(has(down.bytes, "\r\x1b[Kdown: resources 0/3 gone")) << down.bytes;
  EXPECT_TRUE(has(down.bytes, "\x1b[32m")) << down.bytes;
}

// Given a live `up`, expect the plan as one summary line per provider and none of its
// operations; with -v, and in a dry run, expect every operation.
TEST_F(ProgressTest, LiveUpPrintsThePlanSummaryAndTheFullPlanOnlyWithVerbose) {
  const auto summary = labctl({"up", "--profile", profile_path.string()}, k_live);
  ASSERT_EQ(summary.code, 0) << summary.err;
  EXPECT_TRUE(has(summary.err, "plan testfs: 3 operations: 3 file (the full plan: -v)"))
      << summary.err;
  EXPECT_FALSE(has(summary.err, "testfs #1 ")) << summary.err;

  const auto verbose = labctl({"-v", "up", "--profile", profile_path.string()}, k_live);
  ASSERT_EQ(verbose.code, 0) << verbose.err;
  EXPECT_TRUE(has(verbose.err, "testfs #3 ")) << verbose.err;
  EXPECT_FALSE(has(verbose.err, "plan testfs: 3 operations:")) << verbose.err;

  const auto dry = labctl({"up", "--profile", profile_path.string()});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_TRUE(has(dry.err, "[dry] would send testfs #3 ")) << dry.err;
}

}  // namespace
}  // namespace labctl::testing
