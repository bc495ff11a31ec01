#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include <libssh/libssh.h>

#include "ssh/endpoint.hpp"

namespace labctl::ssh {

// Why an SSH operation failed; host_key failures are identity failures of that host.
enum class SshErrorKind { refused, timeout, auth, host_key, error };

struct SshError {
  SshErrorKind kind = SshErrorKind::error;
  std::string message;  // says which host and what to do
};

template <class T>
using SshExpected = std::expected<T, SshError>;

// Host-key policy from CE_SSH_STRICT_HOST_KEY_CHECKING: "yes" (default) accepts only keys that
// are in known_hosts; "accept-new" also accepts hosts with no entry (a changed key still fails);
// "no"/"off" accepts any key. known_hosts is never written.
enum class HostKeyPolicy { strict, accept_new, off };
[[nodiscard]] HostKeyPolicy parse_host_key_policy(const std::string& text);

// How to connect and authenticate; ssh/settings.hpp resolves it (env > run > profile > default).
struct SshSettings {
  std::string key_file;      // SSH_KEY_FILE; empty: the agent below, then ~/.ssh ids
  std::string agent_socket;  // SSH_AUTH_SOCK; empty: no agent is asked
  std::string known_hosts;  // the user known_hosts file checked for every host
  HostKeyPolicy policy = HostKeyPolicy::strict;
  // CE_SSH_CONNECT_TIMEOUT: TCP connect, banner and key exchange together, then each
  // authentication step; a peer that accepts TCP and never speaks fails after this long.
  long connect_timeout_s = 8;
  [[nodiscard]] bool operator==(const SshSettings&) const = default;
};

struct SessionDeleter {
  void operator()(ssh_session session) const;
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionDeleter>;

struct Connected {
  SessionPtr session;
  std::string hostkey_sha256;  // "SHA256:..." of the key the server proved it holds
};

// Connects to `endpoint`, verifies its host key and authenticates. With `fd` >= 0 the session
// runs over that connected stream (a tunnel) and takes ownership of it, whatever the outcome;
// with -1 it opens a TCP connection itself. The session is blocking and must then be used by
// one thread at a time. ~/.ssh/config is not read: behaviour depends only on `settings`.
[[nodiscard]] SshExpected<Connected> connect_session(const Endpoint& endpoint, int fd,
                                                     const SshSettings& settings);

// A remote command's output is outside text of any size: each stream keeps at most this many
// bytes (the rest is read and dropped, so the command can still finish), and it is bytes, not
// UTF-8 (text::printable before it is logged, stored or serialised).
inline constexpr std::size_t k_max_output_bytes = std::size_t{1} << 20U;  // 1 MiB per stream
// An error text that quotes a peer (libssh's text, a remote status line) is kept, after
// text::printable, to at most this many bytes.
inline constexpr std::size_t k_max_error_bytes = 4096;

struct ExecResult {
  int exit_status = -1;  // -1: the command ended without one (killed by a signal)
  std::string out;
  std::string err;
  bool truncated = false;  // out or err reached k_max_output_bytes and lost the rest
  double elapsed_ms = 0;   // from the channel's start to the command's end
};

// Appends `bytes` to `sink` up to k_max_output_bytes; sets `truncated` when some were dropped.
void append_capped(std::string& sink, std::string_view bytes, bool& truncated);

// Runs `command` on a session owned by the calling thread and collects its output (capped as
// above). Every step (channel open, exec request, output, exit status) is bounded by
// `timeout`, whatever the server does: a server that stops answering is a timeout error.
[[nodiscard]] SshExpected<ExecResult> exec_blocking(ssh_session session, const std::string& command,
                                                    std::chrono::milliseconds timeout);

// Calls ssh_init() once per process (thread-safe) and ssh_finalize() at exit.
void ensure_libssh_initialized();

}  // namespace labctl::ssh
