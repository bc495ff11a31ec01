// Usage errors, refusals, invalid assemblies, hostile strings and secrets, through the binary.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/integration/evidence/cli_fixture.hpp"

namespace labctl::evidence::testing {
namespace {

using labctl::testing::read_text;
using nlohmann::json;

TEST_F(EvidenceCli, EvidenceWithoutCollectIsAUsageError) {
  const auto r = labctl({"evidence"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("evidence: expected subcommand 'collect'"), std::string::npos) << r.err;
}

TEST_F(EvidenceCli, MissingOutIsAUsageError) {
  const auto r = labctl({"evidence", "collect", "--commit", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("evidence collect: --out is required"), std::string::npos) << r.err;
}

// Given a truncated matrix file, expect exit 2 naming the flag and file, and no bundle.
TEST_F(EvidenceCli, MalformedInputNamesTheFile) {
  const auto path = tmp.path() / "inputs" / "broken.json";
  labctl::testing::write_text(path, "{\"flows\": [ {\"src\": \"aws\"");
  const auto r = collect("E", {"--commit", "x", "--matrix-json", path.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--matrix-json " + path.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_FALSE(std::filesystem::exists(bundle("E")));
}

TEST_F(EvidenceCli, HostileRunIdIsRejected) {
  for (const std::string bad :
       {"20260601T000000Z-cloudedge-x\"y", "20260601T000000Z-cloudedge-a\\b",
        "20260601T000000Z-cloudedge-a\nb", "20260601T000000Z-cloudedge-\u00e9", "../../etc"}) {
    const auto r = collect("E", {"--commit", "x", "--run-id", bad});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("--run-id"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(bundle("E") / "result.json"));
  }
}

// Given quotes, backslashes, newlines and non-ASCII in scenario and commit, expect them stored
// exactly (valid JSON) and escaped in the human views.
TEST_F(EvidenceCli, HostileScenarioAndCommitRoundTrip) {
  const std::string scenario = "s\"q\\b\nline2 \u00e9\u2603 <b>&amp;";
  const std::string commit = "c\",\"result\":\"pass\"}\t\u0001";
  const auto r = collect("E", {"--scenario", scenario, "--commit", commit, "--matrix-json",
                               input("m.json", make_matrix(k_four_sites))});
  ASSERT_EQ(r.code, 0) << r.err;  // unknown scenario: the original rule, the matrix passes
  const json result = result_of("E");
  EXPECT_EQ(result["scenario"], scenario);
  EXPECT_EQ(result["commit"], commit);
  const std::string html = read_text(bundle("E") / "report.html");
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;amp;"), std::string::npos);
  const std::string md = read_text(bundle("E") / "summary.md");
  EXPECT_EQ(md.find("\nline2"), std::string::npos) << "the newline must not start a Markdown line";
}

// Runs `labctl evidence collect --commit x ARGS...` with `cwd` as working directory, so a
// relative --out is resolved as a user's shell would.
labctl::testing::CommandOutput collect_in(const std::filesystem::path& cwd,
                                          const std::filesystem::path& state,
                                          const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh",
                                cwd.string(), LABCTL_BIN, "evidence", "collect", "--commit", "x"};
  argv.insert(argv.end(), args.begin(), args.end());
  return labctl::testing::run_command(
      argv, {{"CE_STATE_DIR", state.string()}, {"CE_ACCEPTANCE_SCENARIOS", "\x01unset"}}, cwd);
}

std::size_t entries_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// Given --out ../../etc from a working directory two levels down, where etc is a non-empty
// directory labctl did not create, expect a refusal (exit 4) and not one byte written there;
// the same for an absolute path to a non-empty directory.
TEST_F(EvidenceCli, OutIntoAForeignNonEmptyDirectoryIsRefused) {
  const auto work = tmp.path() / "work";
  const auto etc = work / "etc";
  labctl::testing::write_text(etc / "passwd", "root:x:0:0\n");
  std::filesystem::create_directories(work / "a" / "b");
  const auto relative = collect_in(work / "a" / "b", tmp.path() / "state", {"--out", "../../etc"});
  EXPECT_EQ(relative.code, 4) << relative.err;
  EXPECT_NE(relative.err.find("refusing --out ../../etc: the directory is not empty"),
            std::string::npos)
      << relative.err;
  EXPECT_TRUE(relative.out.empty());
  EXPECT_EQ(entries_in(etc), 1u);
  EXPECT_EQ(read_text(etc / "passwd"), "root:x:0:0\n");

  // A result.json of the user's own is no bundle either: it stays, with the other file.
  labctl::testing::write_text(bundle("home") / "result.json", "mine");
  labctl::testing::write_text(bundle("home") / "notes.txt", "notes");
  const auto absolute = collect("home", {"--commit", "x"});
  EXPECT_EQ(absolute.code, 4) << absolute.err;
  EXPECT_EQ(read_text(bundle("home") / "result.json"), "mine");
  EXPECT_EQ(entries_in(bundle("home")), 2u);
}

// Given --out naming a character device, a FIFO, a regular file or a symlink to an empty
// directory, expect a refusal (exit 4) with each left exactly as it was.
TEST_F(EvidenceCli, OutNeverReplacesANonDirectory) {
  const auto fifo = bundle("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  labctl::testing::write_text(bundle("file"), "keep");
  std::filesystem::create_directory(bundle("empty"));
  std::filesystem::create_directory_symlink(bundle("empty"), bundle("link"));
  for (const std::filesystem::path& out :
       {std::filesystem::path("/dev/null"), fifo, bundle("file"), bundle("link")}) {
    const auto r = labctl({"evidence", "collect", "--commit", "x", "--out", out.string()});
    EXPECT_EQ(r.code, 4) << out << ": " << r.err;
    EXPECT_NE(r.err.find("refusing --out"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  EXPECT_EQ(read_text(bundle("file")), "keep");
  EXPECT_TRUE(std::filesystem::is_symlink(bundle("link")));
  EXPECT_EQ(entries_in(bundle("empty")), 0u);
}

// Given an empty directory, then the same directory holding that bundle, expect both collects to
// write; a file of the bundle replaced by a symlink is refused, its target untouched.
TEST_F(EvidenceCli, OutReusesAnEmptyDirectoryOrAnEarlierBundle) {
  std::filesystem::create_directory(bundle("E"));
  const auto first = collect("E", {"--commit", "x"});
  EXPECT_EQ(first.code, 1) << first.err;  // no matrix: an honest fail, but a bundle
  ASSERT_TRUE(std::filesystem::exists(bundle("E") / "MANIFEST.sha256"));
  const auto second = collect("E", {"--commit", "y"});
  EXPECT_EQ(second.code, 1) << second.err;
  EXPECT_EQ(result_of("E")["commit"], "y");

  labctl::testing::write_text(tmp.path() / "target", "precious");
  std::filesystem::remove(bundle("E") / "summary.md");
  std::filesystem::create_symlink(tmp.path() / "target", bundle("E") / "summary.md");
  const auto linked = collect("E", {"--commit", "z"});
  EXPECT_EQ(linked.code, 4) << linked.err;
  EXPECT_EQ(read_text(tmp.path() / "target"), "precious");
}

// Given d5 evidence with the fencing assertions na, expect it recorded as fail without --result,
// and an explicit --result pass refused (exit 4) with no result.json left behind.
TEST_F(EvidenceCli, ExplicitPassIsRefusedWhenExpectationsFail) {
  std::vector<std::string> args{
      "--run-id",      "20260601T000004Z-cloudedge-d5-aws-maintenance-drain-migration",
      "--commit",      "offline",
      "--matrix-json", input("m.json", make_matrix(k_four_sites)),
      "--timing-json", input("t.json", passing_timing())};
  const auto honest = collect("E", args);
  EXPECT_EQ(honest.code, 1);
  EXPECT_EQ(result_of("E")["result"], "fail");
  EXPECT_EQ(assertion(result_of("E"), "failover_recovery_under_60s")["result"], "pass");

  args.insert(args.end(), {"--result", "pass"});
  const auto refused = collect("E", args);
  EXPECT_EQ(refused.code, 4);
  EXPECT_NE(refused.err.find("--result pass refused"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("stale_action_fenced"), std::string::npos);
  EXPECT_TRUE(refused.out.empty());
  EXPECT_FALSE(std::filesystem::exists(bundle("E") / "result.json"));
}

// Given a timing file with two schema violations, expect exit 1, both errors on stderr, and no
// result.json (an earlier bundle's is removed).
TEST_F(EvidenceCli, InvalidAssemblyPrintsEveryErrorAndWritesNothing) {
  ASSERT_EQ(collect("E", {"--commit", "x"}).code, 1);
  ASSERT_TRUE(std::filesystem::exists(bundle("E") / "result.json"));
  const auto r = collect(
      "E",
      {"--commit", "x", "--timing-json",
       input("t.json", {{"status", "soon"}, {"thresholdSeconds", -5}, {"events", json::array()}})});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/timings/status"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/timings/thresholdSeconds"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failed validation"), std::string::npos);
  EXPECT_TRUE(r.out.empty());
  EXPECT_FALSE(std::filesystem::exists(bundle("E") / "result.json"));
}

// Given cloud credentials in the environment, expect none of them in any bundle file.
TEST_F(EvidenceCli, CanaryCredentialsNeverReachTheBundle) {
  const std::map<std::string, std::string> canaries{
      {"AWS_ACCESS_KEY_ID", "AKIACANARY0000000001"},
      {"AWS_SECRET_ACCESS_KEY", "canary-secret-2f7d1c9e8b"},
      {"AWS_SESSION_TOKEN", "canary-token-77aa55"},
      {"ARM_CLIENT_SECRET", "canary-azure-5150"}};
  const auto r =
      collect("E",
              {"--commit", "offline", "--matrix-json", input("m.json", make_matrix(k_four_sites)),
               "--timing-json", input("t.json", passing_timing()), "--protocol-json",
               input("p.json", passing_protocol()), "--l2-loop-json", input("l.json", passing_l2()),
               "--provider-state-json", input("s.json", {{"aws", "pass"}})},
              canaries);
  ASSERT_EQ(r.code, 0) << r.err;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(bundle("E"))) {
    const std::string text = read_text(entry.path());
    ++files;
    for (const auto& [name, value] : canaries) {
      EXPECT_EQ(text.find(value), std::string::npos) << name << " in " << entry.path();
    }
  }
  EXPECT_EQ(files, 10u);  // 5 input copies + result, summary, report, timeline, manifest
  for (const auto& [name, value] : canaries) EXPECT_EQ(r.err.find(value), std::string::npos);
}

}  // namespace
}  // namespace labctl::evidence::testing
