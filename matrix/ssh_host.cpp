#include "matrix/ssh_host.hpp"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <list>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace labctl::matrix {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t k_max_pending = 256 * 1024;  // channel bytes buffered towards a tunnel fd

void close_channel(ssh_channel channel) {
  ssh_channel_close(channel);
  ssh_channel_free(channel);
}

struct Tunnel {
  ssh_channel channel = nullptr;
  int fd = -1;             // our end of the socketpair (non-blocking)
  std::string to_local;    // read from the channel, not yet written to fd
  bool local_eof = false;  // the fd's user closed its writing side
  bool shut_wr = false;    // the remote side ended and everything was handed over
};

// A channel whose open (and, for a command, exec request) is still in flight. Opens are driven
// without blocking, so one slow open (sshd forking a session, a destination slow to accept)
// never stalls the host's other channels.
struct Opening {
  ssh_channel channel = nullptr;
  SteadyClock::time_point deadline;
  bool opened = false;  // exec only: the session channel is open, the exec request is pending
};

struct Exec {
  ssh_channel channel = nullptr;
  SteadyClock::time_point start;
  SteadyClock::time_point deadline;
  std::chrono::milliseconds timeout{};
  ExecResult result;
  std::promise<SshExpected<ExecResult>> done;
};

}  // namespace

class SessionHost::Loop {
 public:
  Loop(SessionHost& host, ssh_session session) : m_host(host), m_session(session) {}

  // Serves requests until the host stops or the connection dies; returns why it ended.
  SshError run() {
    std::vector<ExecRequest> waiting_execs;
    while (true) {
      std::vector<TunnelRequest> tunnels;
      {
        std::lock_guard lock(m_host.m_mutex);
        if (m_host.m_stop) break;
        for (auto& r : m_host.m_tunnel_queue) tunnels.push_back(std::move(r));
        m_host.m_tunnel_queue.clear();
        for (auto& r : m_host.m_exec_queue) waiting_execs.push_back(std::move(r));
        m_host.m_exec_queue.clear();
      }
      bool progress = !tunnels.empty();
      for (auto& request : tunnels) {
        m_opening_tunnels.emplace_back(new_opening(), std::move(request));
      }
      while (!waiting_execs.empty() &&
             std::ssize(m_execs) + std::ssize(m_opening_execs) < m_host.m_max_sessions) {
        m_opening_execs.emplace_back(new_opening(), std::move(waiting_execs.front()));
        waiting_execs.erase(waiting_execs.begin());
        progress = true;
      }
      // Pumping first lets the packets it reads (open confirmations among them) be acted on
      // by advance_openings in the same pass.
      pump_all(progress);
      advance_openings(progress);
      if (ssh_is_connected(m_session) == 0) {
        SshError lost{SshErrorKind::error, "lost the connection to " +
                                               describe(m_host.m_endpoint) + ": " +
                                               ssh_get_error(m_session)};
        fail_all(lost, waiting_execs);
        return lost;
      }
      wait_for_io(progress);
    }
    SshError stopped{SshErrorKind::error, "session to " + describe(m_host.m_endpoint) + " closed"};
    fail_all(stopped, waiting_execs);
    return stopped;
  }

 private:
  Opening new_opening() const {
    Opening opening;
    opening.channel = ssh_channel_new(m_session);
    opening.deadline =
        SteadyClock::now() + std::chrono::seconds(m_host.m_settings.connect_timeout_s);
    return opening;
  }

  // Runs one libssh call with the session non-blocking: it returns SSH_AGAIN instead of waiting
  // for the server, and calling it again later continues the same pending operation.
  template <class Step>
  int without_blocking(Step step) {
    ssh_set_blocking(m_session, 0);
    const int rc = step();
    ssh_set_blocking(m_session, 1);
    return rc;
  }

