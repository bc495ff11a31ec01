#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace labctl::testing {

// A throwaway lab of network namespaces on this host, for tests that need real sshd hosts.
//
// Layout (every name carries a per-instance prefix; everything is removed by the destructor):
// - a hub namespace with bridge br0 at 198.18.0.1/24: the controller (the test thread runs
//   there after enter_hub()) and every plain host's default gateway;
// - per host a namespace with eth0 on br0 at 198.18.0.(11+i)/24, a default route via
//   198.18.0.1, its own UTS namespace with hostname "<name>-client", and a real sshd (own
//   ed25519 host key, own config, root login by key) listening on that address;
// - a host `behind_router` sits instead in 198.18.(11+i).0/24 behind a router namespace whose
//   bridge leg is 198.18.0.(111+i); every namespace routes that subnet via the router, and the
//   host's default route points at the router (see masquerade()).
// - a host `jump_only` drops SSH from the hub, so the controller can reach it only through
//   another host (a jump host).
// The test's client key (ed25519, no passphrase) is in key_file(); known_hosts() lists every
// host's address with its key.
class NetnsLab {
 public:
  struct HostSpec {
    std::string name;
    bool behind_router = false;
    bool jump_only = false;
    std::string sshd_extra = {};  // appended to this host's sshd_config (e.g. "ForceCommand ...")
  };

  // Why this host cannot build a lab (not root, a tool missing); nullopt when it can.
  [[nodiscard]] static std::optional<std::string> unavailable();

  // Builds the lab and starts every sshd; throws std::runtime_error naming the failing command.
  // `sshd_extra` is appended to every sshd_config (e.g. "MaxStartups 1\n").
  explicit NetnsLab(std::vector<HostSpec> hosts, std::string sshd_extra = {});
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  // Moves the calling thread into the hub namespace (threads it starts later inherit it); the
  // destructor moves it back.
  void enter_hub();

  [[nodiscard]] std::string address(const std::string& host) const;
  [[nodiscard]] std::string gateway(const std::string& host) const;
  [[nodiscard]] std::string namespace_of(const std::string& host) const;
  // "a=ip,b=ip" for the named hosts, in that order.
  [[nodiscard]] std::string sites_spec(const std::vector<std::string>& hosts) const;
  [[nodiscard]] std::filesystem::path key_file() const { return m_dir.path() / "id_ed25519"; }
  [[nodiscard]] std::filesystem::path known_hosts() const { return m_dir.path() / "known_hosts"; }
  [[nodiscard]] std::filesystem::path dir() const { return m_dir.path(); }
  // The "type base64" public host key of `host`.
  [[nodiscard]] std::string host_key(const std::string& host) const;

  // Runs a command inside the host's namespace (argv form); throws on failure.
  void exec_in(const std::string& host, const std::vector<std::string>& argv) const;
  // Masquerades what `host` (behind_router) sends to `dst_ip`: dst then sees the router.
  void masquerade(const std::string& host, const std::string& dst_ip) const;
  // Stops the host's sshd (SIGTERM, reaped).
  void stop_sshd(const std::string& host);
  // Kills the host's sshd and every process in its namespace (its per-connection sshd
  // children, their commands) with SIGKILL: established sessions die at once, new connections
  // are refused.
  void kill_sshd(const std::string& host);
  // Sends `signal` (SIGSTOP: the host stops answering mid-session, its connections stay open;
  // SIGCONT: it resumes) to the host's sshd and every process in its namespace.
  void signal_host(const std::string& host, int signal) const;
  // Replaces the host's sshd with a listener on its address:22 that accepts TCP (the kernel
  // completes the handshake) and never sends a byte; it lives until the lab is torn down.
  void make_silent(const std::string& host);
  // Stops the host's sshd, gives it a new host key and starts it again; known_hosts() keeps
  // the old key.
  void rotate_host_key(const std::string& host);

 private:
  struct Host {
    HostSpec spec;
    std::size_t index = 0;
    std::string ns;
    std::string router_ns;  // behind_router only
    std::string address;
    std::string gateway;
    pid_t sshd = -1;
  };

  void build();
  void add_host(Host& host);
  void start_sshd(Host& host);
  void wait_for_sshd(const Host& host) const;
  void teardown() noexcept;
  [[nodiscard]] const Host& find(const std::string& name) const;

  TempDir m_dir;
  std::string m_prefix;
  std::string m_hub;
  std::string m_sshd_extra;
  std::vector<Host> m_hosts;
  std::vector<std::string> m_namespaces;  // created ones, for teardown
  std::vector<int> m_silent_listeners;    // make_silent()'s sockets, closed at teardown
  int m_original_ns = -1;
  bool m_entered = false;
};

}  // namespace labctl::testing
