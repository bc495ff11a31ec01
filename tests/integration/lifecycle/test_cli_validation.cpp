#include "tests/support/labctl_fixture.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

namespace labctl::testing {
namespace {

struct Case {
  std::vector<std::string> args;
  int code;
  std::string message;  // a fragment of stderr
};

class CliValidation : public LifecycleTest, public ::testing::WithParamInterface<Case> {};

// Given bad input, expect the named exit code, the message, and nothing written to state.
TEST_P(CliValidation, RejectsWithMessageAndCode) {
  const auto& c = GetParam();
  const auto out = labctl(c.args);
  EXPECT_EQ(out.code, c.code) << out.err;
  EXPECT_NE(out.err.find(c.message), std::string::npos) << "stderr: " << out.err;
  EXPECT_EQ(out.out, "") << "stdout must stay clean on errors";
  EXPECT_FALSE(std::filesystem::exists(state_dir / "state.db"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, CliValidation,
    ::testing::Values(
        Case{{"up"}, 2, "--profile"},
        Case{{"up", "--profile"}, 2, "--profile"},
        Case{{"up", "--profile", "fulll"}, 2, "unknown profile: fulll (did you mean \"full\"?)"},
        Case{{"up", "--profile", "full", "--provider", "aws,asw"}, 2,
             "unknown provider: asw (did you mean \"aws\"?)"},
        Case{{"up", "--profile", "full", "--provider", " , "}, 2, "no providers"},
        Case{{"up", "--profile", "full", "--provider-order", "unknown"}, 2,
             "unknown provider order: unknown"},
        Case{{"up", "--profile", "full", "--ttl", "0"}, 2, "positive duration"},
        Case{{"up", "--profile", "full", "--ttl", "4x"}, 2, "bad duration: '4x'"},
        Case{{"up", "--profile", "full", "--ttl", "-1h"}, 2, "negative"},
        Case{{"up", "--profile", "full", "--ttl", "99999999999999999999"}, 2, "too large"},
        Case{{"up", "--profile", "full", "--ttl", "25h"}, 4, "budget ceiling CE_TTL_MAX=24h"},
        Case{{"up", "--profile", "full", "--bogus"}, 2, "--bogus"},
        Case{{"frobnicate"}, 2, "frobnicate"},
        Case{{}, 2, "no command given"},
        Case{{"down"}, 2, "down: provide --run-id <id>, or --expired, or --force"},
        Case{{"failover", "--provider", "aws"}, 2, "failover: --fault is required"},
        Case{{"failover", "--provider", "aws", "--fault", "drain", "--restore",
              "--restore-after", "5"},
             2, "not both"},
        Case{{"failover", "--provider", "aws", "--fault", "drain", "--measure",
              "--restore-after", "5"},
             2, "do not combine with --measure"},
        Case{{"failover", "--provider", "aws", "--fault", "executor-fail", "--restore"}, 2,
             "has nothing to restore"},
        Case{{"failover", "--provider", "aws", "--fault", "drain", "--restore-after", "-1"}, 2,
             "--restore-after"},
        Case{{"failover", "--provider", "aws", "--fault", "stop-activ"}, 2,
             "unknown fault: stop-activ (did you mean \"stop-active\"?)"},
        Case{{"deploy"}, 2, "deploy: one of --build <path> or --commit <ref> is required"},
        Case{{"deploy", "--build", "/nonexistent/x.tar"}, 2, "deploy: --build path not found"},
        Case{{"runs", "show", "20260101T000000Z-cloudedge-none"}, 2, "runs show: no run"},
        Case{{"action", "import", "/nonexistent/plan.json"}, 2,
             "action import: cannot read /nonexistent/plan.json"},
        Case{{"action", "import", "/proc/version"}, 2,
             "not valid JSON"},
        Case{{"--log-format", "xml", "version"}, 2, "--log-format"},
        // Every run id from outside goes through one check (labctl/run_id).
        Case{{"down", "--run-id", ""}, 2, "--run-id: \"\" is not a run id"},
        Case{{"down", "--run-id", "../../etc"}, 2, "--run-id: \"../../etc\" is not a run id"},
        Case{{"down", "--run-id", "20260101T000000Z-cloudedge-a\nb"}, 2,
             "--run-id: \"20260101T000000Z-cloudedge-a\\nb\" is not a run id"},
        Case{{"down", "--run-id", "20260101T000000Z-cloudedge-" + std::string(300, 'a')}, 2,
             "is not a run id"},
        Case{{"smoke", "--run-id", ""}, 2, "--run-id"},
        Case{{"failover", "--provider", "aws", "--fault", "stop-active", "--run-id", "x"}, 2,
             "--run-id"},
        Case{{"deploy", "--build", "/nonexistent/x.tar", "--run-id", ""}, 2, "--run-id"},
        Case{{"evidence", "collect", "--out", "ev", "--run-id", ""}, 2, "--run-id"},
        Case{{"action", "list", "--run-id", "\x1b[31m"}, 2, "--run-id: \"\\x1b[31m\""},
        Case{{"action", "import", "plan.json", "--run-id", ""}, 2, "--run-id"},
        Case{{"preflight", "--eni", "eni-1", "--address", "10.0.0.1", "--run-id", ""}, 2,
             "--run-id"},
        Case{{"iam-policy", "--executor", "--run-id", ""}, 2, "--run-id"},
        Case{{"runs", "show", ""}, 2, "is not a run id"},
        // Flags that reach tags or state rows are bounded and printable.
        Case{{"up", "--profile", "full", "--scenario", std::string(30000, 's')}, 2,
             "--scenario: 30000 bytes; the limit is 128"},
        Case{{"action", "approve", "k", "--by", "alice\n[00:00:00Z] approved"}, 2,
             "--by: \"alice\\n"},
        Case{{"deploy", "--commit", std::string(300, 'c')}, 2, "--commit"},
        // Profiles: bounded, regular files only.
        Case{{"up", "--profile", "/dev/zero"}, 2, "not a regular file"}));

// Runs `labctl ARGS > /dev/full` through a shell: stdout is a device whose writes fail.
CommandOutput to_full_disk(const std::map<std::string, std::string>& env,
                           const std::filesystem::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$@\" >/dev/full", "sh", LABCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env, dir);
}

class OutputAndEnvironment : public LifecycleTest {};

// Given stdout on a full disk, expect every command that prints to exit non-zero and say so on
// stderr, instead of exit 0 with its answer lost.
TEST_F(OutputAndEnvironment, FailedStdoutIsAnError) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"version"}, {"--version"}, {"runs", "list"}, {"runs", "list", "--json"},
           {"iam-policy", "--profile", "provider"}, {"up", "--profile", profile_path.string()}}) {
    const auto out = to_full_disk(base_env(), tmp.path(), args);
    EXPECT_NE(out.code, 0) << args.front();
    EXPECT_NE(out.err.find("labctl: error: cannot write the output to stdout"), std::string::npos)
        << args.front() << ": " << out.err;
  }
}

