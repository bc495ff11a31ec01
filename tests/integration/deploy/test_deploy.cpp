#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <sstream>

#include "tests/support/labctl_fixture.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A client node of the lab as state knows it.
struct Client {
  std::string name;
  std::string netns;
  std::string ssh_host;
};

// Restores the working directory when it goes out of scope.
class WorkingDir {
 public:
  explicit WorkingDir(const fs::path& dir) : m_saved(fs::current_path()) { fs::current_path(dir); }
  ~WorkingDir() { fs::current_path(m_saved); }
  WorkingDir(const WorkingDir&) = delete;
  WorkingDir& operator=(const WorkingDir&) = delete;

 private:
  fs::path m_saved;
};

class DeployLab : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "the local lab needs root";
    remote = tmp.path() / "remote";
    lab_profile = tmp.path() / "local-deploy.yaml";
    artifact = tmp.path() / "artifact.bin";
    write_text(artifact, "payload-" + tmp.path().filename().string() + "\n");
    write_lab_profile("true", "artifact.bin",
                      "mkdir -p \"installed/$LABCTL_NODE\" && cp \"$LABCTL_ARTIFACT\" "
                      "\"installed/$LABCTL_NODE/\" && ip -4 -o addr show > "
                      "\"installed/$LABCTL_NODE/addresses\"");
    const auto up = labctl({"up", "--profile", lab_profile.string(), "--ttl", "30m"}, live_env());
    ASSERT_EQ(up.code, 0) << up.err;
    run_id = first_line(up.out);
    const Json shown_resources = show(run_id)["resources"];
    for (const auto& r : shown_resources) {
      if (r["kind"] != "netns" || !r["attrs"].contains("node")) continue;
      const auto& node = r["attrs"]["node"];
      if (node.value("role", "") != "client") continue;
      clients.push_back({node["name"], r["cloudId"], node["ssh"]["host"]});
    }
  }

  void TearDown() override {
    if (!run_id.empty()) {
      const auto down = labctl({"down", "--run-id", run_id}, live_env());
      EXPECT_EQ(down.code, 0) << down.err;
    }
    LifecycleTest::TearDown();
  }

  std::map<std::string, std::string> live_env() const {
    return {{"CE_DRY_RUN", "0"}, {"LABCTL_LOCAL_META_DIR", (tmp.path() / "meta").string()}};
  }

  // The shipped local profile with this test's deploy section (remote_path in the temp dir).
  void write_lab_profile(const std::string& build, const std::string& artifact_path,
                         const std::string& install) const {
    std::string yaml = read_text(fs::path(LABCTL_SOURCE_DIR) / "profiles" / "local.yaml");
    yaml = yaml.substr(0, yaml.find("\ndeploy:")) + "\n";
    yaml += "deploy:\n  build_command: " + Json(build).dump() +
            "\n  artifact: " + Json(artifact_path).dump() +
            "\n  remote_path: " + Json(remote.string()).dump() +
            "\n  install_command: " + Json(install).dump() +
            "\n  restart_command: \"date > installed/$LABCTL_NODE/restarted\"\n";
    write_text(lab_profile, yaml);
  }

  // A file as the node sees it (read inside its network namespace).
  std::string on_node(const Client& client, const fs::path& file) const {
    return run_command({"/usr/sbin/ip", "netns", "exec", client.netns, "cat", file.string()}, {},
                       tmp.path())
        .out;
  }

  fs::path remote;
  fs::path lab_profile;
  fs::path artifact;
  std::string run_id;
  std::vector<Client> clients;
};

// Given a 4-site local lab, expect dry-run to send nothing, then a deploy to put the artifact on
// every client, run install (in that node's namespace) and restart there, and record it.
TEST_F(DeployLab, PushesAndInstallsOnEveryNode) {
  ASSERT_EQ(clients.size(), 4u);
  const auto dry =
      labctl({"deploy", "--build", artifact.string(), "--run-id", run_id}, {{"CE_DRY_RUN", "1"}});
  ASSERT_EQ(dry.code, 0) << dry.err;
  const auto plan = Json::parse(first_line(dry.out), nullptr, false);
  EXPECT_EQ(plan["nodes"].size(), 4u) << dry.out;
  EXPECT_EQ(plan["remotePath"], remote.string());
  EXPECT_FALSE(fs::exists(remote)) << "dry-run sent something";

  const auto live =
      labctl({"deploy", "--build", artifact.string(), "--run-id", run_id}, live_env());
  ASSERT_EQ(live.code, 0) << live.err;
  const auto summary = Json::parse(first_line(live.out), nullptr, false);
  EXPECT_EQ(summary["summary"]["passed"], 4) << live.out;
  for (const auto& client : clients) {
    const fs::path dir = remote / "installed" / client.name;
    EXPECT_EQ(on_node(client, dir / "artifact.bin"), read_text(artifact)) << client.name;
    EXPECT_NE(on_node(client, dir / "addresses").find(" " + client.ssh_host + "/"),
              std::string::npos)
        << client.name << " install did not run in its namespace";
    EXPECT_FALSE(on_node(client, dir / "restarted").empty()) << client.name;
  }
  std::size_t recorded = 0;
  const Json shown_events = show(run_id)["events"];
  for (const auto& e : shown_events) {
    if (e["kind"] == "deploy" && e["detail"].value("result", "") == "pass") ++recorded;
  }
  EXPECT_EQ(recorded, 5u) << "one event per node and a summary";
}

