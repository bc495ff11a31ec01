// The PostgreSQL engine of the state database seam (core/db.hpp), over libpq.
#include <libpq-fe.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "core/db.hpp"
#include "core/env.hpp"
#include "core/text.hpp"

namespace labctl::state {
namespace {

// Every write transaction takes this transaction-scoped advisory lock first: one writer at a
// time across every machine, as SQLite has on one (the key spells "labctl" in ASCII).
constexpr const char* k_begin_write = "BEGIN; SELECT pg_advisory_xact_lock(119251451311212)";
// Bounds: a lock wait like SQLite's busy wait; no statement runs longer than a minute.
constexpr const char* k_session =
    "SET lock_timeout = '15s'; SET statement_timeout = '60s'; SET client_encoding = 'UTF8'";

// The parsed connection string: keyword -> value, only what it states.
using Options = std::map<std::string, std::string>;

std::optional<Options> parse(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  PQfreemem(error);  // may echo the string, password included: never shown
  if (parsed == nullptr) return std::nullopt;
  Options options;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) options[o->keyword] = o->val;
  }
  PQconninfoFree(parsed);
  return options;
}

std::string display(const Options& options) {
  const auto get = [&options](const char* key, const char* fallback) {
    const auto it = options.find(key);
    return it == options.end() || it->second.empty() ? std::string(fallback) : it->second;
  };
  return text::printable("postgresql://" + get("user", "") +
                             (options.contains("user") ? "@" : "") + get("host", "") +
                             (options.contains("port") ? ":" + get("port", "") : "") + "/" +
                             get("dbname", ""),
                         300);
}

// A libpq message made safe to show: the password (and PGPASSWORD's) cut out, one line, bounded.
std::string safe_message(std::string message, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = message.find(secret); at != std::string::npos; at = message.find(secret)) {
      message.replace(at, secret.size(), "***");
    }
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return text::printable(message, 500);
}

