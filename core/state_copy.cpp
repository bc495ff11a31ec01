#include "core/state_copy.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "core/strcat.hpp"
#include "core/suggest.hpp"

namespace labctl::state {
namespace {

// A table the copy carries, as the schema (state_store.cpp, action_journal.cpp) defines it.
struct Table {
  std::string name;
  std::vector<std::string> columns;  // every column but the engine's insertion order
  std::set<std::string> integers;    // the columns copied as integers (the rest as text)
  std::string order;                 // the source's read order, which the inserts keep
};

// Every table but the leases (who operates a run now is the source's business; a holder
// writes on where it holds) and schema_version (each store keeps its own). Runs come first and
// in their insertion order, so "newest first" stays the same on the target.
// clang-format off
const std::vector<Table> k_tables = {
    {"runs",
     {"run_id", "profile", "profile_path", "scenario", "providers", "provider_order", "owner",
      "purpose", "ttl_text", "ttl_seconds", "ttl_expires_at", "created_at", "updated_at",
      "status", "dry_run", "keep", "machine"},
     {"ttl_seconds", "dry_run", "keep"},
     "{order}"},
    {"resources",
     {"id", "run_id", "provider", "kind", "name", "region", "cloud_id", "state", "request_json",
      "attrs_json", "error", "created_at", "updated_at"},
     {"id"},
     "id"},
    {"events", {"id", "run_id", "ts", "kind", "detail_json"}, {"id"}, "id"},
    {"run_meta", {"run_id", "key", "value_json"}, {}, "run_id, key"},
    {"action_executions",
     {"id", "idempotency_key", "source", "run_id", "provider", "provider_ref", "action",
      "target_json", "parameters_json", "undo_json", "observed_json", "risk_level", "status",
      "address", "epoch", "approved_by", "approved_at", "executed_at", "result_message", "error",
      "created_at", "updated_at"},
     {"id", "epoch"},
     "id"},
};
// clang-format on
const std::set<std::string> k_not_copied = {"leases", "schema_version"};

bool is_postgresql_url(const std::string& text) {
  return text.starts_with("postgresql://") || text.starts_with("postgres://");
}

// The first column of every row of `sql` (bound to `arg` when not empty).
Expected<std::set<std::string>> names(Database& db, const std::string& sql,
                                      const std::string& arg = {}) {
  Statement s(db, sql);
  if (!arg.empty()) s.bind(1, arg);
  std::set<std::string> out;
  while (true) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.insert(s.text(0));
  }
}

// A table or column the copy does not know would be left behind without a word: refused
// instead. Both stores are at this labctl's schema version (Store::open), so this fails only
// when the schema grew and k_tables was not told.
Expected<void> check_schema_known(Database& db) {
  const bool sqlite = db.dialect() == Dialect::sqlite;
  std::set<std::string> tables;
  TRY_ASSIGN(tables, names(db, sqlite ? "SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT GLOB 'sqlite_*'"
                                      : "SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = current_schema()"));
  const std::string order_column = db.expand("{order}");
  for (const auto& name : tables) {
    const auto table = std::ranges::find(k_tables, name, &Table::name);
    if (table == k_tables.end()) {
      if (k_not_copied.contains(name)) continue;
      return fail(ExitCode::provider, db.where() + ": table " + name +
                                          " is not one this labctl can copy (core/state_copy.cpp "
                                          "lists the tables); nothing was copied");
    }
    std::set<std::string> columns;
    TRY_ASSIGN(columns, names(db,
                              sqlite ? "SELECT name FROM pragma_table_info(?)"
                                     : "SELECT column_name FROM information_schema.columns "
                                       "WHERE table_schema = current_schema() AND "
                                       "table_name = ?",
                              name));
    for (const auto& column : columns) {
      if (column == order_column ||
          std::ranges::find(table->columns, column) != table->columns.end()) {
        continue;
      }
      return fail(ExitCode::provider, db.where() + ": column " + name + "." + column +
                                          " is not one this labctl can copy "
                                          "(core/state_copy.cpp lists the columns); nothing "
                                          "was copied");
    }
  }
  return {};
}

// What the database is, whatever the path or URL that reached it: SQLite's file (device and
// inode), PostgreSQL's cluster, database and schema. Two equal identities are one store.
Expected<std::string> identity(Database& db) {
  if (db.dialect() == Dialect::sqlite) {
    Statement s(db, "SELECT file FROM pragma_database_list WHERE name = 'main'");
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    const std::string file = *row ? s.text(0) : std::string();
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
      return fail(ExitCode::provider,
                  db.where() + ": cannot stat its file \"" + file + "\": " + std::strerror(errno));
    }
    return cat("sqlite ", info.st_dev, ":", info.st_ino);
  }
  Statement s(db,
              "SELECT system_identifier, current_database(), current_schema() "
              "FROM pg_control_system()");
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  return "postgresql " + s.text(0) + "/" + s.text(1) + "/" + s.text(2);
}

Expected<long long> count_rows(Database& db, const std::string& table) {
  Statement s(db, "SELECT COUNT(*) FROM " + table);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  return *row ? s.integer(0) : 0;
}

// Rows per copied table, in k_tables' order.
Expected<std::vector<TableCount>> count_tables(Database& db) {
  std::vector<TableCount> counts;
  for (const auto& table : k_tables) {
    long long rows = 0;
    TRY_ASSIGN(rows, count_rows(db, table.name));
    counts.push_back({table.name, rows});
  }
  return counts;
}

