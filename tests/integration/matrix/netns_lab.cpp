#include "tests/integration/matrix/netns_lab.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "core/process.hpp"

extern char** environ;

namespace labctl::testing {
namespace {

ProcessResult must_run(const std::vector<std::string>& argv,
                       std::optional<std::string> stdin_data = std::nullopt) {
  ProcessRequest request;
  request.argv = argv;
  request.stdin_data = std::move(stdin_data);
  request.timeout = std::chrono::seconds(30);
  auto result = system_process_runner()->run(request);
  std::string line;
  for (const auto& arg : argv) line += arg + " ";
  if (!result) throw std::runtime_error("netns lab: " + line + ": " + result.error().message);
  if (result->exit_code != 0) {
    throw std::runtime_error("netns lab: " + line + "exited " + std::to_string(result->exit_code) +
                             ": " + result->err);
  }
  return *result;
}

bool executable(const char* path) { return ::access(path, X_OK) == 0; }

// Ends every process still inside `ns` (by PID), then deletes the namespace.
void remove_namespace(const std::string& ns) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    ProcessRequest list;
    list.argv = {"ip", "netns", "pids", ns};
    const auto pids = system_process_runner()->run(list);
    if (!pids || pids->out.empty()) break;
    std::istringstream words(pids->out);
    for (pid_t pid = 0; words >> pid;) ::kill(pid, attempt < 10 ? SIGTERM : SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ProcessRequest del;
  del.argv = {"ip", "netns", "del", ns};
  std::ignore = system_process_runner()->run(del);
}

// Labs of test processes that were killed (a CTest timeout sends SIGKILL, so no destructor
// ran) are named lm<pid>x<n>-...: remove those whose process is gone.
void sweep_stale_labs() {
  ProcessRequest list;
  list.argv = {"ip", "netns", "list"};
  const auto listed = system_process_runner()->run(list);
  if (!listed) return;
  std::istringstream lines(listed->out);
  for (std::string line; std::getline(lines, line);) {
    const std::string ns = line.substr(0, line.find(' '));
    const auto x = ns.find('x');
    if (!ns.starts_with("lm") || x == std::string::npos || x <= 2) continue;
    const std::string pid_text = ns.substr(2, x - 2);
    if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) != 0 && errno == ESRCH) remove_namespace(ns);
  }
}

}  // namespace

std::optional<std::string> NetnsLab::unavailable() {
  if (::geteuid() != 0) return "needs root (network namespaces, sshd)";
  for (const char* tool : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/unshare"}) {
    if (!executable(tool)) return std::string("missing ") + tool;
  }
  bool has_ip = false, has_nft = false;
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    has_ip = has_ip || executable((std::string(dir) + "ip").c_str());
    has_nft = has_nft || executable((std::string(dir) + "nft").c_str());
  }
  if (!has_ip) return "missing ip (iproute2)";
  if (!has_nft) return "missing nft (nftables)";
  return std::nullopt;
}

NetnsLab::NetnsLab(std::vector<HostSpec> hosts, std::string sshd_extra)
    : m_sshd_extra(std::move(sshd_extra)) {
  static std::atomic<int> counter{0};
  m_prefix = "lm" + std::to_string(::getpid()) + "x" + std::to_string(counter++) + "-";
  m_hub = m_prefix + "hub";
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    Host host;
    host.spec = std::move(hosts[i]);
    host.index = i;
    host.ns = m_prefix + host.spec.name;
    m_hosts.push_back(std::move(host));
  }
  sweep_stale_labs();
  try {
    build();
  } catch (...) {
    teardown();
    throw;
  }
}

NetnsLab::~NetnsLab() { teardown(); }

