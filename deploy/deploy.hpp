#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "core/profile.hpp"
#include "core/state_store.hpp"
#include "ssh/endpoint.hpp"
#include "ssh/session.hpp"
#include "ssh/settings.hpp"

namespace labctl::deploy {

// One node of the run that has an SSH endpoint (resource attrs.node.ssh).
struct Target {
  std::string name;  // the node name, else the resource name
  std::string site;
  std::string role;
  ssh::Endpoint ssh;
  std::optional<ssh::Endpoint> jump;
};

// What happened on one node. `step` is the step that failed ("connect", "upload", "install",
// "restart"), or "done".
struct NodeResult {
  std::string node;
  std::string site;
  std::string endpoint;  // user@host:port
  bool ok = false;
  std::string step;
  std::string error;
  std::string hostkey_sha256;
  double seconds = 0;
  std::string output_tail;  // the failed command's last output lines
};

struct Request {
  std::filesystem::path artifact;    // the local file to push
  profile::DeploySettings settings;  // remote_path, install_command, restart_command
  ssh::SshSettings ssh;              // ssh/settings.hpp: key, agent, known_hosts, policy, timeout
  std::vector<Target> targets;
  long command_timeout_s = 600;
};

// The SSH settings and default login user of a deploy to the run whose "ssh" meta is `meta`:
// ssh/settings.hpp's (env > run meta > default; no profile field is an SSH setting of deploy).
// ExitCode::usage for a bad number.
[[nodiscard]] Expected<ssh::Resolved> ssh_for_run(const EnvLookup& env, const nlohmann::json& meta);

// The run's nodes with an SSH endpoint, in resource order; users default to `default_user`.
[[nodiscard]] Expected<std::vector<Target>> run_targets(state::Store& store,
                                                        const std::string& run_id,
                                                        const std::string& default_user);

// The remote file the artifact lands in: <remote_path>/<artifact file name>.
[[nodiscard]] std::string remote_file(const Request& request);
// The command run on `target` for `command` (install or restart): it runs in remote_path with
// LABCTL_ARTIFACT (the remote file) and LABCTL_NODE (the node name) exported.
[[nodiscard]] std::string remote_command(const Request& request, const Target& target,
                                         const std::string& command);

// The dry-run plan: nodes, remote path, commands. Nothing is sent.
[[nodiscard]] nlohmann::ordered_json plan_json(const Request& request);

// Pushes to every target concurrently (one thread per node) and returns every node's result in
// target order; a node's failure never stops the others. `on_node`, if given, is called with
// each node's result as it finishes, on that node's thread (for a progress line).
[[nodiscard]] std::vector<NodeResult> push_all(
    const Request& request, const std::function<void(const NodeResult&)>& on_node = {});

// The summary JSON printed on stdout and recorded as the "deploy" event.
[[nodiscard]] nlohmann::ordered_json summary_json(const Request& request,
                                                  const std::vector<NodeResult>& results);
// A fixed-width table for stderr.
[[nodiscard]] std::string results_table(const std::vector<NodeResult>& results);

// A git worktree of one commit in its own temporary folder (dir()'s parent); the destructor
// removes the worktree and that folder.
class Worktree {
 public:
  // `runner` removes the worktree again; it must outlive this object (the command's seams do).
  Worktree(ProcessRunner& runner, std::filesystem::path repo, std::filesystem::path dir)
      : m_runner(runner), m_repo(std::move(repo)), m_dir(std::move(dir)) {}
  ~Worktree();
  Worktree(const Worktree&) = delete;
  Worktree& operator=(const Worktree&) = delete;
  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }

 private:
  ProcessRunner& m_runner;
  std::filesystem::path m_repo;
  std::filesystem::path m_dir;
};

struct Built {
  std::unique_ptr<Worktree> worktree;  // keeps the artifact alive until pushed
  std::filesystem::path artifact;
};

// Builds `ref` of the git repository containing `cwd`: a detached worktree in a temporary
// folder, the profile's build_command run there (sh -c), then settings.artifact inside it.
// Not a git repo / unknown ref: ExitCode::usage; build failure or missing artifact:
// ExitCode::provider with the tail of the build output.
[[nodiscard]] Expected<Built> build_commit(ProcessRunner& runner, const std::filesystem::path& cwd,
                                           const std::string& ref,
                                           const profile::DeploySettings& settings);

// `text` as one single-quoted POSIX shell word.
[[nodiscard]] std::string shell_quote(const std::string& text);

// The last `lines` lines of `text`.
[[nodiscard]] std::string tail_lines(const std::string& text, std::size_t lines);

// tail_lines() of a command's output (outside text), safe to print and serialise: each line
// through text::printable (valid UTF-8, control characters escaped, cut to 512 bytes), the
// line breaks kept.
[[nodiscard]] std::string printable_tail(const std::string& text, std::size_t lines);

}  // namespace labctl::deploy