// Given CE_LOG_FORMAT that names no format, expect exit 2 naming the variable (it used to be
// ignored); valid values still work, and the flag still wins.
TEST_F(OutputAndEnvironment, LogFormatVariableIsValidated) {
  for (const std::string bad : {"xml", "JSON ", "\x1b[2J"}) {
    const auto out = labctl({"version"}, {{"CE_LOG_FORMAT", bad}});
    EXPECT_EQ(out.code, 2) << bad;
    EXPECT_NE(out.err.find("CE_LOG_FORMAT: unknown log format"), std::string::npos) << out.err;
    EXPECT_EQ(out.err.find('\x1b'), std::string::npos);
    EXPECT_EQ(out.out, "");
  }
  const auto json = labctl({"runs", "show", "20260101T000000Z-cloudedge-none"},
                           {{"CE_LOG_FORMAT", "json"}});
  EXPECT_EQ(json.code, 2);
  EXPECT_EQ(json.err.rfind("{", 0), 0u) << json.err;
  EXPECT_EQ(labctl({"version"}, {{"CE_LOG_FORMAT", "human"}}).code, 0);
}

// Given CE_OWNER, $USER or CE_PURPOSE that cannot be a tag value, expect exit 2 naming the
// variable before anything is recorded.
TEST_F(OutputAndEnvironment, TagVariablesAreValidated) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases{
      {{{"CE_OWNER", "alice\nbob"}}, "CE_OWNER: \"alice\\nbob\" holds control characters"},
      {{{"CE_OWNER", std::string(300, 'o')}}, "CE_OWNER: "},
      {{{"CE_OWNER", "\xff\xfe"}}, "CE_OWNER: \"\xef\xbf\xbd\xef\xbf\xbd\" is not valid UTF-8"},
      {{{"CE_OWNER", "\x01unset"}, {"USER", "\x1b[31mroot"}}, "USER: "},
      {{{"CE_PURPOSE", "p\x7f"}}, "CE_PURPOSE: "},
  };
  for (const auto& [env, message] : cases) {
    const auto out = labctl({"up", "--profile", profile_path.string()}, env);
    EXPECT_EQ(out.code, 2) << message;
    EXPECT_NE(out.err.find(message), std::string::npos) << out.err;
    EXPECT_EQ(out.out, "");
    EXPECT_FALSE(std::filesystem::exists(state_dir / "state.db"));
  }
  const auto plain = labctl({"up", "--profile", profile_path.string()},
                            {{"CE_OWNER", "équipe-réseau"}, {"CE_PURPOSE", "soak test"}});
  EXPECT_EQ(plain.code, 0) << plain.err;
}