void NetnsLab::build() {
  std::filesystem::create_directories("/run/sshd");  // sshd's privilege-separation directory
  must_run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labctl-test", "-f", key_file().string()});
  m_namespaces.push_back(m_hub);
  must_run({"ip", "netns", "add", m_hub});
  must_run({"ip", "-n", m_hub, "link", "set", "lo", "up"});
  must_run({"ip", "-n", m_hub, "link", "add", "br0", "type", "bridge"});
  must_run({"ip", "-n", m_hub, "addr", "add", "198.18.0.1/24", "dev", "br0"});
  must_run({"ip", "-n", m_hub, "link", "set", "br0", "up"});
  for (Host& host : m_hosts) add_host(host);
  // Every namespace reaches the subnets behind routers through their routers.
  for (const Host& routed : m_hosts) {
    if (!routed.spec.behind_router) continue;
    const std::string subnet = "198.18." + std::to_string(11 + routed.index) + ".0/24";
    const std::string via = "198.18.0." + std::to_string(111 + routed.index);
    must_run({"ip", "-n", m_hub, "route", "add", subnet, "via", via});
    for (const Host& other : m_hosts) {
      if (&other != &routed) must_run({"ip", "-n", other.ns, "route", "add", subnet, "via", via});
    }
  }
  std::string known;
  for (Host& host : m_hosts) {
    start_sshd(host);
    known += host.address + " " + host_key(host.spec.name) + "\n";
  }
  write_text(known_hosts(), known);
  write_text(dir() / "authorized_keys", read_text(key_file().string() + ".pub"));
  for (const Host& host : m_hosts) wait_for_sshd(host);
}

void NetnsLab::add_host(Host& host) {
  const std::string octet = std::to_string(11 + host.index);
  const std::string leg = "v" + std::to_string(host.index);
  m_namespaces.push_back(host.ns);
  must_run({"ip", "netns", "add", host.ns});
  must_run({"ip", "-n", host.ns, "link", "set", "lo", "up"});
  std::string attach_ns = host.ns;
  if (host.spec.behind_router) {
    host.router_ns = host.ns + "-r";
    m_namespaces.push_back(host.router_ns);
    must_run({"ip", "netns", "add", host.router_ns});
    must_run({"ip", "-n", host.router_ns, "link", "set", "lo", "up"});
    must_run({"ip", "netns", "exec", host.router_ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"});
    attach_ns = host.router_ns;
    must_run({"ip", "-n", host.router_ns, "link", "add", "eth1", "type", "veth", "peer", "name",
              "eth0", "netns", host.ns});
    must_run({"ip", "-n", host.router_ns, "addr", "add", "198.18." + octet + ".1/24", "dev", "eth1"});
    must_run({"ip", "-n", host.router_ns, "link", "set", "eth1", "up"});
    host.address = "198.18." + octet + ".10";
    host.gateway = "198.18." + octet + ".1";
    must_run({"ip", "-n", host.ns, "addr", "add", host.address + "/24", "dev", "eth0"});
    must_run({"ip", "-n", host.ns, "link", "set", "eth0", "up"});
    must_run({"ip", "-n", host.ns, "route", "add", "default", "via", host.gateway});
  }
  // The leg on the bridge: the host itself, or its router.
  must_run({"ip", "-n", m_hub, "link", "add", leg, "type", "veth", "peer", "name", "eth0", "netns", attach_ns});
  must_run({"ip", "-n", m_hub, "link", "set", leg, "master", "br0"});
  must_run({"ip", "-n", m_hub, "link", "set", leg, "up"});
  const std::string bridge_address =
      "198.18.0." + (host.spec.behind_router ? std::to_string(111 + host.index) : octet);
  must_run({"ip", "-n", attach_ns, "addr", "add", bridge_address + "/24", "dev", "eth0"});
  must_run({"ip", "-n", attach_ns, "link", "set", "eth0", "up"});
  if (host.spec.behind_router) {
    must_run({"ip", "-n", attach_ns, "route", "add", "default", "via", "198.18.0.1"});
  } else {
    host.address = bridge_address;
    host.gateway = "198.18.0.1";
    must_run({"ip", "-n", host.ns, "route", "add", "default", "via", host.gateway});
  }
  if (host.spec.jump_only) {
    must_run({"ip", "netns", "exec", host.ns, "nft", "-f", "-"},
             "table inet labctl_lab {\n chain input {\n  type filter hook input priority 0;\n"
             "  ip saddr 198.18.0.1 tcp dport 22 drop\n }\n}\n");
  }
}

void NetnsLab::start_sshd(Host& host) {
  const auto home = dir() / host.spec.name;
  std::filesystem::create_directories(home);
  const auto key = home / "ssh_host_ed25519_key";
  must_run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.spec.name, "-f", key.string()});
  const auto config = home / "sshd_config";
  write_text(config, "ListenAddress " + host.address + "\nPort 22\nHostKey " + key.string() +
                         "\nPidFile " + (home / "sshd.pid").string() +
                         "\nAuthorizedKeysFile " + (dir() / "authorized_keys").string() +
                         "\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                         "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
                         "AllowTcpForwarding yes\nLogLevel ERROR\n"
                         // bash sources ~/.bashrc for a top-level shell started by sshd; with
                         // SHLVL=1 it starts at level 2 and skips it, so lab commands do not
                         // depend on (or contend on) the operator's shell setup.
                         "SetEnv SHLVL=1\n" +
                         (m_sshd_extra.empty() ? std::string("MaxStartups 200\n") : m_sshd_extra) +
                         host.spec.sshd_extra);
  const std::string inner = "hostname " + host.spec.name + "-client && exec /usr/sbin/sshd -D -e -f " +
                            config.string();
  std::vector<std::string> argv = {"ip", "netns", "exec", host.ns, "unshare", "--uts", "sh", "-c", inner};
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (home / "sshd.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const int rc = posix_spawnp(&host.sshd, "ip", &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("netns lab: cannot start sshd for " + host.spec.name);
}

void NetnsLab::wait_for_sshd(const Host& host) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto listening = must_run({"ip", "netns", "exec", host.ns, "ss", "-Hltn", "sport", "=", ":22"});
    if (!listening.out.empty()) return;
    if (::waitpid(host.sshd, nullptr, WNOHANG) == host.sshd) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("netns lab: sshd of " + host.spec.name + " did not start: " +
                           read_text(dir() / host.spec.name / "sshd.log"));
}

