#include "ssh/session.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>
#include <poll.h>
#include <unistd.h>

#include "core/text.hpp"

namespace labctl::ssh {
namespace {

using SteadyClock = std::chrono::steady_clock;

long long ms_left(SteadyClock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
      .count();
}

// Waits up to 200 ms (less near `deadline`) for input on the session's socket.
void wait_for_input(ssh_session session, SteadyClock::time_point deadline) {
  pollfd ready{ssh_get_fd(session), POLLIN, 0};
  ::poll(&ready, 1, static_cast<int>(std::clamp<long long>(ms_left(deadline), 0, 200)));
}

// Calls `step` with the session non-blocking until it answers something other than `again`
// or `deadline` passes (then the last answer, `again`, is returned). libssh's blocking calls
// wait for some answers (an exec request's, an exit status) without any bound, so a server
// that stops answering would hang the caller: every such step goes through here.
template <class Step>
int until_answered(ssh_session session, SteadyClock::time_point deadline, int again, Step step) {
  ssh_set_blocking(session, 0);
  int rc = again;
  while ((rc = step()) == again && ms_left(deadline) > 0) wait_for_input(session, deadline);
  ssh_set_blocking(session, 1);
  return rc;
}

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyDeleter>;

// Closes without waiting: the close is queued (a peer that stopped reading cannot block us).
struct ChannelDeleter {
  void operator()(ssh_channel channel) const {
    ssh_session session = ssh_channel_get_session(channel);
    ssh_set_blocking(session, 0);
    ssh_channel_close(channel);
    ssh_channel_free(channel);
    ssh_set_blocking(session, 1);
  }
};
using ChannelPtr = std::unique_ptr<ssh_channel_struct, ChannelDeleter>;

// libssh's error text quotes the peer (banners, disconnect reasons): outside text.
SshError classify(ssh_session session, const std::string& what) {
  const std::string detail = text::printable(ssh_get_error(session));
  SshErrorKind kind = SshErrorKind::error;
  if (detail.find("refused") != std::string::npos) kind = SshErrorKind::refused;
  if (detail.find("imeout") != std::string::npos || detail.find("timed out") != std::string::npos) {
    kind = SshErrorKind::timeout;
  }
  return {kind, what + ": " + detail};
}

SshExpected<std::string> server_fingerprint(ssh_session session, const std::string& where) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(session, &raw) != SSH_OK) {
    return std::unexpected(classify(session, where + ": no server host key"));
  }
  KeyPtr key(raw);
  unsigned char* hash = nullptr;
  std::size_t length = 0;
  if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != 0) {
    return std::unexpected(SshError{SshErrorKind::error, where + ": cannot hash the host key"});
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  std::string fingerprint = text != nullptr ? text : "";
  ssh_string_free_char(text);
  return fingerprint;
}

SshExpected<void> verify_host_key(ssh_session session, const Endpoint& endpoint,
                                  const SshSettings& settings, const std::string& fingerprint) {
  const std::string where = describe(endpoint);
  const std::string file = settings.known_hosts.empty() ? "~/.ssh/known_hosts" : settings.known_hosts;
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      if (settings.policy == HostKeyPolicy::off) return {};
      return std::unexpected(SshError{
          SshErrorKind::host_key,
          "host key mismatch for " + where + ": the server offered " + fingerprint +
              ", which does not match its entry in " + file +
              " (refusing to connect; if the host was rebuilt, update that entry)"});
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      if (settings.policy != HostKeyPolicy::strict) return {};
      return std::unexpected(SshError{
          SshErrorKind::host_key,
          "host key for " + where + " (" + fingerprint + ") is not in " + file +
              " (add it, or set CE_SSH_STRICT_HOST_KEY_CHECKING=accept-new)"});
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return std::unexpected(SshError{SshErrorKind::host_key,
                                  "cannot check the host key of " + where + " against " + file +
                                      ": " + text::printable(ssh_get_error(session))});
}

