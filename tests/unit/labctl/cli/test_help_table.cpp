// tests labctl/cli/help_table.hpp: the env table against the product source and the CLI tree.
#include "labctl/cli/help_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "labctl/cli/commands.hpp"

namespace labctl::cli {
namespace {

namespace fs = std::filesystem;

// The product folders (ARCHITECTURE.md "Layers"); tests, fuzz and bench read their own variables.
constexpr const char* k_product_dirs[] = {"core",     "ssh",      "providers", "matrix", "evidence",
                                          "deploy",   "executor", "faults",    "labctl"};

// String literals in the product that look like variable names but are not read from the
// environment, each with its reason.
const std::set<std::string> k_not_env = {
    "RUN_ID",      // labctl/cli/checks.cpp: the CLI11 type name of a run-id value
    "CIDR_BLOCK",  // providers/oci/oci_plan.cpp: an OCI rule's source/destination type
};

// The variable names `source` reads, as the table spells them. Every read in labctl goes through
// a name held in a string literal (getenv, env::get/get_or/whole_number, an EnvLookup, a list of
// names tried in turn), so the scan takes every all-caps literal with an underscore, and any
// all-caps literal passed first to a read (get_or("HOME", ...)); a name built
// around a site ("CE_" + key + "_CLIENT_SSH_HOST", key + "_CLIENT_SSH_HOST") becomes the pattern
// with <SITE>.
std::set<std::string> env_names_in(const std::string& source) {
  static const std::regex literal(R"re("([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])")re");
  static const std::regex around(R"re("([A-Z][A-Z0-9_]*_)"\s*\+\s*\w+\s*\+\s*"(_[A-Z0-9_]+)")re");
  static const std::regex after(R"re(\b\w+\s*\+\s*"(_[A-Z][A-Z0-9_]*)")re");
  // A name without an underscore (HOME) counts only as the first argument of a read.
  static const std::regex call(
      R"re(\b(?:getenv|get|get_or|env|m_env|from_env|first_set|whole_number)\((?:\s*\w+\s*,)?\s*\{?\s*"([A-Z][A-Z0-9_]*[A-Z0-9])")re");
  std::set<std::string> names;
  for (std::sregex_iterator it(source.begin(), source.end(), literal), end; it != end; ++it) {
    names.insert((*it)[1]);
  }
  for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) {
    names.insert((*it)[1]);
  }
  for (std::sregex_iterator it(source.begin(), source.end(), around), end; it != end; ++it) {
    names.insert((*it)[1].str() + "<SITE>" + (*it)[2].str());
  }
  for (std::sregex_iterator it(source.begin(), source.end(), after), end; it != end; ++it) {
    names.insert("<SITE>" + (*it)[1].str());
  }
  return names;
}

// name -> the first file reading it.
std::map<std::string, std::string> env_names_in_product() {
  std::map<std::string, std::string> names;
  const fs::path root = LABCTL_SOURCE_DIR;
  for (const char* dir : k_product_dirs) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      // The table itself names every variable.
      if (entry.path().filename().string().starts_with("help_table")) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      for (const auto& name : env_names_in(text.str())) {
        if (!k_not_env.contains(name)) names.emplace(name, fs::relative(entry.path(), root));
      }
    }
  }
  return names;
}

std::set<std::string> table_names() {
  std::set<std::string> names;
  for (const auto& var : env_table()) names.insert(std::string(var.name));
  return names;
}

// Given reads spelled the ways labctl spells them, expect the scan to find each one.
TEST(EnvScan, FindsLiteralsListsAndSitePatterns) {
  const auto names = env_names_in(R"(
    env::get_or("CE_NEW_KNOB", "");
    m_env("HOME"); from_env(env, {"PATH"}); log("WORD");
    for (const char* v : {"AWS_X_ONE", "AWS_X_TWO"}) {}
    first_set(env, {"CE_" + key + "_CLIENT_FOO", key + "_CLIENT_FOO"});
    log("CE_", "lower_case", "NOUNDERSCORE");
  )");
  EXPECT_EQ(names, (std::set<std::string>{"CE_NEW_KNOB", "HOME", "PATH", "AWS_X_ONE", "AWS_X_TWO",
                                          "CE_<SITE>_CLIENT_FOO", "<SITE>_CLIENT_FOO"}));
}

// Given the product source, expect every variable it reads to be documented in the table.
TEST(EnvTable, DocumentsEveryVariableTheProductReads) {
  const auto documented = table_names();
  const auto read = env_names_in_product();
  ASSERT_GT(read.size(), 20u) << "the scan found almost nothing: is LABCTL_SOURCE_DIR right?";
  for (const auto& [name, file] : read) {
    EXPECT_TRUE(documented.contains(name))
        << name << " (read in " << file << ") is missing from labctl/cli/help_table.cpp";
  }
}

// Given the table, expect each row to be read somewhere (no documentation of a dead variable).
TEST(EnvTable, NamesOnlyVariablesTheProductReads) {
  const auto read = env_names_in_product();
  for (const auto& name : table_names()) {
    EXPECT_TRUE(read.contains(name)) << name << " is in the table but nothing reads it";
  }
}

// Given the real command tree, expect every command a row names to exist (a typo in the table
// would document a variable for no command), and each row to be well formed.
TEST(EnvTable, NamesRealCommands) {
  CLI::App app;
  CommandResult result;
  register_commands(app, result, Seams::system());
  std::set<std::string> commands;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    commands.insert(sub->get_name());
  }
  std::set<std::string> seen;
  for (const auto& var : env_table()) {
    EXPECT_TRUE(seen.insert(std::string(var.name)).second) << var.name << " twice";
    EXPECT_FALSE(var.text.empty()) << var.name;
    if (var.commands == "*") continue;
    std::istringstream words{std::string(var.commands)};
    for (std::string word; words >> word;) {
      EXPECT_TRUE(commands.contains(word)) << var.name << ": no command " << word;
    }
  }
}

// Given the tree, expect describe() to carry each command's required flags and its variables.
TEST(Describe, CarriesRequiredFlagsAndEnvironment) {
  CLI::App app;
  CommandResult result;
  register_commands(app, result, Seams::system());
  const auto docs = describe(app);
  const auto up = std::ranges::find(docs, std::string("up"), &CommandDoc::path);
  ASSERT_NE(up, docs.end());
  const auto profile = std::ranges::find(up->options, std::string("--profile"), &OptionDoc::name);
  ASSERT_NE(profile, up->options.end());
  EXPECT_TRUE(profile->required);
  const auto smoke = std::ranges::find(docs, std::string("smoke"), &CommandDoc::path);
  ASSERT_NE(smoke, docs.end());
  std::set<std::string> env;
  for (const auto* var : smoke->env) env.insert(std::string(var->name));
  for (const char* name : {"MATRIX_RUNNER", "SSH_KEY_FILE", "CE_SSH_USER", "CE_MATRIX_PING_COUNT",
                           "CE_<SITE>_CLIENT_SSH_HOST", "CE_STATE_DIR"}) {
    EXPECT_TRUE(env.contains(name)) << name;
  }
  EXPECT_FALSE(env.contains("CE_TTL_MAX"));
  EXPECT_NE(std::ranges::find(docs, std::string("runs list"), &CommandDoc::path), docs.end());
}

}  // namespace
}  // namespace labctl::cli