void NetnsLab::enter_hub() {
  if (m_entered) return;
  m_original_ns = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int hub = ::open(("/run/netns/" + m_hub).c_str(), O_RDONLY | O_CLOEXEC);
  if (m_original_ns < 0 || hub < 0 || ::setns(hub, CLONE_NEWNET) != 0) {
    if (hub >= 0) ::close(hub);
    throw std::runtime_error("netns lab: cannot enter " + m_hub);
  }
  ::close(hub);
  m_entered = true;
}

void NetnsLab::teardown() noexcept {
  if (m_entered) {
    ::setns(m_original_ns, CLONE_NEWNET);
    m_entered = false;
  }
  if (m_original_ns >= 0) ::close(m_original_ns);
  m_original_ns = -1;
  for (const Host& host : m_hosts) {
    try {
      signal_host(host.spec.name, SIGCONT);  // a stopped (frozen) host would ignore SIGTERM
    } catch (...) {
    }
  }
  for (const int fd : m_silent_listeners) ::close(fd);
  m_silent_listeners.clear();
  for (Host& host : m_hosts) {
    if (host.sshd > 0) {
      ::kill(host.sshd, SIGTERM);
      ::waitpid(host.sshd, nullptr, 0);
      host.sshd = -1;
    }
  }
  // Whatever still runs in our namespaces (sshd's per-connection children) was started by the
  // lab: end it by PID, or it would outlive the deleted network with its connections.
  for (auto it = m_namespaces.rbegin(); it != m_namespaces.rend(); ++it) remove_namespace(*it);
  m_namespaces.clear();
}

const NetnsLab::Host& NetnsLab::find(const std::string& name) const {
  for (const Host& host : m_hosts) {
    if (host.spec.name == name) return host;
  }
  throw std::runtime_error("netns lab: no host " + name);
}