  // SSH_AGAIN past the deadline becomes a timeout; any other failure keeps libssh's text.
  SshError open_error(int rc, const Opening& opening, const std::string& what) const {
    if (rc == SSH_AGAIN) {
      return {SshErrorKind::timeout, describe(m_host.m_endpoint) + ": " + what + " timed out after " +
                                         std::to_string(m_host.m_settings.connect_timeout_s) + " s"};
    }
    const std::string detail = opening.channel == nullptr ? "out of memory" : ssh_get_error(m_session);
    const auto kind =
        detail.find("refused") != std::string::npos ? SshErrorKind::refused : SshErrorKind::error;
    return {kind, describe(m_host.m_endpoint) + ": " + what + ": " + detail};
  }

  // Moves pending opens forward; finished ones leave the lists with their promise set.
  void advance_openings(bool& progress) {
    const auto now = SteadyClock::now();
    for (auto it = m_opening_tunnels.begin(); it != m_opening_tunnels.end();) {
      auto& [opening, request] = *it;
      const int rc = opening.channel == nullptr ? SSH_ERROR : without_blocking([&] {
        return ssh_channel_open_forward(opening.channel, request.host.c_str(), request.port,
                                        "127.0.0.1", 0);
      });
      if (rc == SSH_AGAIN && now < opening.deadline) {
        ++it;
        continue;
      }
      if (rc == SSH_OK) {
        start_tunnel(opening.channel, request);
      } else {
        request.done.set_value(std::unexpected(open_error(
            rc, opening, "could not open a tunnel to " + request.host + ":" + std::to_string(request.port))));
        if (opening.channel != nullptr) ssh_channel_free(opening.channel);
      }
      it = m_opening_tunnels.erase(it);
      progress = true;
    }
    for (auto it = m_opening_execs.begin(); it != m_opening_execs.end();) {
      auto& [opening, request] = *it;
      int rc = opening.channel == nullptr ? SSH_ERROR : SSH_OK;
      if (rc == SSH_OK && !opening.opened) {
        rc = without_blocking([&] { return ssh_channel_open_session(opening.channel); });
        opening.opened = rc == SSH_OK;
      }
      if (rc == SSH_OK) {
        rc = without_blocking(
            [&] { return ssh_channel_request_exec(opening.channel, request.command.c_str()); });
      }
      if (rc == SSH_AGAIN && now < opening.deadline) {
        ++it;
        continue;
      }
      if (rc == SSH_OK) {
        start_exec(opening.channel, request);
      } else {
        request.done.set_value(std::unexpected(open_error(rc, opening, "cannot start a command")));
        if (opening.channel != nullptr) close_channel(opening.channel);
      }
      it = m_opening_execs.erase(it);
      progress = true;
    }
  }

  void start_tunnel(ssh_channel channel, TunnelRequest& request) {
    std::array<int, 2> pair{-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
      close_channel(channel);
      request.done.set_value(std::unexpected(SshError{SshErrorKind::error, "socketpair failed"}));
      return;
    }
    ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
    Tunnel tunnel;
    tunnel.channel = channel;
    tunnel.fd = pair[0];
    m_tunnels.push_back(std::move(tunnel));
    request.done.set_value(pair[1]);
  }

  void start_exec(ssh_channel channel, ExecRequest& request) {
    ssh_channel_send_eof(channel);
    Exec exec;
    exec.channel = channel;
    exec.start = SteadyClock::now();
    exec.deadline = exec.start + request.timeout;
    exec.timeout = request.timeout;
    exec.done = std::move(request.done);
    m_execs.push_back(std::move(exec));
  }

