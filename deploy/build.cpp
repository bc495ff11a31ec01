#include <cstdlib>

#include "deploy/deploy.hpp"
#include "core/log.hpp"

namespace labctl::deploy {
namespace {

namespace fs = std::filesystem;

Expected<ProcessResult> git(ProcessRunner& runner, const fs::path& cwd,
                            std::vector<std::string> args) {
  args.insert(args.begin(), "git");
  ProcessRequest request;
  request.argv = std::move(args);
  request.cwd = cwd;
  request.timeout = std::chrono::minutes(5);
  return runner.run(request);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

Worktree::~Worktree() {
  auto removed = git(m_runner, m_repo, {"worktree", "remove", "--force", m_dir.string()});
  if (!removed || removed->exit_code != 0) {
    log::warn("deploy.build", "deploy: could not remove the worktree " + m_dir.string() +
                                  " (`git worktree prune` will forget it)");
  }
  std::error_code ec;
  fs::remove_all(m_dir.parent_path(), ec);  // the mkdtemp folder holding the worktree
  (void)git(m_runner, m_repo, {"worktree", "prune"});
}

Expected<Built> build_commit(ProcessRunner& runner, const fs::path& cwd, const std::string& ref,
                             const profile::DeploySettings& settings) {
  auto top = git(runner, cwd, {"rev-parse", "--show-toplevel"});
  if (!top) return std::unexpected(top.error());
  if (top->exit_code != 0) {
    return fail(ExitCode::usage, "deploy: --commit needs a git repository, and " + cwd.string() +
                                     " is not inside one (run deploy from the repository, or "
                                     "use --build PATH)");
  }
  const fs::path repo = trimmed(top->out);
  auto known = git(runner, repo, {"rev-parse", "--verify", "--quiet", ref + "^{commit}"});
  if (!known) return std::unexpected(known.error());
  if (known->exit_code != 0) {
    return fail(ExitCode::usage, "deploy: --commit " + ref + " is not a commit of " +
                                     repo.string() + " (check `git log` / `git fetch`)");
  }
  if (settings.artifact.empty()) {
    return fail(ExitCode::usage,
                "deploy: --commit needs deploy.artifact in the profile (the "
                "file build_command produces)");
  }
  std::string pattern = (fs::temp_directory_path() / "labctl-deploy-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ExitCode::provider, "deploy: cannot create a temporary folder in " +
                                        fs::temp_directory_path().string());
  }
  const fs::path dir = fs::path(pattern) / "worktree";
  auto added =
      git(runner, repo, {"worktree", "add", "--detach", dir.string(), trimmed(known->out)});
  if (!added) return std::unexpected(added.error());
  if (added->exit_code != 0) {
    std::error_code ec;
    fs::remove_all(pattern, ec);
    return fail(ExitCode::provider, "deploy: git worktree add for " + ref +
                                        " failed: " + printable_tail(added->err, 5));
  }
  Built built{std::make_unique<Worktree>(runner, repo, dir), dir / settings.artifact};
  log::info("deploy.build",
            "deploy: building " + ref + " in " + dir.string() + ": " + settings.build_command);
  ProcessRequest request;
  request.argv = {"sh", "-c", settings.build_command};
  request.cwd = dir;
  request.timeout = std::chrono::minutes(30);
  auto result = runner.run(request);
  if (!result) return std::unexpected(result.error());
  if (result->exit_code != 0) {
    return fail(ExitCode::provider,
                "deploy: build_command `" + settings.build_command + "` failed for " + ref +
                    (result->timed_out ? " (timed out after 30 min)"
                                       : " (exit " + std::to_string(result->exit_code) + ")") +
                    ":\n" + printable_tail(result->out + result->err, 15));
  }
  std::error_code ec;
  if (!fs::is_regular_file(built.artifact, ec)) {
    return fail(ExitCode::provider, "deploy: build_command for " + ref + " did not produce " +
                                        settings.artifact +
                                        " (deploy.artifact, relative to the "
                                        "worktree)");
  }
  return built;
}

}  // namespace labctl::deploy
