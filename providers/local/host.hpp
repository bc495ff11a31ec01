#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/process.hpp"

// What the local lab asks of this host: namespaces, links and processes as the kernel shows
// them (/run/netns, /sys/class/net, /proc), and the per-run metadata files.
namespace labctl::providers::local {

// $LABCTL_LOCAL_META_DIR, else /run/labctl/local: one <run-id>.json per lab on this host.
[[nodiscard]] std::filesystem::path default_meta_dir();

// Runs a command; a non-zero exit becomes an error naming the command and its stderr.
[[nodiscard]] Expected<ProcessResult> run_checked(
    ProcessRunner& runner, const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(20));
[[nodiscard]] std::string join_argv(const std::vector<std::string>& argv);

[[nodiscard]] bool netns_exists(const std::string& name);
[[nodiscard]] std::vector<std::string> netns_with_prefix(const std::string& prefix);
[[nodiscard]] bool host_link_exists(const std::string& name);
[[nodiscard]] std::vector<std::string> host_links_with_prefix(const std::string& prefix);

// A live (not zombie) process whose command line contains `match`. A reused pid running
// something else is not ours: we never signal it.
[[nodiscard]] bool process_matches(pid_t pid, const std::string& match);
[[nodiscard]] std::optional<pid_t> read_pid_file(const std::filesystem::path& path);
// SIGTERM, then SIGKILL after `grace`; succeeds once the process is gone (or was not ours).
[[nodiscard]] Expected<void> stop_process(
    pid_t pid, const std::string& match, std::chrono::milliseconds grace = std::chrono::seconds(3));
// SIGKILLs every process inside a namespace of the lab (sshd sessions and their children keep
// a deleted namespace alive otherwise).
void kill_netns_processes(ProcessRunner& runner, const std::string& netns);

// The metadata file of a run: {run_id, short_id, owner, ttl_expires_at, netns, links, dirs,
// pids: [{pid, match}]}. Errors name the file.
[[nodiscard]] Expected<nlohmann::json> read_metadata(const std::filesystem::path& path);
[[nodiscard]] Expected<void> add_metadata_pid(const std::filesystem::path& path, pid_t pid,
                                              const std::string& match);

// The absolute path of a program (PATH, then /usr/sbin and /sbin); `name` if not found.
[[nodiscard]] std::string find_program(const std::string& name);

}  // namespace labctl::providers::local