// Given an install that fails on one node, expect exit 3 after every node was tried.
TEST_F(DeployLab, OneFailedNodeFailsDeployAfterAllWereTried) {
  write_lab_profile("true", "artifact.bin",
                    "test \"$LABCTL_NODE\" != aws-client && mkdir -p \"installed/$LABCTL_NODE\"");
  const auto out = labctl({"deploy", "--build", artifact.string(), "--run-id", run_id}, live_env());
  EXPECT_EQ(out.code, 3) << out.err;
  const auto summary = Json::parse(first_line(out.out), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << out.out;
  EXPECT_EQ(summary["summary"]["total"], 4);
  EXPECT_EQ(summary["summary"]["failed"], 1);
  for (const auto& node : summary["nodes"]) {
    EXPECT_EQ(node["result"], node["node"] == "aws-client" ? "fail" : "pass") << node.dump();
    if (node["node"] == "aws-client") {
      EXPECT_EQ(node["step"], "install");
    }
  }
  EXPECT_NE(out.err.find("aws-client"), std::string::npos) << out.err;
}

// Given --commit with a small git repository, expect that commit built in a worktree, its
// artifact on every node, and the worktree gone; an unknown ref or no repository is exit 2.
TEST_F(DeployLab, CommitIsBuiltInAWorktreeAndPushed) {
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo);
  write_text(repo / "VERSION", "v-from-commit\n");
  const std::map<std::string, std::string> git_env{{"GIT_AUTHOR_NAME", "t"},
                                                   {"GIT_AUTHOR_EMAIL", "t@example.invalid"},
                                                   {"GIT_COMMITTER_NAME", "t"},
                                                   {"GIT_COMMITTER_EMAIL", "t@example.invalid"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"init", "-q"}, {"add", "VERSION"}, {"commit", "-q", "-m", "v1"}}) {
    std::vector<std::string> argv{"/usr/bin/git", "-C", repo.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    ASSERT_EQ(run_command(argv, git_env, tmp.path()).code, 0);
  }
  write_text(repo / "VERSION", "uncommitted\n");  // the build must see the commit, not this
  write_lab_profile("mkdir -p out && cp VERSION out/app.txt", "out/app.txt",
                    "mkdir -p \"installed/$LABCTL_NODE\" && cp \"$LABCTL_ARTIFACT\" "
                    "\"installed/$LABCTL_NODE/\"");
  {
    WorkingDir in_repo(repo);
    const auto out = labctl({"deploy", "--commit", "HEAD", "--run-id", run_id}, live_env());
    ASSERT_EQ(out.code, 0) << out.err;
    const auto unknown =
        labctl({"deploy", "--commit", "no-such-ref", "--run-id", run_id}, live_env());
    EXPECT_EQ(unknown.code, 2) << unknown.err;
    const auto again = labctl({"deploy", "--commit", "HEAD", "--run-id", run_id}, live_env());
    EXPECT_EQ(again.code, 0) << again.err;
  }
  for (const auto& client : clients) {
    EXPECT_EQ(on_node(client, remote / "installed" / client.name / "app.txt"), "v-from-commit\n");
  }
  const auto worktrees =
      run_command({"/usr/bin/git", "-C", repo.string(), "worktree", "list"}, {}, tmp.path());
  EXPECT_EQ(std::count(worktrees.out.begin(), worktrees.out.end(), '\n'), 1) << worktrees.out;

  const fs::path not_repo = tmp.path() / "plain";
  fs::create_directories(not_repo);
  WorkingDir outside(not_repo);
  const auto no_repo = labctl({"deploy", "--commit", "HEAD", "--run-id", run_id}, live_env());
  EXPECT_EQ(no_repo.code, 2) << no_repo.err;
}

