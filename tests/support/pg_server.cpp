#include "tests/support/pg_server.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "tests/support/spawn.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {
namespace {

const std::filesystem::path k_bin_dir = "/usr/lib/postgresql/15/bin";
constexpr int k_start_attempts = 3;
constexpr auto k_stop_timeout = std::chrono::seconds(30);
constexpr int k_log_tail_lines = 20;

// The process's shared server, or why it cannot run. The static unique_ptr's destructor stops the
// server and removes its directory at exit (return from main or exit()), whatever the tests did.
std::unique_ptr<PgServer> g_shared;
std::string g_failure;

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// The last `count` lines of `text`: the part of an output or a log that says why.
std::string last_lines(const std::string& text, int count) {
  std::string_view view = text;
  while (!view.empty() && view.back() == '\n') view.remove_suffix(1);
  std::size_t begin = view.size();
  for (int i = 0; i < count && begin > 0; ++i) {
    const std::size_t newline = view.rfind('\n', begin - 1);
    begin = newline == std::string_view::npos ? 0 : newline;
  }
  return std::string(view.substr(begin == 0 ? 0 : begin + 1));
}

std::string random_hex(int bytes) {
  constexpr std::string_view k_digits = "0123456789abcdef";
  std::random_device device;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const unsigned value = device() & 0xffU;
    out += k_digits[value >> 4U];
    out += k_digits[value & 0xfU];
  }
  return out;
}

// A loopback TCP port nobody listens on right now (the kernel's pick). Another process can take it
// before the server binds it, so the caller retries on a new one. -1 if the kernel gives none.
int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// Runs a PostgreSQL program as user postgres with `dir` as its working directory (the test's own
// may be closed to that user, and initdb and pg_ctl look up theirs). Output files go to `dir`.
CommandOutput run_as_postgres(const std::filesystem::path& dir,
                              const std::vector<std::string>& program) {
  std::vector<std::string> argv = {"/usr/sbin/runuser", "-u", "postgres",  "--",
                                   "/usr/bin/env",      "-C", dir.string()};
  argv.insert(argv.end(), program.begin(), program.end());
  return run_command(argv, {}, dir);
}

std::string describe(const CommandOutput& output) {
  return "exit " + std::to_string(output.code) + ": " +
         last_lines(output.out + output.err, k_log_tail_lines);
}

// The postmaster's pid, postmaster.pid's first line; -1 if the file is missing or malformed.
pid_t read_postmaster_pid(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  long pid = -1;
  if (!(in >> pid) || pid <= 0) return -1;
  return static_cast<pid_t>(pid);
}

// Sends `signo` to `pid`; true once the process is gone (at most k_stop_timeout).
bool signal_and_wait(pid_t pid, int signo) {
  kill(pid, signo);
  return eventually([pid] { return !process_running(pid); }, k_stop_timeout);
}

// The superuser's connection over the server's unix socket (trust authentication).
Connection connect_superuser(const std::filesystem::path& socket_dir, int port) {
  const std::string conninfo = "host=" + socket_dir.string() + " port=" + std::to_string(port) +
                               " user=postgres dbname=postgres connect_timeout=10";
  return Connection(PQconnectdb(conninfo.c_str()), &PQfinish);
}

// Runs one statement; "" on success, else the server's error.
std::string execute(PGconn* connection, const std::string& sql) {
  PGresult* result = PQexec(connection, sql.c_str());
  std::string error =
      PQresultStatus(result) == PGRES_COMMAND_OK ? "" : PQresultErrorMessage(result);
  if (result == nullptr) error = PQerrorMessage(connection);
  PQclear(result);
  return error;
}

}  // namespace

bool process_running(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t name_end = stat.rfind(')');
  return name_end == std::string::npos || name_end + 2 >= stat.size() || stat[name_end + 2] != 'Z';
}

PgServer* PgServer::shared(std::string* why) {
  if (!g_shared && g_failure.empty()) {
    std::unique_ptr<PgServer> server(new PgServer());
    g_failure = server->launch();
    if (g_failure.empty()) g_shared = std::move(server);
  }
  if (!g_shared && why != nullptr) *why = g_failure;
  return g_shared.get();
}

PgServer::~PgServer() {
  // A forked child exiting runs this too: the server and its directory are its parent's.
  if (getpid() != m_owner) return;
  stop_or_kill();
  if (!m_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }
}

