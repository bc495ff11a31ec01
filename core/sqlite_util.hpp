#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>

#include "core/error.hpp"

namespace labctl::state {

// A prepared statement that finalizes itself. Bind by 1-based index; step() returns true while
// rows come. Errors carry the database's message and ExitCode::provider.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  [[nodiscard]] bool ok() const { return m_stmt != nullptr; }
  [[nodiscard]] const std::string& error() const { return m_error; }

  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, long long value);
  Statement& bind_null(int index);

  // Back to before the first step, bindings cleared: one prepared statement serves a batch.
  void reset();

  // Steps once: a row (true), done (false), or an error (see error()).
  [[nodiscard]] Expected<bool> step();
  // Steps to completion (for statements without rows).
  [[nodiscard]] Expected<void> run();

  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] long long integer(int column) const;
  [[nodiscard]] bool is_null(int column) const;

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  std::string m_error;
};

// Runs SQL without results (BEGIN, COMMIT, DDL).
[[nodiscard]] Expected<void> exec(sqlite3* db, const char* sql);

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() is called. Begun while the connection
// is already inside a transaction, it joins that one: its commit() and rollback are the outer
// transaction's business, so a batch write can be called both alone and inside a larger write.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : m_db(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  [[nodiscard]] Expected<void> begin();
  [[nodiscard]] Expected<void> commit();

 private:
  sqlite3* m_db;
  bool m_open = false;  // this object began the transaction (and ends it)
};

}  // namespace labctl::state
