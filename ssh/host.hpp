#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ssh/session.hpp"

namespace labctl::ssh {

// One SSH session to one host, owned by one thread for its whole life (libssh sessions are not
// thread-safe). Other threads post work and get futures:
// - exec(): a command on an exec channel. sshd allows MaxSessions (default 10) session channels
//   per connection and frees a slot only after it reaped the command and both sides sent
//   CHANNEL_CLOSE, so an exec holds a slot from its open request until sshd's close arrives.
//   At most `max_sessions` slots are held at once (fewer once sshd's limit proved lower); the
//   rest wait in order, each failing when it could not even start within its timeout.
// - open_tunnel(): a `direct-tcpip` channel from the host to host:port, bridged to one end of a
//   socketpair whose other end is returned. A second libssh session can then run over that fd
//   (SSH_OPTIONS_FD): that is how we reach a flow's destination (it sees the source's address)
//   and a host behind a jump host, with no ssh binary and no key copied anywhere.
// The owner thread connects (through `via`'s tunnel when given), then runs a poll loop that
// pumps every tunnel and exec channel. A failed connection fails every request with its reason,
// so an unreachable host costs one connect timeout.
class SessionHost {
 public:
  SessionHost(Endpoint endpoint, std::shared_ptr<SessionHost> via, SshSettings settings,
              int max_sessions);
  ~SessionHost();
  SessionHost(const SessionHost&) = delete;
  SessionHost& operator=(const SessionHost&) = delete;

  // Blocks until connected; the server's host-key fingerprint, or why it failed.
  [[nodiscard]] SshExpected<std::string> wait_connected();
  [[nodiscard]] std::future<SshExpected<ExecResult>> exec(std::string command,
                                                          std::chrono::milliseconds timeout);
  // The fd is a connected stream the caller owns.
  [[nodiscard]] std::future<SshExpected<int>> open_tunnel(std::string host, int port);
  [[nodiscard]] const Endpoint& endpoint() const { return m_endpoint; }

 private:
  struct ExecRequest {
    std::string command;
    std::chrono::milliseconds timeout;
    std::chrono::steady_clock::time_point queued;
    std::promise<SshExpected<ExecResult>> done;
  };
  struct TunnelRequest {
    std::string host;
    int port;
    std::promise<SshExpected<int>> done;
  };
  class Loop;  // the owner thread's state (ssh/host.cpp)

  [[nodiscard]] SshExpected<Connected> connect();
  void run();
  void wake();

  Endpoint m_endpoint;
  std::shared_ptr<SessionHost> m_via;
  SshSettings m_settings;
  int m_max_sessions;
  int m_wake_fd = -1;  // eventfd: new requests or stop

  std::mutex m_mutex;
  std::condition_variable m_connected_cv;
  std::optional<SshExpected<std::string>> m_connected;  // set once by the owner thread
  bool m_stop = false;
  bool m_loop_gone = false;  // the owner thread no longer takes requests
  SshError m_gone_reason;    // why, once m_loop_gone
  std::deque<ExecRequest> m_exec_queue;
  std::deque<TunnelRequest> m_tunnel_queue;
  std::jthread m_thread;  // last: started after every member above exists
};

}  // namespace labctl::ssh