// On PostgreSQL labctl's advisory lock orders only its transactions, and single statements (an
// event, a status) take none: a table lock makes every writer of these tables wait (`mode`
// SHARE on the source: readers go on; EXCLUSIVE on the target). SQLite's write transaction
// already excludes every other writer.
Expected<void> lock_tables(Database& db, const std::string& mode) {
  if (db.dialect() != Dialect::postgresql) return {};
  std::vector<std::string> tables;
  for (const auto& table : k_tables) tables.push_back(table.name);
  return db.exec("LOCK TABLE " + join(tables, ", ") + " IN " + mode + " MODE");
}

// Every row of `table` from `from` into `to`, ids included, NULLs kept.
Expected<void> copy_rows(Database& from, Database& to, const Table& table) {
  const std::string columns = join(table.columns, ", ");
  std::string placeholders;
  for (std::size_t i = 0; i < table.columns.size(); ++i) placeholders += i == 0 ? "?" : ",?";
  Statement select(from, "SELECT " + columns + " FROM " + table.name + " ORDER BY " + table.order);
  Statement insert(
      to, "INSERT INTO " + table.name + " (" + columns + ") VALUES (" + placeholders + ")");
  while (true) {
    auto row = select.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    insert.reset();
    for (int i = 0; i < static_cast<int>(table.columns.size()); ++i) {
      if (select.is_null(i)) {
        insert.bind_null(i + 1);
      } else if (table.integers.contains(table.columns[static_cast<std::size_t>(i)])) {
        insert.bind(i + 1, select.integer(i));
      } else {
        insert.bind(i + 1, select.text(i));
      }
    }
    TRY(insert.run());
  }
}

// PostgreSQL's identity sequences do not see explicit ids: each is set to continue after its
// table's highest id, so the next insert does not collide. (SQLite's AUTOINCREMENT does this
// by itself; a runs row gets its insertion order `seq` from its sequence as it is copied.)
Expected<void> continue_sequences(Database& db) {
  if (db.dialect() != Dialect::postgresql) return {};
  for (const auto& table : k_tables) {
    if (table.columns.front() != "id") continue;
    Statement s(db, "SELECT setval(pg_get_serial_sequence('" + table.name +
                        "', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM " + table.name);
    TRY(s.run());
  }
  return {};
}

std::string counts_text(const std::vector<TableCount>& counts) {
  std::vector<std::string> parts;
  for (const auto& c : counts) {
    if (c.rows > 0) parts.push_back(cat(c.table, " ", c.rows));
  }
  return join(parts, ", ");
}

}  // namespace

Expected<StateLocation> target_location(const std::string& target, const StateLocation& source) {
  if (target.empty()) {
    return fail(ExitCode::usage,
                "state migrate --to: empty; give a postgresql:// URL or a "
                "state directory");
  }
  StateLocation location = source;
  location.url.clear();
  location.dir.clear();
  if (is_postgresql_url(target)) {
    location.url = target;
  } else {
    location.dir = target;
  }
  return location;
}

Expected<CopyReport> copy_state(const StateLocation& from, const StateLocation& to) {
  CopyReport report{.from = from.describe(), .to = to.describe(), .tables = {}};
  std::unique_ptr<Store> source;
  TRY_ASSIGN(source, Store::open_existing(from));
  if (!source) {
    return fail(ExitCode::usage, "state migrate: no state at " + report.from +
                                     " (nothing to copy; set CE_STATE_DIR or CE_STATE_URL to "
                                     "the state to migrate)");
  }
  Database& src = source->db();
  TRY(check_schema_known(src));
  auto opened = Store::open(to);
  if (!opened) {
    return fail(opened.error().code,
                "state migrate --to " + report.to + ": " + opened.error().message);
  }
  const std::unique_ptr<Store> target = std::move(*opened);
  Database& dst = target->db();
  std::string source_id;
  std::string target_id;
  TRY_ASSIGN(source_id, identity(src));
  TRY_ASSIGN(target_id, identity(dst));
  if (source_id == target_id) {
    return fail(ExitCode::refused, "state migrate: " + report.to + " is the current state (" +
                                       report.from + ") itself; give another target");
  }

  // The source's transaction writes nothing; it ends in a rollback when `read` goes.
  Transaction read(src);
  TRY(read.begin());
  TRY(lock_tables(src, "SHARE"));
  Transaction write(dst);
  TRY(write.begin());
  TRY(lock_tables(dst, "EXCLUSIVE"));
  std::vector<TableCount> before;
  TRY_ASSIGN(before, count_tables(dst));
  if (const std::string held = counts_text(before); !held.empty()) {
    return fail(ExitCode::refused, "state migrate: " + report.to + " already holds state (" + held +
                                       "); labctl copies only into an empty state (give "
                                       "a new directory or an empty database)");
  }
  for (const auto& table : k_tables) TRY(copy_rows(src, dst, table));
  TRY(continue_sequences(dst));

  std::vector<TableCount> copied;
  TRY_ASSIGN(report.tables, count_tables(src));
  TRY_ASSIGN(copied, count_tables(dst));
  for (std::size_t i = 0; i < copied.size(); ++i) {
    if (copied[i].rows != report.tables[i].rows) {
      return fail(ExitCode::provider,
                  cat("state migrate: table ", copied[i].table, " has ", report.tables[i].rows,
                      " rows in ", report.from, " but ", copied[i].rows, " in ", report.to,
                      " after the copy; rolled back, nothing was written (run it again)"));
    }
  }
  TRY_ASSIGN(report.leases, count_rows(src, "leases"));
  TRY(write.commit());
  return report;
}

}  // namespace labctl::state
