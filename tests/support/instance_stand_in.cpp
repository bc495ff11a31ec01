#include "tests/support/instance_stand_in.hpp"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

#include "core/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {
namespace {

namespace fs = std::filesystem;

bool executable(const char* path) { return ::access(path, X_OK) == 0; }

// iproute2's ip, for a child started with execv (no PATH lookup); "" when missing.
std::string ip_path() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (executable(path)) return path;
  }
  return "";
}

// Runs `argv` (20 s limit); the result whatever the exit.
Expected<ProcessResult> run_quietly(const std::vector<std::string>& argv) {
  ProcessRequest request;
  request.argv = argv;
  request.timeout = std::chrono::seconds(20);
  return system_process_runner()->run(request);
}

ProcessResult must_run(const std::vector<std::string>& argv) {
  auto result = run_quietly(argv);
  std::string line;
  for (const auto& arg : argv) line += arg + " ";
  if (!result) throw std::runtime_error(line + ": " + result.error().message);
  if (result->exit_code != 0) {
    throw std::runtime_error(line + "exited " + std::to_string(result->exit_code) + ": " +
                             result->err);
  }
  return *result;
}

}  // namespace

std::string InstanceStandIn::unavailable() {
  if (::geteuid() != 0) return "a namespace with sshd needs root";
  for (const char* tool : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen"}) {
    if (!executable(tool)) return std::string("missing ") + tool;
  }
  if (ip_path().empty()) return "missing ip (iproute2)";
  return "";
}

InstanceStandIn::InstanceStandIn(const fs::path& dir, std::string address,
                                 const std::string& authorized_key)
    : m_dir(dir), m_address(std::move(address)) {
  const std::string id = std::to_string(::getpid());
  m_ns = "lnf" + id;
  m_veth = "lnf" + id + "h";
  // The near end's address: the far one's neighbour in its /24 (both in 198.18.0.0/15).
  const auto dot = m_address.rfind('.');
  const int last = std::stoi(m_address.substr(dot + 1));
  m_near = m_address.substr(0, dot + 1) + std::to_string(last == 1 ? 2 : last - 1);
  try {
    build(authorized_key);
  } catch (...) {
    teardown();
    throw;
  }
}

InstanceStandIn::~InstanceStandIn() { teardown(); }

std::string InstanceStandIn::known_hosts_line() const {
  std::string pub = read_text(m_dir / "host_key.pub");
  pub = pub.substr(0, pub.rfind(' '));
  return m_address + " " + pub + "\n";
}

void InstanceStandIn::build(const std::string& authorized_key) {
  std::ignore = run_quietly({"ip", "netns", "del", m_ns});
  must_run({"ip", "netns", "add", m_ns});
  must_run({"ip", "link", "add", m_veth, "type", "veth", "peer", "name", "eth0", "netns", m_ns});
  must_run({"ip", "addr", "add", m_near, "peer", m_address + "/32", "dev", m_veth});
  must_run({"ip", "link", "set", m_veth, "up"});
  must_run({"ip", "-n", m_ns, "addr", "add", m_address, "peer", m_near + "/32", "dev", "eth0"});
  must_run({"ip", "-n", m_ns, "link", "set", "eth0", "up"});
  must_run({"ip", "-n", m_ns, "link", "set", "lo", "up"});
  const fs::path key = m_dir / "host_key";
  must_run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stand-in", "-f", key.string()});
  write_text(m_dir / "authorized_keys", authorized_key);
  write_text(m_dir / "sshd_config",
             "ListenAddress " + m_address + "\nPort 22\nHostKey " + key.string() + "\nPidFile " +
                 (m_dir / "sshd.pid").string() + "\nAuthorizedKeysFile " +
                 (m_dir / "authorized_keys").string() +
                 "\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                 "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
                 "LogLevel ERROR\nSetEnv SHLVL=1\n");
  m_sshd = std::make_unique<Spawned>(
      std::vector<std::string>{ip_path(), "netns", "exec", m_ns, "/usr/sbin/sshd", "-D", "-e", "-f",
                               (m_dir / "sshd_config").string()},
      std::map<std::string, std::string>{}, m_dir);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!must_run({"ip", "netns", "exec", m_ns, "ss", "-Hltn", "sport", "=", ":22"}).out.empty()) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("the stand-in's sshd did not start listening on " + m_address);
}

// Stops the sshd we started (and any session child in the namespace), then removes the
// namespace, which takes the veth pair and its route with it.
void InstanceStandIn::teardown() noexcept {
  m_sshd.reset();
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto pids = run_quietly({"ip", "netns", "pids", m_ns});
    if (!pids || pids->out.empty()) break;
    std::istringstream words(pids->out);
    for (pid_t pid = 0; words >> pid;) ::kill(pid, attempt < 10 ? SIGTERM : SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ignore = run_quietly({"ip", "netns", "del", m_ns});
}

}  // namespace labctl::testing