  // Moves bytes both ways; true when the tunnel is finished and can be dropped.
  static bool pump(Tunnel& t, bool& progress) {
    std::array<char, 32768> buffer{};
    if (!t.local_eof) {
      const ssize_t n = ::read(t.fd, buffer.data(), buffer.size());
      if (n > 0) {
        if (ssh_channel_write(t.channel, buffer.data(), static_cast<uint32_t>(n)) == SSH_ERROR) {
          return true;
        }
        progress = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        t.local_eof = true;
        ssh_channel_send_eof(t.channel);
        progress = true;
      }
    }
    while (t.to_local.size() < k_max_pending) {
      const int n = ssh_channel_read_nonblocking(t.channel, buffer.data(),
                                                 static_cast<uint32_t>(buffer.size()), 0);
      if (n == SSH_ERROR) return true;
      if (n <= 0) break;
      t.to_local.append(buffer.data(), static_cast<std::size_t>(n));
      progress = true;
    }
    if (!t.to_local.empty()) {
      const ssize_t n = ::send(t.fd, t.to_local.data(), t.to_local.size(), MSG_NOSIGNAL);
      if (n > 0) {
        t.to_local.erase(0, static_cast<std::size_t>(n));
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return true;  // the fd's user is gone
      }
    }
    const bool remote_done = ssh_channel_is_eof(t.channel) != 0 || ssh_channel_is_closed(t.channel) != 0;
    if (remote_done && t.to_local.empty() && !t.shut_wr) {
      ::shutdown(t.fd, SHUT_WR);
      t.shut_wr = true;
      progress = true;
    }
    return t.shut_wr && t.local_eof;
  }

  // Collects output; true when the command ended (or timed out) and its promise is set.
  static bool pump(Exec& e, bool& progress) {
    std::array<char, 16384> buffer{};
    for (int stream : {0, 1}) {
      std::string& sink = stream == 0 ? e.result.out : e.result.err;
      for (int n; (n = ssh_channel_read_nonblocking(e.channel, buffer.data(),
                                                    static_cast<uint32_t>(buffer.size()),
                                                    stream)) > 0;) {
        sink.append(buffer.data(), static_cast<std::size_t>(n));
        progress = true;
      }
    }
    if (ssh_channel_is_eof(e.channel) != 0 || ssh_channel_is_closed(e.channel) != 0) {
      e.result.exit_status = ssh_channel_get_exit_status(e.channel);
      e.result.elapsed_ms =
          std::chrono::duration<double, std::milli>(SteadyClock::now() - e.start).count();
      e.done.set_value(std::move(e.result));
      return true;
    }
    if (SteadyClock::now() >= e.deadline) {
      e.done.set_value(std::unexpected(
          SshError{SshErrorKind::timeout, "command did not finish within " +
                                              std::to_string(e.timeout.count()) + " ms"}));
      return true;
    }
    return false;
  }