// Given a build command that fails, expect exit 3 with the tail of its output.
TEST_F(DeployLab, FailedBuildIsExit3WithItsOutput) {
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo);
  write_text(repo / "f", "x\n");
  const std::map<std::string, std::string> git_env{{"GIT_AUTHOR_NAME", "t"},
                                                   {"GIT_AUTHOR_EMAIL", "t@example.invalid"},
                                                   {"GIT_COMMITTER_NAME", "t"},
                                                   {"GIT_COMMITTER_EMAIL", "t@example.invalid"}};
  ASSERT_EQ(
      run_command({"/usr/bin/git", "-C", repo.string(), "init", "-q"}, git_env, tmp.path()).code,
      0);
  ASSERT_EQ(
      run_command({"/usr/bin/git", "-C", repo.string(), "add", "f"}, git_env, tmp.path()).code, 0);
  ASSERT_EQ(run_command({"/usr/bin/git", "-C", repo.string(), "commit", "-q", "-m", "x"}, git_env,
                        tmp.path())
                .code,
            0);
  write_lab_profile("echo compiler-said-no >&2; exit 7", "out/none", "true");
  WorkingDir in_repo(repo);
  const auto out = labctl({"deploy", "--commit", "HEAD", "--run-id", run_id}, live_env());
  EXPECT_EQ(out.code, 3);
  EXPECT_NE(out.err.find("compiler-said-no"), std::string::npos) << out.err;
  EXPECT_FALSE(fs::exists(remote)) << "nothing is pushed when the build fails";
}

// Given an install that prints ill-formed UTF-8 and terminal escapes and fails on one node,
// expect the summary JSON valid, that node's outputTail and stderr free of raw control bytes,
// and the other nodes deployed.
TEST_F(DeployLab, HostileInstallOutputStaysPrintable) {
  write_lab_profile("true", "artifact.bin",
                    "mkdir -p \"installed/$LABCTL_NODE\" && if [ \"$LABCTL_NODE\" = aws-client ]; "
                    "then printf 'bad \\377\\376 \\033[31mred\\001\\n\\033]0;title\\007\\n'; "
                    "exit 4; fi; true");
  const auto out = labctl({"deploy", "--build", artifact.string(), "--run-id", run_id}, live_env());
  EXPECT_EQ(out.code, 3) << out.err;
  const auto summary = Json::parse(first_line(out.out), nullptr, false);  // strict UTF-8
  ASSERT_TRUE(summary.is_object()) << out.out;
  EXPECT_EQ(summary["summary"]["passed"], 3);
  bool seen = false;
  for (const auto& node : summary["nodes"]) {
    if (node["node"] != "aws-client") continue;
    seen = true;
    const std::string tail = node.value("outputTail", "");
    EXPECT_NE(tail.find("\\x1b[31mred\\x01"), std::string::npos) << tail;
    EXPECT_NE(tail.find("\xEF\xBF\xBD"), std::string::npos) << tail;
    EXPECT_EQ(tail.find('\x1b'), std::string::npos) << tail;
  }
  EXPECT_TRUE(seen) << out.out;
  EXPECT_EQ(out.err.find('\x1b'), std::string::npos) << "a raw escape reached stderr";
  EXPECT_EQ(out.out.find('\x1b'), std::string::npos) << "a raw escape reached stdout";
}

// Given one node's sshd and everything in its namespace killed, expect that node to fail at
// connect as refused, quickly, after every other node was deployed.
TEST_F(DeployLab, KilledSshdFailsOnlyThatNode) {
  const auto aws = std::find_if(clients.begin(), clients.end(),
                                [](const Client& c) { return c.name == "aws-client"; });
  ASSERT_NE(aws, clients.end());
  // Every process in that namespace was started by this test's `labctl up` (its sshd).
  const auto pids = run_command({"/usr/sbin/ip", "netns", "pids", aws->netns}, {}, tmp.path());
  std::istringstream words(pids.out);
  for (pid_t pid = 0; words >> pid;) ::kill(pid, SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  const auto out = labctl({"deploy", "--build", artifact.string(), "--run-id", run_id}, live_env());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_EQ(out.code, 3) << out.err;
  const auto summary = Json::parse(first_line(out.out), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << out.out;
  EXPECT_EQ(summary["summary"]["passed"], 3);
  for (const auto& node : summary["nodes"]) {
    if (node["node"] != "aws-client") continue;
    EXPECT_EQ(node["step"], "connect") << node.dump();
    EXPECT_NE(node.value("error", "").find("refused"), std::string::npos) << node.dump();
  }
}

}  // namespace
}  // namespace labctl::testing
