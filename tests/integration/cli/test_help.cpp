// `labctl help`, `--help`, `labctl man` and `labctl completion`, at the binary.
#include <regex>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The first executable `name` on PATH, or empty.
fs::path on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

using HelpTest = LifecycleTest;

// Given every command the man page lists (the whole tree), expect `labctl CMD --help` and
// `labctl help CMD` to succeed with the same text, naming the command in its usage line.
TEST_F(HelpTest, EveryCommandHasHelpInBothForms) {
  const auto man = labctl({"man"});
  ASSERT_EQ(man.code, 0) << man.err;
  const std::regex heading(R"re(\.SS "labctl ([^"]+)")re");
  std::size_t commands = 0;
  for (std::sregex_iterator it(man.out.begin(), man.out.end(), heading), end; it != end; ++it) {
    std::string path = (*it)[1];
    path = std::regex_replace(path, std::regex(R"(\\-)"), "-");
    auto args = words(path);
    ++commands;
    auto flag_form = args;
    flag_form.push_back("--help");
    const auto by_flag = labctl(flag_form);
    args.insert(args.begin(), "help");
    const auto by_help = labctl(args);
    EXPECT_EQ(by_flag.code, 0) << path << ": " << by_flag.err;
    EXPECT_EQ(by_help.code, 0) << path << ": " << by_help.err;
    EXPECT_EQ(by_help.out, by_flag.out) << path;
    EXPECT_TRUE(contains(by_help.out, "Usage: labctl " + path)) << by_help.out;
  }
  EXPECT_GE(commands, 20u) << man.out;
}

// Given a mistyped command, expect exit 2 with a suggestion and the commands there are.
TEST_F(HelpTest, UnknownCommandIsUsageErrorWithSuggestion) {
  const auto typo = labctl({"help", "smok"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_TRUE(contains(typo.err, "did you mean \"smoke\"")) << typo.err;
  const auto sub = labctl({"help", "runs", "lst"});
  EXPECT_EQ(sub.code, 2);
  EXPECT_TRUE(contains(sub.err, "labctl runs has no command \"lst\"")) << sub.err;
  EXPECT_EQ(labctl({"completion", "tcsh"}).code, 2);
}

// Given `smoke --help`, expect the required marks and every variable smoke reads, by name.
TEST_F(HelpTest, HelpMarksRequiredFlagsAndListsEnvironment) {
  const auto up = labctl({"help", "up"});
  EXPECT_TRUE(std::regex_search(up.out, std::regex(R"(--profile\s+TEXT\s+REQUIRED)"))) << up.out;
  const auto smoke = labctl({"smoke", "--help"});
  for (const char* name : {"MATRIX_RUNNER", "SSH_KEY_FILE", "CE_SSH_USER", "CE_SSH_KNOWN_HOSTS",
                           "CE_MATRIX_PING_COUNT", "CE_MATRIX_PING_TIMEOUT",
                           "CE_<SITE>_CLIENT_SSH_HOST", "CE_MATRIX_SITES"}) {
    EXPECT_TRUE(contains(smoke.out, name)) << name << "\n" << smoke.out;
  }
  EXPECT_FALSE(contains(smoke.out, "CE_TTL_MAX")) << "up's variable in smoke's help";
}

// Given the man page, expect groff to render it with every warning on and none given.
TEST_F(HelpTest, ManPageRendersWithoutWarnings) {
  const auto groff = on_path("groff");
  if (groff.empty()) GTEST_SKIP() << "groff not installed";
  const auto man = labctl({"man"});
  ASSERT_EQ(man.code, 0);
  const auto page = tmp.path() / "labctl.1";
  write_text(page, man.out);
  const auto rendered = run_command(
      {groff, "-man", "-Tutf8", "-ww", "-P-c", "-P-b", "-P-o", "-P-u", page.string()}, {}, tmp.path());
  EXPECT_EQ(rendered.code, 0);
  EXPECT_EQ(rendered.err, "");
  for (const char* part : {"ENVIRONMENT", "CE_DRY_RUN", "labctl runs list", "EXIT STATUS"}) {
    EXPECT_TRUE(contains(rendered.out, part)) << part;
  }
}

// Given each completion script, expect the shell's parser to accept it (a shell not installed
// makes the test report skipped, which fails a run as root), and bash to complete
// `labctl runs <TAB>` and `labctl completion <TAB>`.
TEST_F(HelpTest, CompletionScriptsParseAndComplete) {
  std::vector<std::string> missing;
  for (const std::string shell : {"bash", "zsh", "fish"}) {
    const auto script = labctl({"completion", shell});
    ASSERT_EQ(script.code, 0) << script.err;
    const auto file = tmp.path() / ("labctl." + shell);
    write_text(file, script.out);
    const auto binary = on_path(shell);
    if (binary.empty()) {
      missing.push_back(shell);
      continue;
    }
    const auto parsed = run_command({binary, "-n", file.string()}, {}, tmp.path());
    EXPECT_EQ(parsed.code, 0) << shell << ": " << parsed.err;
  }
  const auto bash = on_path("bash");
  ASSERT_FALSE(bash.empty());
  const auto complete = [&](const std::string& line) {
    const std::string program = "source '" + (tmp.path() / "labctl.bash").string() +
                                "'; COMP_WORDS=(" + line + "); COMP_CWORD=$((${#COMP_WORDS[@]}-1));"
                                " _labctl; echo \"${COMPREPLY[*]}\"";
    return run_command({bash, "-c", program}, {}, tmp.path()).out;
  };
  EXPECT_EQ(complete("labctl runs ''"), "list show -h --help --help-all\n");
  EXPECT_EQ(complete("labctl completion ''"), "-h --help --help-all bash zsh fish\n");
  EXPECT_TRUE(contains(complete("labctl up --pro"), "--profile --provider --provider-order"));
  EXPECT_TRUE(contains(complete("labctl help sm"), "smoke"));
  if (!missing.empty()) {
    std::string names;
    for (const auto& name : missing) names += " " + name;
    GTEST_SKIP() << "not installed, parse not checked:" << names;
  }
}

}  // namespace
}  // namespace labctl::testing
