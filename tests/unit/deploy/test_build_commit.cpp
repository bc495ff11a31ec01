#include <gtest/gtest.h>

#include "deploy/deploy.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::deploy {
namespace {

namespace fs = std::filesystem;

class BuildCommit : public testing::TempDirTest {
 protected:
  void SetUp() override {
    repo = tmp.path() / "repo";
    fs::create_directories(repo);
    testing::write_text(repo / "VERSION", "committed\n");
    git({"init", "-q"});
    git({"add", "VERSION"});
    git({"-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "v1"});
    testing::write_text(repo / "VERSION", "dirty\n");
    settings.build_command = "mkdir -p out && cp VERSION out/app.txt";
    settings.artifact = "out/app.txt";
  }

  void git(std::vector<std::string> args) const {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    auto result = runner->run({args, std::nullopt, std::chrono::seconds(30), {}, {}, false});
    ASSERT_TRUE(result && result->exit_code == 0)
        << (result ? result->err : result.error().message);
  }

  std::shared_ptr<ProcessRunner> runner = system_process_runner();
  fs::path repo;
  profile::DeploySettings settings;
};

// Given a commit and a dirty work tree, expect the artifact built from the commit, and the
// worktree and its folder gone once released.
TEST_F(BuildCommit, BuildsTheCommitInATemporaryWorktree) {
  auto built = build_commit(*runner, repo, "HEAD", settings);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_EQ(testing::read_text(built->artifact), "committed\n");
  const fs::path folder = built->worktree->dir().parent_path();
  built->worktree.reset();
  EXPECT_FALSE(fs::exists(folder));
  auto list = runner->run({{"git", "-C", repo.string(), "worktree", "list"},
                           std::nullopt,
                           std::chrono::seconds(30),
                           {},
                           {},
                           false});
  ASSERT_TRUE(list);
  EXPECT_EQ(std::count(list->out.begin(), list->out.end(), '\n'), 1) << list->out;
}

TEST_F(BuildCommit, UnknownRefOrNoRepositoryIsAUsageError) {
  auto unknown = build_commit(*runner, repo, "no-such-ref", settings);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ExitCode::usage);
  EXPECT_NE(unknown.error().message.find("no-such-ref"), std::string::npos);
  const fs::path plain = tmp.path() / "plain";
  fs::create_directories(plain);
  auto none = build_commit(*runner, plain, "HEAD", settings);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ExitCode::usage);
}

TEST_F(BuildCommit, FailedBuildOrMissingArtifactIsAProviderErrorWithOutput) {
  settings.build_command = "echo step-one; echo it-broke >&2; exit 4";
  auto failed = build_commit(*runner, repo, "HEAD", settings);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ExitCode::provider);
  EXPECT_NE(failed.error().message.find("it-broke"), std::string::npos) << failed.error().message;
  settings.build_command = "true";
  auto missing = build_commit(*runner, repo, "HEAD", settings);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ExitCode::provider);
  EXPECT_NE(missing.error().message.find("out/app.txt"), std::string::npos);
}

}  // namespace
}  // namespace labctl::deploy