// `sql` with its `?` placeholders numbered $1, $2, ... (none of labctl's SQL has a `?` inside
// a quoted literal; quoted text is skipped all the same).
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  bool quoted = false;
  int next = 1;
  for (const char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += "$" + std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

class PgDatabase;

// A statement's server-side prepared name, once it has one, and the connection it lives on.
struct PreparedName {
  std::string text;
  long long generation = 0;
  int runs = 0;
};

class PgStatement final : public StatementImpl {
 public:
  PgStatement(PgDatabase& db, std::string sql) : m_db(db), m_sql(std::move(sql)) {}
  ~PgStatement() override;
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  void bind_text(int index, const std::string& value) override {
    // PostgreSQL's text holds neither invalid UTF-8 nor NUL; labctl's values are repaired
    // before they get here, and anything that was not is stored repaired, not refused.
    std::string safe = text::is_valid_utf8(value) ? value : text::to_utf8(value);
    std::erase(safe, '\0');
    slot(index) = std::move(safe);
  }
  void bind_int(int index, long long value) override { slot(index) = std::to_string(value); }
  void bind_null(int index) override { slot(index).reset(); }
  void reset() override {
    PQclear(m_result);
    m_result = nullptr;
    m_params.clear();
    m_row = -1;
  }
  Expected<bool> step() override;
  std::string text(int column) const override {
    return PQgetisnull(m_result, m_row, column) ? std::string()
                                                 : std::string(PQgetvalue(m_result, m_row, column),
                                                               static_cast<std::size_t>(PQgetlength(
                                                                   m_result, m_row, column)));
  }
  long long integer(int column) const override {
    return std::strtoll(PQgetvalue(m_result, m_row, column), nullptr, 10);
  }
  bool is_null(int column) const override { return PQgetisnull(m_result, m_row, column) != 0; }
  long long changes() const override { return m_changes; }

 private:
  std::optional<std::string>& slot(int index) {
    const auto at = static_cast<std::size_t>(index - 1);
    if (m_params.size() <= at) m_params.resize(at + 1);
    return m_params[at];
  }

  PgDatabase& m_db;
  std::string m_sql;
  PreparedName m_name;
  std::vector<std::optional<std::string>> m_params;
  PGresult* m_result = nullptr;
  int m_row = -1;
  long long m_changes = 0;
};

class PgDatabase final : public Database {
 public:
  PgDatabase(PGconn* conn, std::string where, std::vector<std::string> secrets)
      : m_conn(conn), m_where(std::move(where)), m_secrets(std::move(secrets)) {}
  ~PgDatabase() override { PQfinish(m_conn); }

  Dialect dialect() const override { return Dialect::postgresql; }
  const std::string& where() const override { return m_where; }

  Expected<std::unique_ptr<StatementImpl>> prepare(std::string_view sql) override {
    return std::make_unique<PgStatement>(*this, number_placeholders(sql));
  }

  Expected<void> exec(std::string_view sql) override {
    const std::lock_guard lock(mutex());
    if (auto ready = reconnect_if_lost(); !ready) return ready;
    PGresult* result = PQexec(m_conn, std::string(sql).c_str());
    const auto status = PQresultStatus(result);
    PQclear(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error("");
    return {};
  }

  Expected<void> begin_write() override {
    auto begun = exec(k_begin_write);
    if (!begun) (void)exec("ROLLBACK");
    return begun;
  }

  // The query with `params`, under the connection's mutex (the caller holds it). A statement
  // run a second time (a batch) is prepared on the server under `name` and executed prepared
  // from then on, saving a parse and plan per row; a statement run once is never prepared.
  Expected<PGresult*> run(const std::string& sql,
                          const std::vector<std::optional<std::string>>& params,
                          PreparedName& name) {
    if (auto ready = reconnect_if_lost(); !ready) return std::unexpected(ready.error());
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const int count = static_cast<int>(values.size());
    if (name.generation != m_generation) name.text.clear();  // the connection was made again
    if (name.text.empty() && ++name.runs >= 2) {
      const std::string candidate = "labctl_" + std::to_string(++m_prepared);
      PGresult* prepared = PQprepare(m_conn, candidate.c_str(), sql.c_str(), count, nullptr);
      if (PQresultStatus(prepared) == PGRES_COMMAND_OK) {
        name.text = candidate;
        name.generation = m_generation;
      }
      PQclear(prepared);
    }
    PGresult* result =
        name.text.empty()
            ? PQexecParams(m_conn, sql.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0)
            : PQexecPrepared(m_conn, name.text.c_str(), count, values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const std::string detail =
        result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(m_conn);
    PQclear(result);
    return std::unexpected(error(detail).error());
  }

  // Frees a statement prepared on the current connection (best effort: a failure only leaves
  // it until the connection closes).
  void deallocate(const PreparedName& name) {
    if (name.text.empty() || name.generation != m_generation || depth_failed()) return;
    PQclear(PQexec(m_conn, ("DEALLOCATE " + name.text).c_str()));
  }

  Expected<void> apply_session() {
    PGresult* result = PQexec(m_conn, k_session);
    const auto status = PQresultStatus(result);
    PQclear(result);
    if (status != PGRES_COMMAND_OK) return error("");
    return {};
  }

 private:
  // A connection the server dropped (a restart, a failover) is made again before the next
  // statement, never inside a transaction: the statement that saw it drop has already failed.
  Expected<void> reconnect_if_lost() {
    if (PQstatus(m_conn) == CONNECTION_OK) return {};
    if (depth() > 0) return error("the connection was lost inside a transaction");
    PQreset(m_conn);
    ++m_generation;
    if (PQstatus(m_conn) != CONNECTION_OK) return error("");
    return apply_session();
  }

  std::unexpected<Error> error(const std::string& detail) const {
    const std::string message = detail.empty() ? PQerrorMessage(m_conn) : detail;
    return fail(ExitCode::provider,
                m_where + ": " + safe_message(message, m_secrets) +
                    " (is the server up and CE_STATE_URL right? labctl retries nothing here; "
                    "run the command again)");
  }

  // Inside a transaction that already failed, every statement fails until its end.
  [[nodiscard]] bool depth_failed() const {
    return PQtransactionStatus(m_conn) == PQTRANS_INERROR || PQstatus(m_conn) != CONNECTION_OK;
  }

  PGconn* m_conn;
  std::string m_where;
  std::vector<std::string> m_secrets;
  long long m_generation = 0;  // counts reconnections: prepared statements die with one
  long long m_prepared = 0;
};

PgStatement::~PgStatement() {
  PQclear(m_result);
  const std::lock_guard lock(m_db.mutex());
  m_db.deallocate(m_name);
}

Expected<bool> PgStatement::step() {
  if (m_result == nullptr) {
    auto result = m_db.run(m_sql, m_params, m_name);
    if (!result) return std::unexpected(result.error());
    m_result = *result;
    m_row = -1;
    m_changes = std::strtoll(PQcmdTuples(m_result), nullptr, 10);
  }
  ++m_row;
  return m_row < PQntuples(m_result);
}

}  // namespace

std::string postgresql_display(const std::string& conninfo) {
  const auto options = parse(conninfo);
  return options ? display(*options) : "the PostgreSQL connection string";
}

Expected<std::unique_ptr<Database>> open_postgresql(const std::string& conninfo) {
  auto options = parse(conninfo);
  if (!options) {
    return fail(ExitCode::usage,
                "CE_STATE_URL: not a PostgreSQL connection string libpq can read (expected "
                "postgresql://[user@]host[:port]/database[?sslmode=...]; the value is not shown, "
                "it may hold a password)");
  }
  const std::string where = "state database " + display(*options);
  // A server that never answers must not hang labctl: libpq waits forever by default.
  options->try_emplace("connect_timeout", "10");
  // A server or network that stalls mid-query is given up on in ~30 s, not at TCP's ~15 min.
  options->try_emplace("tcp_user_timeout", "30000");
  options->try_emplace("keepalives_idle", "10");
  options->try_emplace("keepalives_interval", "5");
  options->try_emplace("keepalives_count", "3");
  options->try_emplace("application_name", "labctl");
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : *options) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  std::vector<std::string> secrets;
  if (const auto it = options->find("password"); it != options->end()) secrets.push_back(it->second);
  if (auto env_password = env::get("PGPASSWORD")) secrets.push_back(std::move(*env_password));
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (conn == nullptr) return fail(ExitCode::provider, where + ": out of memory");
  // The server's NOTICEs (e.g. "relation ... already exists, skipping" from the idempotent
  // schema statements) are not the user's business; libpq would print them on stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  auto db = std::make_unique<PgDatabase>(conn, where, secrets);
  if (PQstatus(conn) != CONNECTION_OK) {
    return fail(ExitCode::provider,
                where + ": cannot connect: " + safe_message(PQerrorMessage(conn), secrets) +
                    " (check CE_STATE_URL, the server, and libpq's PGPASSFILE or ~/.pgpass)");
  }
  if (auto session = db->apply_session(); !session) return std::unexpected(session.error());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace labctl::state