// Given a profile file named with a newline and an escape sequence, expect `runs list` to print
// one row per run (the name escaped), and no raw escape in `runs show` either.
TEST_F(OutputAndEnvironment, TableCellsCannotForgeRows) {
  const auto hostile = tmp.path() / "lab\n20990101T000000Z-cloudedge-forged  up\x1b[31m.yaml";
  std::filesystem::copy_file(profile_path, hostile);
  const auto up = labctl({"up", "--profile", hostile.string()});
  ASSERT_EQ(up.code, 0) << up.err;
  const auto list = labctl({"runs", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 2) << list.out;
  EXPECT_EQ(list.out.find('\x1b'), std::string::npos);
  EXPECT_NE(list.out.find("lab\\n20990101T000000Z"), std::string::npos) << list.out;
  const auto run_id = up.out.substr(0, up.out.find('\n'));
  const auto show = labctl({"runs", "show", run_id});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(show.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(show.out.find("\n20990101T000000Z-cloudedge-forged"), std::string::npos);
}

// Given profiles a careless or hostile user writes, expect exit 2 with file:line, at the binary.
TEST_F(OutputAndEnvironment, ProfileDefectsAreUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"name: a\nname: b\nsites: [{name: s, provider: testfs}]\n", ":2: duplicate key \"name\""},
      {"name: a\nproviders: [testfs]\n", ":1: profile: missing key \"sites\""},
      {"name: a\nsites: [{name: s, provider: testfs, logical_address: 999.1.2.3}]\n",
       ":2: logical_address \"999.1.2.3\""},
      {"name: a\nsites: [{name: s, provider: testfs}]\naws: {operator_cidr: banana}\n",
       ":3: operator_cidr \"banana\""},
      {"name: a\nsites: [{name: s, provider: testfs}]\n---\nname: b\n", ":3: a second YAML document"},
      {"name: a\nproviders: [testfs, testfs]\nsites: [{name: s, provider: testfs}]\n",
       ":2: providers lists \"testfs\" twice"},
  };
  for (const auto& [yaml, message] : cases) {
    write_text(profile_path, yaml);
    const auto out = labctl({"up", "--profile", profile_path.string()});
    EXPECT_EQ(out.code, 2) << yaml;
    EXPECT_NE(out.err.find(profile_path.string() + message), std::string::npos) << out.err;
    EXPECT_FALSE(std::filesystem::exists(state_dir / "state.db"));
  }
}

