// The SQLite engine of the state database seam (core/db.hpp).
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "core/db.hpp"
#include "core/text.hpp"

namespace labctl::state {
namespace {

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, const std::string& where)
      : m_db(db), m_stmt(stmt), m_where(where) {}
  ~SqliteStatement() override { sqlite3_finalize(m_stmt); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_text(int index, const std::string& value) override {
    sqlite3_bind_text(m_stmt, index, value.c_str(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  }
  void bind_int(int index, long long value) override { sqlite3_bind_int64(m_stmt, index, value); }
  void bind_null(int index) override { sqlite3_bind_null(m_stmt, index); }
  void reset() override {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  Expected<bool> step() override {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      m_changes = sqlite3_changes64(m_db);
      return false;
    }
    return fail(ExitCode::provider, m_where + ": " + sqlite3_errmsg(m_db) +
                                        " (another labctl may hold a long lock; retry)");
  }
  std::string text(int column) const override {
    const auto* value = sqlite3_column_text(m_stmt, column);
    return value == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(value),
                             static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, column)));
  }
  long long integer(int column) const override { return sqlite3_column_int64(m_stmt, column); }
  bool is_null(int column) const override {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
  }
  long long changes() const override { return m_changes; }

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt;
  const std::string& m_where;
  long long m_changes = 0;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(sqlite3* db, std::string where) : m_db(db), m_where(std::move(where)) {}
  ~SqliteDatabase() override { sqlite3_close(m_db); }

  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& where() const override { return m_where; }

  Expected<std::unique_ptr<StatementImpl>> prepare(std::string_view sql) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      return fail(ExitCode::provider,
                  m_where + ": prepare failed: " + sqlite3_errmsg(m_db));
    }
    return std::make_unique<SqliteStatement>(m_db, stmt, m_where);
  }

  Expected<void> exec(std::string_view sql) override {
    const std::lock_guard lock(mutex());
    char* message = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string reason = message ? message : "unknown error";
      sqlite3_free(message);
      return fail(ExitCode::provider, m_where + ": " + reason);
    }
    return {};
  }

  Expected<void> begin_write() override { return exec("BEGIN IMMEDIATE"); }

  [[nodiscard]] bool busy() const { return (sqlite3_errcode(m_db) & 0xff) == SQLITE_BUSY; }

 private:
  sqlite3* m_db;
  std::string m_where;
};

}  // namespace

Expected<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  // A path from outside (CE_STATE_DIR, `state migrate --to`) is shown escaped and bounded.
  const std::string where = "state database " + text::printable(path, 300);
  sqlite3* handle = nullptr;
  // A new database gets 0600 from the umask; SQLite gives its -wal/-shm files the database's
  // mode. An existing database's mode is left as it is (labctl chmods nothing it did not create).
  const mode_t old_mask = ::umask(0077);
  const int rc = sqlite3_open_v2(path.c_str(), &handle,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                                 nullptr);
  ::umask(old_mask);
  if (rc != SQLITE_OK) {
    std::string message = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    return fail(ExitCode::usage, where + ": " + message);
  }
  // Waits for another writer up to ~15 s in 1 ms steps (SQLite's own busy timeout backs off to
  // 100 ms sleeps, which a janitor's 16 concurrent teardowns turn into seconds of idling).
  // A real sleep, not Clock::sleep_for: it waits on another process's real file lock, from a
  // C callback, and must not be cut short by an interrupt mid-transaction.
  sqlite3_busy_handler(
      handle,
      [](void*, int attempt) -> int {
        if (attempt >= 15000) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return 1;
      },
      nullptr);
  auto db = std::make_unique<SqliteDatabase>(handle, where);
  // Switching a new database to WAL takes an exclusive lock for which SQLite does not call the
  // busy handler, so processes opening a fresh state dir together retry here (up to ~15 s;
  // a real sleep, for the reason above).
  constexpr const char* k_pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
  auto pragma = db->exec(k_pragmas);
  for (int attempt = 0; !pragma && attempt < 300 && db->busy(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pragma = db->exec(k_pragmas);
  }
  if (!pragma) {
    return fail(ExitCode::provider, pragma.error().message + " (is it a labctl state database?)");
  }
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace labctl::state