std::string NetnsLab::address(const std::string& host) const { return find(host).address; }
std::string NetnsLab::gateway(const std::string& host) const { return find(host).gateway; }
std::string NetnsLab::namespace_of(const std::string& host) const { return find(host).ns; }

std::string NetnsLab::sites_spec(const std::vector<std::string>& hosts) const {
  std::string spec;
  for (const auto& name : hosts) spec += (spec.empty() ? "" : ",") + name + "=" + address(name);
  return spec;
}

std::string NetnsLab::host_key(const std::string& host) const {
  std::string text = read_text(dir() / host / "ssh_host_ed25519_key.pub");
  // "type base64 comment\n" -> "type base64"
  const auto first = text.find(' ');
  const auto second = text.find(' ', first + 1);
  return text.substr(0, second);
}

void NetnsLab::exec_in(const std::string& host, const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", find(host).ns};
  full.insert(full.end(), argv.begin(), argv.end());
  must_run(full);
}

void NetnsLab::masquerade(const std::string& host, const std::string& dst_ip) const {
  const Host& h = find(host);
  if (h.router_ns.empty()) throw std::runtime_error("netns lab: " + host + " is not behind a router");
  must_run({"ip", "netns", "exec", h.router_ns, "nft", "-f", "-"},
           "table ip labctl_nat {\n chain post {\n  type nat hook postrouting priority srcnat;\n"
           "  oifname \"eth0\" ip saddr " + h.address + " ip daddr " + dst_ip + " masquerade\n }\n}\n");
}

void NetnsLab::stop_sshd(const std::string& name) {
  for (Host& host : m_hosts) {
    if (host.spec.name == name && host.sshd > 0) {
      ::kill(host.sshd, SIGTERM);
      ::waitpid(host.sshd, nullptr, 0);
      host.sshd = -1;
    }
  }
}

}  // namespace labctl::testing

namespace labctl::testing {

void NetnsLab::signal_host(const std::string& name, int signal) const {
  const Host& host = find(name);
  if (host.sshd > 0) ::kill(host.sshd, signal);
  // The per-connection children were started by that sshd, inside the lab's namespace.
  ProcessRequest list;
  list.argv = {"ip", "netns", "pids", host.ns};
  if (const auto pids = system_process_runner()->run(list)) {
    std::istringstream words(pids->out);
    for (pid_t pid = 0; words >> pid;) ::kill(pid, signal);
  }
}

void NetnsLab::kill_sshd(const std::string& name) {
  signal_host(name, SIGKILL);
  for (Host& host : m_hosts) {
    if (host.spec.name != name || host.sshd <= 0) continue;
    ::waitpid(host.sshd, nullptr, 0);
    host.sshd = -1;
  }
}

void NetnsLab::make_silent(const std::string& name) {
  stop_sshd(name);
  const Host& host = find(name);
  // Sockets keep the namespace they were created in: make it from a thread that entered it.
  int listener = -1;
  std::string error;
  std::thread([&] {
    const int ns = ::open(("/run/netns/" + host.ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
      error = "cannot enter " + host.ns;
      if (ns >= 0) ::close(ns);
      return;
    }
    ::close(ns);
    listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(22);
    ::inet_pton(AF_INET, host.address.c_str(), &address.sin_addr);
    const int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Never accept()ed: connections wait in the backlog, handshaken, and nothing is ever sent.
    if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 128) != 0) {
      error = "cannot listen on " + host.address + ":22";
    }
  }).join();
  if (!error.empty()) {
    if (listener >= 0) ::close(listener);
    throw std::runtime_error("netns lab: " + error);
  }
  m_silent_listeners.push_back(listener);
}

void NetnsLab::rotate_host_key(const std::string& name) {
  stop_sshd(name);
  for (Host& host : m_hosts) {
    if (host.spec.name != name) continue;
    const auto key = dir() / name / "ssh_host_ed25519_key";
    std::filesystem::remove(key);
    std::filesystem::remove(key.string() + ".pub");
    start_sshd(host);
    wait_for_sshd(host);
  }
}

}  // namespace labctl::testing