// Given a FIFO as the profile (no writer), expect a refusal at once instead of a hang.
TEST_F(OutputAndEnvironment, FifoProfileDoesNotBlock) {
  const auto fifo = tmp.path() / "lab.fifo.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto started = std::chrono::steady_clock::now();
  const auto out = labctl({"up", "--profile", fifo.string()});
  EXPECT_EQ(out.code, 2);
  EXPECT_NE(out.err.find("not a regular file"), std::string::npos) << out.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Given a state directory that already exists with mode 0755, expect `up` to use it and leave
// its mode alone (it used to chmod it 0700).
TEST_F(OutputAndEnvironment, ExistingStateDirectoryIsNotChmodded) {
  std::filesystem::create_directory(state_dir);
  ASSERT_EQ(chmod(state_dir.c_str(), 0755), 0);
  const auto up = labctl({"up", "--profile", profile_path.string()});
  EXPECT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(mode_of(state_dir), 0755u);
  EXPECT_EQ(mode_of(state_dir / "state.db"), 0600u);
}

// Given CE_STATE_DIR as a symlink, state.db as a symlink (live or dangling) or a directory
// others may write to, expect exit 4 and nothing written through the link.
TEST_F(OutputAndEnvironment, StateIsNeverReachedThroughALink) {
  const auto real = tmp.path() / "real";
  std::filesystem::create_directory(real);
  ASSERT_EQ(chmod(real.c_str(), 0700), 0);
  const auto linked_dir = tmp.path() / "linked";
  std::filesystem::create_directory_symlink(real, linked_dir);
  const auto target = tmp.path() / "precious";
  write_text(target, "precious");
  const auto db_link = tmp.path() / "db-link";
  std::filesystem::create_directory(db_link);
  ASSERT_EQ(chmod(db_link.c_str(), 0700), 0);
  std::filesystem::create_symlink(target, db_link / "state.db");
  const auto dangling = tmp.path() / "dangling";
  std::filesystem::create_directory(dangling);
  ASSERT_EQ(chmod(dangling.c_str(), 0700), 0);
  std::filesystem::create_symlink(tmp.path() / "planted", dangling / "state.db");
  const auto shared = tmp.path() / "shared";
  std::filesystem::create_directory(shared);
  ASSERT_EQ(chmod(shared.c_str(), 0777), 0);
  for (const auto& dir : {linked_dir, db_link, dangling, shared}) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"up", "--profile", profile_path.string()}, {"runs", "list"}}) {
      const auto out = labctl(args, {{"CE_STATE_DIR", dir.string()}});
      if (dir == dangling || dir == db_link || args.front() == "up") {
        EXPECT_EQ(out.code, 4) << dir << " " << args.front() << ": " << out.err;
        EXPECT_EQ(out.out, "");
      }
    }
  }
  EXPECT_EQ(read_text(target), "precious");
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "planted"));
  EXPECT_FALSE(std::filesystem::exists(real / "state.db"));
  EXPECT_EQ(mode_of(real), 0700u);
  EXPECT_EQ(mode_of(shared), 0777u);
}

TEST_F(LifecycleTest, TtlCeilingIsConfigurableAndValidated) {
  const auto raised = labctl({"up", "--profile", "full", "--ttl", "25h"}, {{"CE_TTL_MAX", "48h"}});
  EXPECT_EQ(raised.code, 0) << raised.err;
  const auto bad = labctl({"up", "--profile", "full"}, {{"CE_TTL_MAX", "lots"}});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("CE_TTL_MAX"), std::string::npos) << bad.err;
}

TEST_F(LifecycleTest, VersionFormsAndHelpForEveryCommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"version"}, {"--version"}, {"-V"}}) {
    const auto out = labctl(args);
    EXPECT_EQ(out.code, 0);
    EXPECT_EQ(out.out.rfind("labctl/", 0), 0u) << out.out;
  }
  for (const std::string command :
       {"up", "deploy", "smoke", "failover", "evidence", "down", "runs", "version", "help"}) {
    const auto out = labctl({command, "--help"});
    EXPECT_EQ(out.code, 0) << command << ": " << out.err;
    EXPECT_NE(out.out.find(command), std::string::npos) << command;
  }
  const auto help = labctl({"help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("up"), std::string::npos);
}

}  // namespace
}  // namespace labctl::testing
