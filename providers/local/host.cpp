#include "providers/local/host.hpp"

#include <unistd.h>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/env.hpp"

namespace labctl::providers::local {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> entries_with_prefix(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(prefix)) names.push_back(name);
  }
  return names;
}

std::string read_small(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// True while the pid exists and is not a zombie (a container's pid 1 may never reap it).
bool alive(pid_t pid) {
  const std::string stat = read_small("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  return stat[paren + 2] != 'Z' && stat[paren + 2] != 'X';
}

}  // namespace

fs::path default_meta_dir() { return env::get_or("LABCTL_LOCAL_META_DIR", "/run/labctl/local"); }

std::string join_argv(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg.empty() ? "''" : arg;
  }
  return text;
}

Expected<ProcessResult> run_checked(ProcessRunner& runner, const std::vector<std::string>& argv,
                                    std::chrono::milliseconds timeout) {
  ProcessRequest request;
  request.argv = argv;
  request.timeout = timeout;
  auto result = runner.run(request);
  if (!result) return std::unexpected(result.error());
  if (result->timed_out || result->exit_code != 0) {
    std::string why =
        result->timed_out ? "timed out" : "exited " + std::to_string(result->exit_code);
    std::string err = result->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return fail(ExitCode::provider,
                "local: `" + join_argv(argv) + "` " + why + (err.empty() ? "" : ": " + err));
  }
  return result;
}

bool netns_exists(const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path("/run/netns") / name, ec);
}

std::vector<std::string> netns_with_prefix(const std::string& prefix) {
  return entries_with_prefix("/run/netns", prefix);
}

bool host_link_exists(const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path("/sys/class/net") / name, ec);
}

std::vector<std::string> host_links_with_prefix(const std::string& prefix) {
  return entries_with_prefix("/sys/class/net", prefix);
}

bool process_matches(pid_t pid, const std::string& match) {
  if (pid <= 1 || !alive(pid)) return false;
  std::string cmdline = read_small("/proc/" + std::to_string(pid) + "/cmdline");
  for (auto& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return !match.empty() && cmdline.find(match) != std::string::npos;
}

std::optional<pid_t> read_pid_file(const fs::path& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return std::nullopt;
  return static_cast<pid_t>(pid);
}

Expected<void> stop_process(pid_t pid, const std::string& match, std::chrono::milliseconds grace) {
  if (!process_matches(pid, match)) return {};
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!alive(pid)) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (process_matches(pid, match)) ::kill(pid, SIGKILL);
  for (int i = 0; i < 40 && alive(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (alive(pid)) {
    return fail(ExitCode::provider, "local: process " + std::to_string(pid) +
                                        " survived SIGKILL; check `ps -p " + std::to_string(pid) +
                                        "`");
  }
  return {};
}

void kill_netns_processes(ProcessRunner& runner, const std::string& netns) {
  auto pids = run_checked(runner, {"ip", "netns", "pids", netns});
  if (!pids) return;
  std::istringstream in(pids->out);
  long pid = 0;
  while (in >> pid) {
    if (pid > 1) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

Expected<nlohmann::json> read_metadata(const fs::path& path) {
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  auto meta = nlohmann::json::parse(*text, nullptr, false);
  if (!meta.is_object() || !meta.contains("run_id")) {
    return fail(ExitCode::provider, "local: " + path.string() +
                                        " is not a labctl local-lab metadata file; remove it "
                                        "by hand if it is stale");
  }
  return meta;
}

Expected<void> add_metadata_pid(const fs::path& path, pid_t pid, const std::string& match) {
  auto meta = read_metadata(path);
  if (!meta) return std::unexpected(meta.error());
  (*meta)["pids"].push_back({{"pid", pid}, {"match", match}});
  return write_file_atomic(path, meta->dump() + "\n", 0644);
}

std::string find_program(const std::string& name) {
  std::string path = env::get_or("PATH", "/usr/bin:/bin");
  path += ":/usr/sbin:/sbin";
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return name;
}

}  // namespace labctl::providers::local
