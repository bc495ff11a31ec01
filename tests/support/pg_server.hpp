#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace labctl::testing {

// Whether `pid` is a live process; a zombie counts as gone. A postmaster is not its starter's child
// (pg_ctl daemonises it), and where init does not reap, an exited one lingers as a zombie.
[[nodiscard]] bool process_running(pid_t pid);

// A real PostgreSQL 15 server (Debian's /usr/lib/postgresql/15/bin) in a temporary directory under
// /tmp, run as the `postgres` user, listening on 127.0.0.1 and on a unix socket in that directory
// only. It never touches another cluster on the machine: it is started with pg_ctl on its own data
// directory and stopped by the postmaster pid it started.
class PgServer {
 public:
  // The one server of this test process, started on first use and stopped at process exit;
  // nullptr with `why` filled when it cannot run (not root, postgres binaries or user missing,
  // initdb/start failed — the reason then ends with the output and the server log's tail).
  // A failure is remembered: later calls return nullptr with the same reason, without retrying.
  static PgServer* shared(std::string* why);

  ~PgServer();  // Stops the server (when this process started it) and removes its directory.
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // A new empty database (unique name per call) owned by role `labctl`; returns its libpq URL
  // postgresql://labctl:<password>@127.0.0.1:<port>/<db>. Throws std::runtime_error when the
  // server refuses (e.g. it is stopped).
  [[nodiscard]] std::string create_database();
  // The `labctl` role's password: a random canary that tests grep for in output and logs.
  [[nodiscard]] const std::string& password() const { return m_password; }
  [[nodiscard]] int port() const { return m_port; }
  // The running postmaster's pid (from postmaster.pid); -1 while stopped.
  [[nodiscard]] pid_t pid() const { return m_pid; }
  // The server's log (pg_ctl -l): what a test checks for leaked secrets.
  [[nodiscard]] const std::filesystem::path& log_file() const { return m_log; }

  // Fast shutdown (SIGINT to the postmaster pid) and waits until it is gone, at most 30 s; throws
  // std::runtime_error if it is still there then. A no-op while stopped.
  void stop();
  // Starts the server again on the same port and data directory (for "database restarted
  // mid-run" tests); throws std::runtime_error with the log's tail if it does not come up.
  // A no-op while running.
  void start();

 private:
  PgServer() = default;
  // initdb, start on a free port (a few tries), create the `labctl` role. Returns "" on success,
  // else the reason.
  [[nodiscard]] std::string launch();
  // Starts the postmaster on m_port; returns "" or the reason (output and log tail).
  [[nodiscard]] std::string start_on_port();
  // Stops the postmaster named in postmaster.pid, if any: cleans up after a failed pg_ctl start.
  void stop_leftover();
  // Teardown: stop(), and SIGKILL if the postmaster outlives the fast shutdown. Never throws.
  void stop_or_kill() noexcept;
  [[nodiscard]] std::string create_role();

  std::filesystem::path m_dir;  // owned by postgres; holds data/, the log and the unix socket
  std::filesystem::path m_log;
  std::string m_password;
  int m_port = -1;
  pid_t m_pid = -1;
  pid_t m_owner = -1;  // the process that created the server; only it stops the server
  int m_databases = 0;
};

}  // namespace labctl::testing