std::string PgServer::launch() {
  m_owner = getpid();
  if (geteuid() != 0) {
    return "the PostgreSQL test server needs root (initdb and the server run as user postgres); "
           "run the tests as root";
  }
  for (const char* program : {"initdb", "pg_ctl", "postgres"}) {
    if (access((k_bin_dir / program).c_str(), X_OK) != 0) {
      return (k_bin_dir / program).string() +
             " is missing: install postgresql-15 (scripts/install-deps.sh --tests)";
    }
  }
  const passwd* user = getpwnam("postgres");
  if (user == nullptr) {
    return "no user 'postgres' on this machine: install postgresql-15 "
           "(scripts/install-deps.sh --tests), which creates it";
  }
  std::string dir = "/tmp/labctl-pg-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return "mkdtemp " + dir + ": " + std::strerror(errno);
  m_dir = dir;
  m_log = m_dir / "log";
  if (chown(m_dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
    return "chown postgres " + dir + ": " + std::strerror(errno);
  }
  const CommandOutput initdb =
      run_as_postgres(m_dir, {(k_bin_dir / "initdb").string(), "-D", (m_dir / "data").string(),
                              "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres",
                              "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"});
  if (initdb.code != 0) return "initdb in " + dir + " failed, " + describe(initdb);
  std::string reason;
  for (int attempt = 0; attempt < k_start_attempts; ++attempt) {
    m_port = free_loopback_port();
    if (m_port < 0) return std::string("no free loopback TCP port: ") + std::strerror(errno);
    reason = start_on_port();
    if (reason.empty()) return create_role();
  }
  return reason;
}

std::string PgServer::start_on_port() {
  const std::string options = "-p " + std::to_string(m_port) +
                              " -c listen_addresses=127.0.0.1 -k " + m_dir.string() +
                              " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                              " -c max_connections=200";
  const CommandOutput pg_ctl =
      run_as_postgres(m_dir, {(k_bin_dir / "pg_ctl").string(), "-D", (m_dir / "data").string(),
                              "-l", m_log.string(), "-w", "-t", "30", "-o", options, "start"});
  const pid_t pid = pg_ctl.code == 0 ? read_postmaster_pid(m_dir / "data") : -1;
  if (pid > 0) {
    m_pid = pid;
    return "";
  }
  stop_leftover();
  return "pg_ctl start on port " + std::to_string(m_port) + " failed, " + describe(pg_ctl) +
         "\nserver log ends:\n" + last_lines(read_text(m_log), k_log_tail_lines);
}

void PgServer::stop_leftover() {
  const pid_t pid = read_postmaster_pid(m_dir / "data");
  if (pid <= 0) return;
  // A stale file can name a pid reused since: only a postmaster of this data directory is ours.
  const std::string cmdline = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  if (cmdline.find((m_dir / "data").string()) == std::string::npos) return;
  m_pid = pid;
  stop_or_kill();
}

void PgServer::stop_or_kill() noexcept {
  try {
    stop();
  } catch (const std::exception&) {
    // It ignored the fast shutdown for 30 s; its directory goes next, so it goes now.
    signal_and_wait(m_pid, SIGKILL);
    m_pid = -1;
  }
}

std::string PgServer::create_role() {
  m_password = "pgcanary-" + random_hex(8);
  const Connection connection = connect_superuser(m_dir, m_port);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return "connecting as postgres over the socket in " + m_dir.string() + " port " +
           std::to_string(m_port) + ": " + PQerrorMessage(connection.get());
  }
  // Only the SCRAM verifier reaches the server, so a statement it logs cannot leak the password.
  char* verifier =
      PQencryptPasswordConn(connection.get(), m_password.c_str(), "labctl", "scram-sha-256");
  if (verifier == nullptr) {
    return std::string("hashing the labctl role's password: ") + PQerrorMessage(connection.get());
  }
  char* literal = PQescapeLiteral(connection.get(), verifier, std::strlen(verifier));
  PQfreemem(verifier);
  if (literal == nullptr) {
    return std::string("quoting the labctl role's verifier: ") + PQerrorMessage(connection.get());
  }
  const std::string error =
      execute(connection.get(), std::string("CREATE ROLE labctl LOGIN PASSWORD ") + literal);
  PQfreemem(literal);
  return error.empty() ? "" : "CREATE ROLE labctl: " + error;
}

std::string PgServer::create_database() {
  const std::string name = "lt_" + std::to_string(getpid()) + "_" + std::to_string(++m_databases);
  const Connection connection = connect_superuser(m_dir, m_port);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error("PgServer::create_database: connecting as postgres on port " +
                             std::to_string(m_port) +
                             " (is the server stopped?): " + PQerrorMessage(connection.get()));
  }
  const std::string error = execute(connection.get(), "CREATE DATABASE " + name + " OWNER labctl");
  if (!error.empty()) throw std::runtime_error("PgServer::create_database: " + name + ": " + error);
  return "postgresql://labctl:" + m_password + "@127.0.0.1:" + std::to_string(m_port) + "/" + name;
}

void PgServer::stop() {
  if (m_pid <= 0) return;
  if (!signal_and_wait(m_pid, SIGINT)) {
    throw std::runtime_error("PgServer::stop: the postmaster (pid " + std::to_string(m_pid) +
                             ") is still running 30 s after SIGINT; see " + m_log.string());
  }
  m_pid = -1;
}

void PgServer::start() {
  if (m_pid > 0) return;
  if (const std::string reason = start_on_port(); !reason.empty()) {
    throw std::runtime_error("PgServer::start: " + reason);
  }
}

}  // namespace labctl::testing
