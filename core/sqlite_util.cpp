#include "core/sqlite_util.hpp"

namespace labctl::state {

Statement::Statement(sqlite3* db, const char* sql) : m_db(db) {
  if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) {
    m_error = std::string("state database: prepare failed: ") + sqlite3_errmsg(db);
    m_stmt = nullptr;
  }
}

Statement::~Statement() {
  if (m_stmt != nullptr) sqlite3_finalize(m_stmt);
}

Statement& Statement::bind(int index, const std::string& value) {
  if (m_stmt) sqlite3_bind_text(m_stmt, index, value.c_str(), -1, SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, long long value) {
  if (m_stmt) sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (m_stmt) sqlite3_bind_null(m_stmt, index);
  return *this;
}

void Statement::reset() {
  if (m_stmt == nullptr) return;
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

Expected<bool> Statement::step() {
  if (m_stmt == nullptr) return fail(ExitCode::provider, m_error);
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(ExitCode::provider, std::string("state database: ") + sqlite3_errmsg(m_db) +
                                      " (another labctl may hold a long lock; retry)");
}

Expected<void> Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::string Statement::text(int column) const {
  const auto* value = sqlite3_column_text(m_stmt, column);
  return value == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(value));
}

long long Statement::integer(int column) const { return sqlite3_column_int64(m_stmt, column); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

Expected<void> exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return fail(ExitCode::provider, "state database: " + text);
  }
  return {};
}

Transaction::~Transaction() {
  if (m_open) (void)exec(m_db, "ROLLBACK");
}

Expected<void> Transaction::begin() {
  if (sqlite3_get_autocommit(m_db) == 0) return {};  // joins the open transaction
  auto result = exec(m_db, "BEGIN IMMEDIATE");
  if (result) m_open = true;
  return result;
}

Expected<void> Transaction::commit() {
  if (!m_open) return {};
  auto result = exec(m_db, "COMMIT");
  if (result) m_open = false;
  return result;
}

}  // namespace labctl::state