// Each attempt is bounded by the connect timeout: a server that completed the key exchange
// and then stops answering fails as a timeout.
SshExpected<void> authenticate(ssh_session session, const Endpoint& endpoint,
                               const SshSettings& settings) {
  const std::string where = describe(endpoint);
  const auto bounded = [&](auto step) {
    const auto deadline = SteadyClock::now() + std::chrono::seconds(settings.connect_timeout_s);
    return until_answered(session, deadline, SSH_AUTH_AGAIN, step);
  };
  int rc = SSH_AUTH_DENIED;
  std::string method;
  if (!settings.key_file.empty()) {
    ssh_key raw = nullptr;
    if (ssh_pki_import_privkey_file(settings.key_file.c_str(), nullptr, nullptr, nullptr, &raw) !=
        SSH_OK) {
      return std::unexpected(SshError{
          SshErrorKind::auth, "cannot read the private key " + settings.key_file +
                                  " (SSH_KEY_FILE / the run's key_file; it must be an unencrypted "
                                  "OpenSSH or PEM key)"});
    }
    KeyPtr key(raw);
    rc = bounded([&] { return ssh_userauth_publickey(session, nullptr, key.get()); });
    method = "key " + settings.key_file;
  } else {
    if (!settings.agent_socket.empty()) {
      rc = bounded([&] { return ssh_userauth_agent(session, nullptr); });
    }
    if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_AGAIN) {
      rc = bounded([&] { return ssh_userauth_publickey_auto(session, nullptr, nullptr); });
    }
    method = "ssh-agent and default identities";
  }
  if (rc == SSH_AUTH_SUCCESS) return {};
  if (rc == SSH_AUTH_AGAIN) {
    return std::unexpected(SshError{SshErrorKind::timeout,
                                    "authenticating to " + where + " timed out after " +
                                        std::to_string(settings.connect_timeout_s) +
                                        " s (the server stopped answering; CE_SSH_CONNECT_TIMEOUT)"});
  }
  if (rc == SSH_AUTH_ERROR) return std::unexpected(classify(session, "authenticating to " + where));
  return std::unexpected(SshError{SshErrorKind::auth, "authentication to " + where + " with " +
                                                          method + " was refused"});
}

// Opens a session channel. sshd sends its first packets after authentication (a hostkeys
// notice, "key options" debug messages, then our channel's confirmation) back to back without
// TCP_NODELAY (it sets that for pty sessions only), so Nagle holds the later ones until the
// first is acknowledged, and the receiving socket, with nothing to send while it waits for the
// confirmation, delays that ACK by 40 ms. Over a tunnel that receiving socket is the
// forwarding sshd's and out of our reach: an SSH_MSG_IGNORE (which every peer discards) sent
// whenever something arrives makes that socket send data, and the ACK rides along at once.
// That was most of a nested destination check (45 ms of ~70 ms).
SshExpected<void> open_session_channel(ssh_session session, ssh_channel channel,
                                       SteadyClock::time_point deadline) {
  constexpr int k_max_nudges = 4;  // the packets before the confirmation are few
  ssh_set_blocking(session, 0);
  int nudges = 0;
  int rc = SSH_AGAIN;
  while ((rc = ssh_channel_open_session(channel)) == SSH_AGAIN) {
    const auto left = ms_left(deadline);
    if (left <= 0) break;
    pollfd ready{ssh_get_fd(session), POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(std::min<long long>(left, 200))) > 0 &&
        nudges < k_max_nudges) {
      ++nudges;
      if (ssh_send_ignore(session, "") != SSH_OK) {
        rc = SSH_ERROR;  // e.g. the connection closed: say why, not "timed out"
        break;
      }
    }
  }
  ssh_set_blocking(session, 1);
  if (rc == SSH_OK) return {};
  if (rc == SSH_AGAIN) {
    return std::unexpected(SshError{SshErrorKind::timeout, "opening a session channel timed out"});
  }
  return std::unexpected(classify(session, "opening a session channel"));
}

}  // namespace

HostKeyPolicy parse_host_key_policy(const std::string& text) {
  if (text == "no" || text == "off" || text == "false" || text == "0") return HostKeyPolicy::off;
  if (text == "accept-new") return HostKeyPolicy::accept_new;
  return HostKeyPolicy::strict;
}

void SessionDeleter::operator()(ssh_session session) const {
  ssh_disconnect(session);
  ssh_free(session);
}

void ensure_libssh_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    ssh_init();
    std::atexit([] { ssh_finalize(); });
  });
}

