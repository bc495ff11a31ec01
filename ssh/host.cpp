#include "ssh/host.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <list>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "core/text.hpp"

namespace labctl::ssh {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t k_max_pending = 256 * 1024;  // channel bytes buffered towards a tunnel fd

struct Tunnel {
  ssh_channel channel = nullptr;
  int fd = -1;             // our end of the socketpair (non-blocking)
  std::string to_local;    // read from the channel, not yet written to fd
  std::string to_remote;   // read from fd, not yet taken by the channel (its window was full)
  bool local_eof = false;  // the fd's user closed its writing side
  bool eof_sent = false;   // ... and everything it wrote went out, then our EOF
  bool shut_wr = false;    // the remote side ended and everything was handed over
};

}  // namespace

class SessionHost::Loop {
 public:
  Loop(SessionHost& host, ssh_session session)
      : m_host(host),
        m_session(session),
        m_session_limit(host.m_max_sessions),
        m_event(ssh_event_new()) {
    ssh_set_counters(m_session, &m_socket_counter, nullptr);
    if (m_event != nullptr) ssh_event_add_session(m_event, m_session);
  }
  ~Loop() {
    ssh_set_counters(m_session, nullptr, nullptr);
    if (m_event != nullptr) {
      ssh_event_remove_session(m_event, m_session);
      ssh_event_free(m_event);
    }
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Serves requests until the host stops or the connection dies; returns why it ended.
  SshError run() {
    while (true) {
      bool progress = false;
      {
        std::lock_guard lock(m_host.m_mutex);
        if (m_host.m_stop) break;
        for (auto& r : m_host.m_tunnel_queue) {
          m_tunnel_openings.push_back({new_channel(), deadline_from_now(), std::move(r)});
          progress = true;
        }
        m_host.m_tunnel_queue.clear();
        for (auto& r : m_host.m_exec_queue) m_waiting_execs.push_back(std::move(r));
        m_host.m_exec_queue.clear();
      }
      const auto read_before = m_socket_counter.in_bytes;
      const auto written_before = m_socket_counter.out_bytes;
      // Reads and dispatches what the server sent. Channel calls do that too, but not once
      // every channel has seen EOF, and the closes we wait for come after it.
      if (m_event != nullptr) ssh_event_dopoll(m_event, 0);
      admit_execs(progress);
      advance_tunnel_openings(progress);
      pump_tunnels(progress);
      step_execs(progress);
      if (ssh_is_connected(m_session) == 0) {
        SshError lost{SshErrorKind::error, "lost the connection to " +
                                               describe(m_host.m_endpoint) + ": " +
                                               libssh_detail()};
        fail_all(lost);
        return lost;
      }
      const bool received = m_socket_counter.in_bytes != read_before;
      if (received && m_socket_counter.out_bytes == written_before && awaiting_open()) {
        // sshd may hold the answer to our open behind Nagle until this input is acknowledged,
        // and with nothing to send our socket delays that ACK by 40 ms: give the ACK a packet
        // to ride on (see open_session_channel in ssh_session.cpp).
        without_blocking([&] { return ssh_send_ignore(m_session, ""); });
      }
      // Packets libssh read during this pass may belong to a channel visited earlier in it,
      // and poll() no longer sees them on the socket: look again at once.
      progress = progress || received;
      wait_for_io(progress);
    }
    SshError stopped{SshErrorKind::error, "session to " + describe(m_host.m_endpoint) + " closed"};
    fail_all(stopped);
    return stopped;
  }

 private:
  // A direct-tcpip open in flight. Opens are driven without blocking, so one slow open (a
  // destination slow to accept) never stalls the host's other channels. An open past its
  // deadline is answered with a timeout but kept until the server answers it: only a confirmed
  // channel has a server-side number to close (closing an unconfirmed one would send
  // CHANNEL_CLOSE for whatever channel the stale number names), and dropping it unanswered
  // would leave sshd's connection to the target open.
  struct TunnelOpening {
    ssh_channel channel = nullptr;
    SteadyClock::time_point deadline;
    std::optional<TunnelRequest> request;  // nullopt once answered
  };

  // One exec channel from its open request until sshd's CHANNEL_CLOSE, i.e. for as long as it
  // holds one of sshd's session slots. Phases: the session channel opens, the exec request is
  // accepted, the command runs (we sent EOF on its stdin), and once we closed our side (output
  // ended and exit status known, a timeout, an abandoned open) we wait for sshd's close. The
  // channel is freed only then: a close callback must never outlive its record.
  struct Exec {
    enum class Phase { opening, requesting, running, closing };
    Phase phase = Phase::opening;
    ssh_channel channel = nullptr;
    ssh_channel_callbacks_struct callbacks{};
    bool remote_closed = false;  // set by libssh's callbacks, as sshd's messages arrive
    bool exited = false;         // exit status or exit signal received
    int exit_status = -1;
    bool open_sent = false;
    std::uint64_t closes_before_open = 0;  // our closes sent before the open request
    std::uint64_t confirmed_before_open = 0;  // of those, how many sshd had surely handled
    SteadyClock::time_point start;
    SteadyClock::time_point deadline;
    std::optional<ExecRequest> request;  // nullopt once answered
    ExecResult result;
  };

  static void on_remote_close(ssh_session, ssh_channel, void* exec) {
    static_cast<Exec*>(exec)->remote_closed = true;
  }
  static void on_exit_status(ssh_session, ssh_channel, int status, void* exec) {
    static_cast<Exec*>(exec)->exit_status = status;
    static_cast<Exec*>(exec)->exited = true;
  }
  static void on_exit_signal(ssh_session, ssh_channel, const char*, int, const char*, const char*,
                             void* exec) {
    static_cast<Exec*>(exec)->exited = true;
  }

  // True while an open we sent (session channel or tunnel) has no answer yet.
  [[nodiscard]] bool awaiting_open() const {
    return !m_tunnel_openings.empty() ||
           std::any_of(m_execs.begin(), m_execs.end(), [](const Exec& e) {
             return e.phase == Exec::Phase::opening && e.open_sent;
           });
  }

  ssh_channel new_channel() const { return ssh_channel_new(m_session); }
  SteadyClock::time_point deadline_from_now() const {
    return SteadyClock::now() + std::chrono::seconds(m_host.m_settings.connect_timeout_s);
  }

  // Runs one libssh call with the session non-blocking: it returns SSH_AGAIN instead of waiting
  // for the server, and calling it again later continues the same pending operation. Every call
  // that sends or waits goes through here: the loop serves many channels and a blocking call
  // would let one unresponsive peer stall them all (libssh's blocking waits are unbounded for
  // some answers).
  template <class Step>
  int without_blocking(Step step) {
    ssh_set_blocking(m_session, 0);
    const int rc = step();
    ssh_set_blocking(m_session, 1);
    return rc;
  }

  SshError timed_out(const std::string& what) const {
    return {SshErrorKind::timeout, describe(m_host.m_endpoint) + ": " + what + " timed out after " +
                                       std::to_string(m_host.m_settings.connect_timeout_s) + " s"};
  }
  SshError refused(const std::string& what, ssh_channel channel) const {
    const std::string detail = channel == nullptr ? "out of memory" : libssh_detail();
    const auto kind =
        detail.find("refused") != std::string::npos ? SshErrorKind::refused : SshErrorKind::error;
    return {kind, describe(m_host.m_endpoint) + ": " + what + ": " + detail};
  }

  // libssh's last error, printable. Once the socket is gone libssh's text is often a stale
  // errno ("Resource temporarily unavailable"): say what happened first.
  std::string libssh_detail() const {
    const std::string detail = text::printable(ssh_get_error(m_session));
    if (ssh_is_connected(m_session) != 0) return detail;
    return "the connection was closed or reset by the server (sshd stopped or killed?; libssh: " +
           detail + ")";
  }

  void advance_tunnel_openings(bool& progress) {
    const auto now = SteadyClock::now();
    for (auto it = m_tunnel_openings.begin(); it != m_tunnel_openings.end();) {
      TunnelOpening& o = *it;
      const std::string what =
          o.request ? "could not open a tunnel to " + o.request->host + ":" +
                          std::to_string(o.request->port)
                    : std::string();
      const int rc = o.channel == nullptr ? SSH_ERROR : without_blocking([&] {
        // Arguments only matter for the first call; later calls wait for the same open.
        return ssh_channel_open_forward(o.channel, o.request ? o.request->host.c_str() : "",
                                        o.request ? o.request->port : 0, "127.0.0.1", 0);
      });
      if (rc == SSH_AGAIN) {
        if (o.request && now >= o.deadline) {
          o.request->done.set_value(std::unexpected(timed_out(what)));
          o.request.reset();
          progress = true;
        }
        ++it;
        continue;
      }
      if (rc == SSH_OK && o.request) {
        start_tunnel(o.channel, *o.request);
      } else if (rc == SSH_OK) {
        // Answered already: the late channel is not wanted.
        without_blocking([&] { return ssh_channel_close(o.channel); });
        ssh_channel_free(o.channel);
      } else {
        if (o.request) o.request->done.set_value(std::unexpected(refused(what, o.channel)));
        if (o.channel != nullptr) ssh_channel_free(o.channel);  // never opened: nothing to close
      }
      it = m_tunnel_openings.erase(it);
      progress = true;
    }
  }

  void start_tunnel(ssh_channel channel, TunnelRequest& request) {
    std::array<int, 2> pair{-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
      without_blocking([&] { return ssh_channel_close(channel); });
      ssh_channel_free(channel);
      request.done.set_value(std::unexpected(SshError{SshErrorKind::error, "socketpair failed"}));
      return;
    }
    ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
    Tunnel& tunnel = m_tunnels.emplace_back();
    tunnel.channel = channel;
    tunnel.fd = pair[0];
    request.done.set_value(pair[1]);
  }

  // Moves bytes both ways; true when the tunnel is finished and can be dropped. Writes to the
  // channel never block: a peer that stops reading (its window stays full) holds only its own
  // tunnel's bytes, never the host's other channels.
  bool pump(Tunnel& t, bool& progress) {
    std::array<char, 32768> buffer{};
    if (!t.local_eof && t.to_remote.empty()) {
      const ssize_t n = ::read(t.fd, buffer.data(), buffer.size());
      if (n > 0) {
        t.to_remote.assign(buffer.data(), static_cast<std::size_t>(n));
        progress = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        t.local_eof = true;
        progress = true;
      }
    }
    if (!t.to_remote.empty()) {
      const int n = without_blocking([&] {
        return ssh_channel_write(t.channel, t.to_remote.data(),
                                 static_cast<uint32_t>(t.to_remote.size()));
      });
      if (n == SSH_ERROR) return true;
      if (n > 0) {
        t.to_remote.erase(0, static_cast<std::size_t>(n));
        progress = true;
      }
    }
    if (t.local_eof && t.to_remote.empty() && !t.eof_sent) {
      without_blocking([&] { return ssh_channel_send_eof(t.channel); });
      t.eof_sent = true;
      progress = true;
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
    const bool remote_done =
        ssh_channel_is_eof(t.channel) != 0 || ssh_channel_is_closed(t.channel) != 0;
    if (remote_done && t.to_local.empty() && !t.shut_wr) {
      ::shutdown(t.fd, SHUT_WR);
      t.shut_wr = true;
      progress = true;
    }
    return t.shut_wr && t.eof_sent;
  }

  void pump_tunnels(bool& progress) {
    for (auto it = m_tunnels.begin(); it != m_tunnels.end();) {
      if (pump(*it, progress)) {
        without_blocking([&] { return ssh_channel_close(it->channel); });
        ssh_channel_free(it->channel);
        ::close(it->fd);
        it = m_tunnels.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }

  // Starts waiting execs while a session slot is free; a request that could not start within
  // its timeout fails.
  void admit_execs(bool& progress) {
    while (!m_waiting_execs.empty() && std::ssize(m_execs) < m_session_limit) {
      Exec& e = m_execs.emplace_back();
      e.channel = new_channel();
      e.start = SteadyClock::now();
      e.deadline = deadline_from_now();
      e.request = std::move(m_waiting_execs.front());
      m_waiting_execs.pop_front();
      if (e.channel != nullptr) {
        ssh_callbacks_init(&e.callbacks);
        e.callbacks.userdata = &e;
        e.callbacks.channel_close_function = on_remote_close;
        e.callbacks.channel_exit_status_function = on_exit_status;
        e.callbacks.channel_exit_signal_function = on_exit_signal;
        ssh_set_channel_callbacks(e.channel, &e.callbacks);
      }
      progress = true;
    }
    const auto now = SteadyClock::now();
    for (auto it = m_waiting_execs.begin(); it != m_waiting_execs.end();) {
      if (now - it->queued < it->timeout) {
        ++it;
        continue;
      }
      it->done.set_value(std::unexpected(SshError{
          SshErrorKind::timeout,
          describe(m_host.m_endpoint) + ": no free session slot within " +
              std::to_string(it->timeout.count()) + " ms (" + std::to_string(m_execs.size()) +
              " commands still hold one)"}));
      it = m_waiting_execs.erase(it);
      progress = true;
    }
  }

  void answer(Exec& e, SshExpected<ExecResult> value) {
    if (!e.request) return;
    e.request->done.set_value(std::move(value));
    e.request.reset();
  }

  // Ends our side of an open channel (once: libssh sends one close); the slot stays held until
  // sshd's close.
  void close_our_side(Exec& e) {
    if (e.phase == Exec::Phase::closing) return;
    without_blocking([&] { return ssh_channel_close(e.channel); });
    e.phase = Exec::Phase::closing;
    ++m_closes_sent;
  }

  // Slots sshd holds for us besides `e`: every exec whose session channel it opened.
  [[nodiscard]] int slots_held_besides(const Exec& e) const {
    int held = 0;
    for (const Exec& other : m_execs) {
      const bool opened =
          other.phase != Exec::Phase::opening || ssh_channel_is_open(other.channel) != 0;
      if (&other != &e && opened) ++held;
    }
    return held;
  }

  // One step of one exec; true when it no longer holds a slot and can be dropped.
  bool step(Exec& e, bool& progress) {
    const auto now = SteadyClock::now();
    if (e.channel == nullptr) {
      answer(e, std::unexpected(refused("cannot start a command", nullptr)));
      return true;
    }
    if (e.phase == Exec::Phase::opening) {
      if (!e.open_sent) {
        e.open_sent = true;
        e.closes_before_open = m_closes_sent;
        e.confirmed_before_open = m_closes_confirmed;
      }
      const int rc = without_blocking([&] { return ssh_channel_open_session(e.channel); });
      if (rc == SSH_ERROR) return open_refused(e);
      if (rc == SSH_OK) {
        m_closes_confirmed = std::max(m_closes_confirmed, e.closes_before_open);
        e.phase = Exec::Phase::requesting;
        progress = true;
      }
    }
    if (e.phase == Exec::Phase::requesting) {
      if (!e.request) {
        close_our_side(e);  // abandoned while opening
        progress = true;
        return false;
      }
      const int rc = without_blocking(
          [&] { return ssh_channel_request_exec(e.channel, e.request->command.c_str()); });
      if (rc == SSH_ERROR) {
        answer(e, std::unexpected(refused("cannot start a command", e.channel)));
        close_our_side(e);
        progress = true;
        return false;
      }
      if (rc == SSH_OK) {
        without_blocking([&] { return ssh_channel_send_eof(e.channel); });
        e.phase = Exec::Phase::running;
        e.start = now;
        e.deadline = now + e.request->timeout;
        progress = true;
      }
    }
    if (e.phase == Exec::Phase::opening || e.phase == Exec::Phase::requesting) {
      if (e.request && now >= e.deadline) {
        answer(e, std::unexpected(timed_out("cannot start a command")));
        progress = true;
      }
      return false;
    }
    if (e.phase == Exec::Phase::running) {
      collect_output(e, progress);
      const bool finished = e.remote_closed || (e.exited && ssh_channel_is_eof(e.channel) != 0);
      if (finished) {
        // Reading one stream lets libssh take in packets for both: stdout that arrived (with
        // the close) while stderr was read is still buffered. The close comes after all of the
        // output, so one more pass reads the rest (a lost last line read as no default_gw).
        collect_output(e, progress);
        e.result.exit_status = e.exit_status;
        e.result.elapsed_ms = std::chrono::duration<double, std::milli>(now - e.start).count();
        answer(e, std::move(e.result));
      } else if (now >= e.deadline) {
        const auto limit = std::to_string(e.request->timeout.count());
        answer(e, std::unexpected(SshError{SshErrorKind::timeout,
                                           "command did not finish within " + limit + " ms"}));
      }
      if (finished || !e.request) {
        close_our_side(e);
        progress = true;
      }
    }
    if (!e.remote_closed) return false;
    close_our_side(e);  // in case sshd closed first: the reply that frees its slot
    release(e);
    progress = true;
    return true;
  }

  // sshd refused the session channel: no free slot. sshd frees a closed session's slot only
  // after handling the packet batch holding our close: an open in that same batch is refused
  // although the slot is free a moment later. An answer to an open sent after a close proves
  // that moment passed (sshd answers a batch after freeing its slots), so a refusal counts as
  // sshd's limit only when every close we sent before the open had been so confirmed before it
  // was sent; otherwise the command just opens again. At its limit, sshd held the slots we
  // hold: we keep to that many from then on and the command waits for one; holding none, it
  // is the command's failure.
  bool open_refused(Exec& e) {
    const bool maybe_not_yet_freed = e.closes_before_open > e.confirmed_before_open;
    m_closes_confirmed = std::max(m_closes_confirmed, e.closes_before_open);
    const int held = slots_held_besides(e);
    if (e.request && (maybe_not_yet_freed || held > 0)) {
      if (!maybe_not_yet_freed) m_session_limit = std::min(m_session_limit, held);
      m_waiting_execs.push_front(std::move(*e.request));
      e.request.reset();
    }
    answer(e, std::unexpected(refused("cannot start a command", e.channel)));
    release(e);
    return true;
  }

  static void collect_output(Exec& e, bool& progress) {
    std::array<char, 16384> buffer{};
    for (int stream : {0, 1}) {
      std::string& sink = stream == 0 ? e.result.out : e.result.err;
      for (int n; (n = ssh_channel_read_nonblocking(e.channel, buffer.data(),
                                                    static_cast<uint32_t>(buffer.size()),
                                                    stream)) > 0;) {
        append_capped(sink, {buffer.data(), static_cast<std::size_t>(n)}, e.result.truncated);
        progress = true;
      }
    }
  }

  // Frees a channel the server closed or never opened (ssh_channel_free then sends nothing);
  // the callbacks go first, as libssh may keep the channel a little longer than our record.
  static void release(Exec& e) {
    ssh_remove_channel_callbacks(e.channel, &e.callbacks);
    ssh_channel_free(e.channel);
  }

  void step_execs(bool& progress) {
    for (auto it = m_execs.begin(); it != m_execs.end();) {
      it = step(*it, progress) ? m_execs.erase(it) : std::next(it);
    }
  }

  void wait_for_io(bool progress) {
    std::vector<pollfd> fds{{m_host.m_wake_fd, POLLIN, 0}, {ssh_get_fd(m_session), POLLIN, 0}};
    for (const Tunnel& t : m_tunnels) {
      const bool reading = !t.local_eof && t.to_remote.empty();
      const auto events = static_cast<short>((reading ? POLLIN : 0) |
                                             (t.to_local.empty() ? 0 : POLLOUT));
      if (events != 0) fds.push_back({t.fd, events, 0});
    }
    const bool waiting = !m_execs.empty() || !m_waiting_execs.empty() || !m_tunnel_openings.empty();
    const int timeout_ms = progress ? 0 : (waiting ? 20 : 200);
    ::poll(fds.data(), fds.size(), timeout_ms);
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = ::read(m_host.m_wake_fd, &count, sizeof count);
    }
  }

  // The connection is gone or the host stops: answer everything and free every channel.
  void fail_all(const SshError& reason) {
    for (TunnelOpening& o : m_tunnel_openings) {
      if (o.request) o.request->done.set_value(std::unexpected(reason));
      if (o.channel != nullptr) ssh_channel_free(o.channel);
    }
    m_tunnel_openings.clear();
    for (Tunnel& t : m_tunnels) {
      ssh_channel_free(t.channel);
      ::close(t.fd);
    }
    m_tunnels.clear();
    for (Exec& e : m_execs) {
      answer(e, std::unexpected(reason));
      if (e.channel != nullptr) release(e);
    }
    m_execs.clear();
    for (ExecRequest& r : m_waiting_execs) r.done.set_value(std::unexpected(reason));
    m_waiting_execs.clear();
  }

  SessionHost& m_host;
  ssh_session m_session;
  int m_session_limit;  // session slots we may hold: max_sessions, or sshd's lower limit
  std::uint64_t m_closes_sent = 0;       // exec channels we closed
  std::uint64_t m_closes_confirmed = 0;  // of those, how many sshd surely freed (see open_refused)
  ssh_event m_event;  // the session's socket alone: reads input when no channel call would
  ssh_counter_struct m_socket_counter{};  // bytes libssh read from the socket
  std::list<TunnelOpening> m_tunnel_openings;
  std::list<Tunnel> m_tunnels;
  std::deque<ExecRequest> m_waiting_execs;
  std::list<Exec> m_execs;  // stable addresses: libssh's callbacks point at them
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
    m_exec_queue.push_back(
        {std::move(command), timeout, std::chrono::steady_clock::now(), std::move(done)});
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

}  // namespace labctl::ssh