  void pump_all(bool& progress) {
    for (auto it = m_tunnels.begin(); it != m_tunnels.end();) {
      if (pump(*it, progress)) {
        close_channel(it->channel);
        ::close(it->fd);
        it = m_tunnels.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    for (auto it = m_execs.begin(); it != m_execs.end();) {
      if (pump(*it, progress)) {
        close_channel(it->channel);
        it = m_execs.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
    // libssh may have read packets for a channel already visited during a later call: look again
    // so they are not left waiting for the next poll timeout.
    for (const Tunnel& t : m_tunnels) progress = progress || ssh_channel_poll(t.channel, 0) > 0;
    for (const Exec& e : m_execs) {
      progress = progress || ssh_channel_poll(e.channel, 0) > 0 || ssh_channel_poll(e.channel, 1) > 0;
    }
  }

  void wait_for_io(bool progress) {
    std::vector<pollfd> fds{{m_host.m_wake_fd, POLLIN, 0}, {ssh_get_fd(m_session), POLLIN, 0}};
    for (const Tunnel& t : m_tunnels) {
      const auto events = static_cast<short>((t.local_eof ? 0 : POLLIN) |
                                             (t.to_local.empty() ? 0 : POLLOUT));
      if (events != 0) fds.push_back({t.fd, events, 0});
    }
    const bool waiting = !m_execs.empty() || !m_opening_execs.empty() || !m_opening_tunnels.empty();
    const int timeout_ms = progress ? 0 : (waiting ? 20 : 200);
    ::poll(fds.data(), fds.size(), timeout_ms);
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = ::read(m_host.m_wake_fd, &count, sizeof count);
    }
  }

  void fail_all(const SshError& reason, std::vector<ExecRequest>& waiting_execs) {
    for (auto& [opening, request] : m_opening_tunnels) {
      request.done.set_value(std::unexpected(reason));
      if (opening.channel != nullptr) ssh_channel_free(opening.channel);
    }
    m_opening_tunnels.clear();
    for (auto& [opening, request] : m_opening_execs) {
      request.done.set_value(std::unexpected(reason));
      if (opening.channel != nullptr) ssh_channel_free(opening.channel);
    }
    m_opening_execs.clear();
    for (Tunnel& t : m_tunnels) {
      close_channel(t.channel);
      ::close(t.fd);
    }
    m_tunnels.clear();
    for (Exec& e : m_execs) {
      e.done.set_value(std::unexpected(reason));
      close_channel(e.channel);
    }
    m_execs.clear();
    for (ExecRequest& r : waiting_execs) r.done.set_value(std::unexpected(reason));
    waiting_execs.clear();
  }

  SessionHost& m_host;
  ssh_session m_session;
  std::list<std::pair<Opening, TunnelRequest>> m_opening_tunnels;
  std::list<std::pair<Opening, ExecRequest>> m_opening_execs;
  std::list<Tunnel> m_tunnels;
  std::list<Exec> m_execs;
};

SessionHost::SessionHost(Endpoint endpoint, std::shared_ptr<SessionHost> via, SshSettings settings,
                         int max_sessions)
    : m_endpoint(std::move(endpoint)),
      m_via(std::move(via)),
      m_settings(std::move(settings)),
      m_max_sessions(std::max(max_sessions, 1)),
      m_wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      m_thread([this] { run(); }) {}

SessionHost::~SessionHost() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  wake();
  if (m_thread.joinable()) m_thread.join();
  if (m_wake_fd >= 0) ::close(m_wake_fd);
}

void SessionHost::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(m_wake_fd, &one, sizeof one);
}

SshExpected<std::string> SessionHost::wait_connected() {
  std::unique_lock lock(m_mutex);
  m_connected_cv.wait(lock, [this] { return m_connected.has_value(); });
  return *m_connected;
}

std::future<SshExpected<ExecResult>> SessionHost::exec(std::string command,
                                                       std::chrono::milliseconds timeout) {
  std::promise<SshExpected<ExecResult>> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(m_mutex);
    if (m_loop_gone) {
      done.set_value(std::unexpected(m_gone_reason));
      return future;
    }
    m_exec_queue.push_back({std::move(command), timeout, std::move(done)});
  }
  wake();
  return future;
}

std::future<SshExpected<int>> SessionHost::open_tunnel(std::string host, int port) {
  std::promise<SshExpected<int>> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(m_mutex);
    if (m_loop_gone) {
      done.set_value(std::unexpected(m_gone_reason));
      return future;
    }
    m_tunnel_queue.push_back({std::move(host), port, std::move(done)});
  }
  wake();
  return future;
}

SshExpected<Connected> SessionHost::connect() {
  if (!m_via) return connect_session(m_endpoint, -1, m_settings);
  const std::string hop = "via jump host " + describe(m_via->endpoint()) + ": ";
  if (auto jump = m_via->wait_connected(); !jump) {
    return std::unexpected(SshError{jump.error().kind, hop + jump.error().message});
  }
  auto fd = m_via->open_tunnel(m_endpoint.host, m_endpoint.port).get();
  if (!fd) return std::unexpected(SshError{fd.error().kind, hop + fd.error().message});
  return connect_session(m_endpoint, *fd, m_settings);
}

void SessionHost::run() {
  auto connected = connect();
  {
    std::lock_guard lock(m_mutex);
    if (connected) {
      m_connected = connected->hostkey_sha256;
    } else {
      m_connected = std::unexpected(connected.error());
    }
  }
  m_connected_cv.notify_all();
  SshError reason = connected ? Loop(*this, connected->session.get()).run() : connected.error();
  std::deque<ExecRequest> execs;
  std::deque<TunnelRequest> tunnels;
  {
    std::lock_guard lock(m_mutex);
    m_loop_gone = true;
    m_gone_reason = reason;
    execs.swap(m_exec_queue);
    tunnels.swap(m_tunnel_queue);
  }
  for (auto& r : execs) r.done.set_value(std::unexpected(reason));
  for (auto& r : tunnels) r.done.set_value(std::unexpected(reason));
}

}  // namespace labctl::matrix