SshExpected<Connected> connect_session(const Endpoint& endpoint, int fd,
                                       const SshSettings& settings) {
  ensure_libssh_initialized();
  SessionPtr session(ssh_new());
  if (!session) {
    if (fd >= 0) ::close(fd);
    return std::unexpected(SshError{SshErrorKind::error, "ssh_new failed (out of memory)"});
  }
  ssh_session s = session.get();
  unsigned int port = static_cast<unsigned int>(endpoint.port);
  long timeout = settings.connect_timeout_s;
  bool process_config = false;
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
  ssh_options_set(s, SSH_OPTIONS_HOST, endpoint.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, endpoint.user.c_str());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  if (!settings.known_hosts.empty()) {
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, settings.known_hosts.c_str());
  }
  if (!settings.agent_socket.empty()) {
    ssh_options_set(s, SSH_OPTIONS_IDENTITY_AGENT, settings.agent_socket.c_str());
  }
  if (fd >= 0) {
    socket_t socket = fd;
    ssh_options_set(s, SSH_OPTIONS_FD, &socket);  // ssh_free closes it from here on
  } else {
    // The matrix sends many small packets back to back (channel opens, execs, tunnelled
    // handshakes): with Nagle's algorithm each would wait for the peer's delayed ACK (40 ms).
    int nodelay = 1;
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
  }
  const std::string where = describe(endpoint);
  // Blocking ssh_connect bounds TCP connect, banner exchange and key exchange together by
  // SSH_OPTIONS_TIMEOUT: a peer that accepts and never speaks is a timeout, not a hang.
  if (ssh_connect(s) != SSH_OK) {
    auto error = classify(s, "connecting to " + where);
    if (error.kind == SshErrorKind::timeout) {
      // Over a tunnel the caller chose the timeout (the matrix: its command timeout).
      error.message += " (no SSH banner and key exchange within " + std::to_string(timeout) +
                       (fd >= 0 ? " s)" : " s; CE_SSH_CONNECT_TIMEOUT)");
    }
    return std::unexpected(std::move(error));
  }
  auto fingerprint = server_fingerprint(s, where);
  if (!fingerprint) return std::unexpected(fingerprint.error());
  if (auto ok = verify_host_key(s, endpoint, settings, *fingerprint); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = authenticate(s, endpoint, settings); !ok) return std::unexpected(ok.error());
  return Connected{std::move(session), std::move(*fingerprint)};
}

void append_capped(std::string& sink, std::string_view bytes, bool& truncated) {
  const std::size_t room = k_max_output_bytes - std::min(sink.size(), k_max_output_bytes);
  if (bytes.size() > room) truncated = true;
  sink.append(bytes.substr(0, room));
}

SshExpected<ExecResult> exec_blocking(ssh_session session, const std::string& command,
                                      std::chrono::milliseconds timeout) {
  const auto start = SteadyClock::now();
  const auto deadline = start + timeout;
  const auto timed_out = [&](const std::string& what) {
    return std::unexpected(SshError{SshErrorKind::timeout, what + " within " +
                                                               std::to_string(timeout.count()) +
                                                               " ms"});
  };
  ChannelPtr channel(ssh_channel_new(session));
  if (!channel) return std::unexpected(classify(session, "starting a command"));
  if (auto opened = open_session_channel(session, channel.get(), deadline); !opened) {
    return std::unexpected(opened.error());
  }
  const int requested = until_answered(session, deadline, SSH_AGAIN, [&] {
    return ssh_channel_request_exec(channel.get(), command.c_str());
  });
  if (requested == SSH_AGAIN) return timed_out("the server did not start the command");
  if (requested != SSH_OK) return std::unexpected(classify(session, "starting a command"));
  until_answered(session, deadline, SSH_AGAIN, [&] { return ssh_channel_send_eof(channel.get()); });
  ExecResult result;
  std::array<char, 4096> buffer{};
  const auto drain = [&](int stream, std::string& sink) {
    for (int n; (n = ssh_channel_read_nonblocking(channel.get(), buffer.data(),
                                                  static_cast<uint32_t>(buffer.size()),
                                                  stream)) > 0;) {
      append_capped(sink, {buffer.data(), static_cast<std::size_t>(n)}, result.truncated);
    }
  };
  while (!ssh_channel_is_eof(channel.get())) {
    const auto left = ms_left(deadline);
    if (left <= 0) return timed_out("command did not finish");
    const int n = ssh_channel_read_timeout(channel.get(), buffer.data(),
                                           static_cast<uint32_t>(buffer.size()), 0,
                                           static_cast<int>(std::min<long long>(left, 200)));
    if (n == SSH_ERROR) return std::unexpected(classify(session, "reading command output"));
    if (n > 0) append_capped(result.out, {buffer.data(), static_cast<std::size_t>(n)}, result.truncated);
    drain(1, result.err);
  }
  drain(0, result.out);
  drain(1, result.err);
  // The exit status follows the output's EOF; a command killed by a signal has none and the
  // channel closes without one. Non-blocking, ssh_channel_get_exit_status only reads what
  // arrived (-1 while nothing did).
  int status = -1;
  until_answered(session, deadline, SSH_AGAIN, [&] {
    status = ssh_channel_get_exit_status(channel.get());
    const bool settled = status != -1 || ssh_channel_is_closed(channel.get()) != 0 ||
                         ssh_is_connected(session) == 0;
    return settled ? SSH_OK : SSH_AGAIN;
  });
  if (status == -1 && ssh_is_connected(session) == 0) {
    return std::unexpected(classify(session, "waiting for the command's exit status"));
  }
  if (status == -1 && ssh_channel_is_closed(channel.get()) == 0) {
    return timed_out("the command's exit status did not arrive");
  }
  result.exit_status = status;
  result.elapsed_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
  return result;
}

}  // namespace labctl::ssh
