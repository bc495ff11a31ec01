#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.hpp"

// The state database seam: one connection to SQLite (the default, a file per machine) or to
// PostgreSQL (a team's shared state), behind one interface, so the store and the journal are
// written once, in SQL both engines run. Their SQL uses `?` placeholders and three tokens the
// connection expands for its engine (see Database::expand). Errors carry ExitCode::provider and
// name the database without its password.
namespace labctl::state {

enum class Dialect { sqlite, postgresql };

// One prepared statement of one engine; Statement is its face.
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind_text(int index, const std::string& value) = 0;
  virtual void bind_int(int index, long long value) = 0;
  virtual void bind_null(int index) = 0;
  virtual void reset() = 0;
  [[nodiscard]] virtual Expected<bool> step() = 0;
  [[nodiscard]] virtual std::string text(int column) const = 0;
  [[nodiscard]] virtual long long integer(int column) const = 0;
  [[nodiscard]] virtual bool is_null(int column) const = 0;
  // Rows the last completed INSERT/UPDATE/DELETE changed.
  [[nodiscard]] virtual long long changes() const = 0;
};

// One connection. Every method may be called from several threads: a statement runs under the
// connection's mutex, and a Transaction holds it from begin to end, so another thread's
// statements wait for the transaction instead of joining it.
class Database {
 public:
  virtual ~Database() = default;
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] virtual Dialect dialect() const = 0;
  // "state database /path/state.db" or "state database postgresql://user@host:port/db": the
  // database as errors name it, never with a password.
  [[nodiscard]] virtual const std::string& where() const = 0;

  // `sql` (one statement, `?` placeholders, tokens expanded) prepared; errors name where().
  [[nodiscard]] virtual Expected<std::unique_ptr<StatementImpl>> prepare(std::string_view sql) = 0;
  // Runs SQL without results, several statements allowed (DDL, BEGIN, COMMIT).
  [[nodiscard]] virtual Expected<void> exec(std::string_view sql) = 0;
  // Begins a write transaction that excludes every other writer until it ends (SQLite: BEGIN
  // IMMEDIATE; PostgreSQL: BEGIN and a transaction-scoped advisory lock), so a read-then-write
  // in one transaction is a compare-and-set across processes and machines.
  [[nodiscard]] virtual Expected<void> begin_write() = 0;

  // The tokens of labctl's SQL, for this engine:
  //   {id}    an auto-increment 64-bit primary key column type;
  //   {now_s} the database's clock in whole seconds since the epoch (leases compare times of
  //           several machines on the one clock they share);
  //   {order} the runs table's insertion order (SQLite's rowid, PostgreSQL's seq column).
  [[nodiscard]] std::string expand(std::string_view sql) const;

  std::recursive_mutex& mutex() { return m_mutex; }
  // Transaction nesting on this connection (Transaction's business).
  int& depth() { return m_depth; }

 private:
  std::recursive_mutex m_mutex;
  int m_depth = 0;
};

// A prepared statement. Bind by 1-based index; step() returns true while rows come.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, long long value);
  Statement& bind_null(int index);
  // Back to before the first step, bindings cleared: one prepared statement serves a batch.
  void reset();
  // Steps once: a row (true), done (false), or an error (a failed prepare reports here).
  [[nodiscard]] Expected<bool> step();
  // Steps to completion (for statements without rows).
  [[nodiscard]] Expected<void> run();
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] long long integer(int column) const;
  [[nodiscard]] bool is_null(int column) const;
  [[nodiscard]] long long changes() const;

 private:
  Database& m_db;
  std::unique_ptr<StatementImpl> m_impl;
  Error m_error;  // the prepare's, when m_impl is null
};

// A write transaction (Database::begin_write), rolled back unless commit() is called. Begun
// while the connection is already inside one, it joins it: its commit() and rollback are the
// outer transaction's business, so a batch write can be called alone and inside a larger write.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  [[nodiscard]] Expected<void> begin();
  [[nodiscard]] Expected<void> commit();

 private:
  Database& m_db;
  std::unique_lock<std::recursive_mutex> m_lock;
  bool m_joined = false;  // counted in the connection's depth
  bool m_open = false;    // this object began the transaction (and ends it)
};

// The SQLite database `path` (created 0600 when missing; symlinks refused by the caller).
[[nodiscard]] Expected<std::unique_ptr<Database>> open_sqlite(const std::string& path);
// The PostgreSQL database a libpq connection URI or key=value string names (libpq's PG*
// variables and ~/.pgpass apply). A connect timeout of 10 s is added when the string has none;
// every lock wait is bounded (15 s) like SQLite's busy wait.
[[nodiscard]] Expected<std::unique_ptr<Database>> open_postgresql(const std::string& conninfo);
// `conninfo` as logs and errors may show it: host, port, database and user, never a password
// (an unparsable string is named only as "the PostgreSQL connection string").
[[nodiscard]] std::string postgresql_display(const std::string& conninfo);

}  // namespace labctl::state
