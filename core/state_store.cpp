#include "core/state_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "core/json_io.hpp"
#include "core/sqlite_util.hpp"
#include "core/suggest.hpp"
#include "core/time.hpp"

namespace labctl::state {
namespace {

namespace fs = std::filesystem;

constexpr int k_schema_version = 2;
constexpr const char* k_db_name = "state.db";

// Version 1, then version 2 (the provider-action journal). Every statement is IF NOT EXISTS, so
// running the whole script migrates any older database; a database newer than this binary is
// refused.
constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  profile TEXT NOT NULL,
  profile_path TEXT NOT NULL,
  scenario TEXT NOT NULL,
  providers TEXT NOT NULL,
  provider_order TEXT NOT NULL,
  owner TEXT NOT NULL,
  purpose TEXT NOT NULL,
  ttl_text TEXT NOT NULL,
  ttl_seconds INTEGER NOT NULL,
  ttl_expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  status TEXT NOT NULL,
  dry_run INTEGER NOT NULL,
  keep INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS resources (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  cloud_id TEXT NOT NULL,
  state TEXT NOT NULL,
  request_json TEXT NOT NULL,
  attrs_json TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_run ON resources(run_id);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_run ON events(run_id);
CREATE TABLE IF NOT EXISTS run_meta (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS leases (
  run_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  command TEXT NOT NULL,
  acquired_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  run_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  provider_ref TEXT NOT NULL,
  action TEXT NOT NULL,
  target_json TEXT NOT NULL,
  parameters_json TEXT NOT NULL,
  undo_json TEXT NOT NULL,
  observed_json TEXT NOT NULL,
  risk_level TEXT NOT NULL,
  status TEXT NOT NULL,
  address TEXT NOT NULL,
  epoch INTEGER,
  approved_by TEXT NOT NULL,
  approved_at TEXT NOT NULL,
  executed_at TEXT NOT NULL,
  result_message TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS action_executions_run ON action_executions(run_id);
)sql";

std::string mode_text(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777U));
  return buffer;
}

std::string now_text() { return format_rfc3339_ms(std::chrono::system_clock::now()); }

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::vector<std::string> split_csv(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

nlohmann::json parse_json_column(const std::string& text) {
  auto value = nlohmann::json::parse(text, nullptr, false);
  return value.is_discarded() ? nlohmann::json::object() : value;
}

constexpr const char* k_run_columns =
    "run_id, profile, profile_path, scenario, providers, provider_order, owner, purpose, "
    "ttl_text, ttl_seconds, ttl_expires_at, created_at, updated_at, status, dry_run, keep";

RunRecord read_run(const Statement& s) {
  RunRecord r;
  r.run_id = s.text(0);
  r.profile = s.text(1);
  r.profile_path = s.text(2);
  r.scenario = s.text(3);
  r.providers = split_csv(s.text(4));
  r.provider_order = s.text(5);
  r.owner = s.text(6);
  r.purpose = s.text(7);
  r.ttl_text = s.text(8);
  r.ttl_seconds = s.integer(9);
  r.ttl_expires_at = s.text(10);
  r.created_at = s.text(11);
  r.updated_at = s.text(12);
  r.status = s.text(13);
  r.dry_run = s.integer(14) != 0;
  r.keep = s.integer(15) != 0;
  return r;
}

constexpr const char* k_resource_columns =
    "id, run_id, provider, kind, name, region, cloud_id, state, request_json, attrs_json, error, "
    "created_at, updated_at";

ResourceRecord read_resource(const Statement& s) {
  ResourceRecord r;
  r.id = s.integer(0);
  r.run_id = s.text(1);
  r.provider = s.text(2);
  r.kind = s.text(3);
  r.name = s.text(4);
  r.region = s.text(5);
  r.cloud_id = s.text(6);
  r.state = s.text(7);
  r.request = parse_json_column(s.text(8));
  r.attrs = parse_json_column(s.text(9));
  r.error = s.text(10);
  r.created_at = s.text(11);
  r.updated_at = s.text(12);
  return r;
}

// Every row of `s`, each turned into a T by `read`.
template <class T, class Read>
Expected<std::vector<T>> all_rows(Statement& s, Read read) {
  std::vector<T> out;
  while (true) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(read(s));
  }
}

// The first row of `s` as a T, or nullopt when there is none.
template <class T, class Read>
Expected<std::optional<T>> first_row(Statement& s, Read read) {
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<T>();
  return std::optional<T>(read(s));
}

bool process_alive(long long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;
}

// The state directory: created 0700 when missing (its missing parents with the default mode).
// A directory that already exists is someone's choice and is never chmod-ed; it is refused
// (ExitCode::refused) when it is a symlink, not ours, or writable by group or others, since then
// another user could swap state.db for a link to a file of ours.
Expected<void> prepare_dir(const fs::path& dir) {
  const std::string where = "CE_STATE_DIR: " + dir.string();
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) {
    if (errno != ENOENT) return fail(ExitCode::usage, where + ": " + std::strerror(errno));
    std::error_code ec;
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (ec || (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)) {
      return fail(ExitCode::usage, where + ": cannot create: " +
                                       (ec ? ec.message() : std::string(std::strerror(errno))) +
                                       " (set CE_STATE_DIR to a writable folder)");
    }
    if (::lstat(dir.c_str(), &info) != 0) {
      return fail(ExitCode::usage, where + ": " + std::strerror(errno));
    }
  }
  if (S_ISLNK(info.st_mode)) {
    return fail(ExitCode::refused, where + " is a symbolic link; labctl never follows one for "
                                           "its state (point CE_STATE_DIR at the real directory)");
  }
  if (!S_ISDIR(info.st_mode)) {
    return fail(ExitCode::usage, where + " is not a directory (set CE_STATE_DIR to a folder)");
  }
  if (info.st_uid != ::geteuid()) {
    return fail(ExitCode::refused, where + " belongs to uid " + std::to_string(info.st_uid) +
                                       ", not to this user (uid " +
                                       std::to_string(::geteuid()) +
                                       "); use a state directory of your own");
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(ExitCode::refused, where + " is writable by group or others (mode " +
                                       mode_text(info.st_mode) +
                                       "); run `chmod go-w` on it or choose another directory");
  }
  return {};
}

// state.db and its -wal/-shm files, when present, must be regular files: a symlink planted
// there would have SQLite write through it.
Expected<void> check_db_files(const fs::path& db_path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string path = db_path.string() + suffix;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) continue;
    if (!S_ISREG(info.st_mode)) {
      return fail(ExitCode::refused,
                  "state database " + path + " is " +
                      (S_ISLNK(info.st_mode) ? "a symbolic link" : "not a regular file") +
                      "; labctl never follows one (remove it, or set CE_STATE_DIR to another "
                      "directory)");
    }
  }
  return {};
}

}  // namespace

Lease::Lease(Lease&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr)), m_run_id(std::move(other.m_run_id)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    m_store = std::exchange(other.m_store, nullptr);
    m_run_id = std::move(other.m_run_id);
  }
  return *this;
}

Lease::~Lease() { release(); }

void Lease::release() {
  if (m_store != nullptr) m_store->release_lease(m_run_id);
  m_store = nullptr;
}

Expected<std::unique_ptr<Store>> Store::open(const fs::path& dir) {
  if (auto prepared = prepare_dir(dir); !prepared) return std::unexpected(prepared.error());
  const fs::path db_path = dir / k_db_name;
  if (auto regular = check_db_files(db_path); !regular) return std::unexpected(regular.error());
  sqlite3* db = nullptr;
  // A new database gets 0600 from the umask; SQLite gives its -wal/-shm files the database's
  // mode. An existing database's mode is left as it is (labctl chmods nothing it did not create).
  const mode_t old_mask = ::umask(0077);
  const int rc = sqlite3_open_v2(db_path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                                 nullptr);
  ::umask(old_mask);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(ExitCode::usage, "state database " + db_path.string() + ": " + message);
  }
  // Waits for another writer up to ~15 s in 1 ms steps (SQLite's own busy timeout backs off to
  // 100 ms sleeps, which a janitor's 16 concurrent teardowns turn into seconds of idling).
  // A real sleep, not Clock::sleep_for: it waits on another process's real file lock, from a
  // C callback, and must not be cut short by an interrupt mid-transaction.
  sqlite3_busy_handler(
      db,
      [](void*, int attempt) -> int {
        if (attempt >= 15000) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return 1;
      },
      nullptr);
  std::unique_ptr<Store> store(new Store(dir, db));
  // Switching a new database to WAL takes an exclusive lock for which SQLite does not call the
  // busy handler, so processes opening a fresh state dir together retry here (up to ~15 s;
  // a real sleep, for the reason above).
  constexpr const char* k_pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
  auto pragma = exec(db, k_pragmas);
  for (int attempt = 0; !pragma && attempt < 300 && (sqlite3_errcode(db) & 0xff) == SQLITE_BUSY;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pragma = exec(db, k_pragmas);
  }
  if (!pragma) {
    return fail(ExitCode::provider, "state database " + db_path.string() + ": " +
                                        pragma.error().message +
                                        " (is it a labctl state database?)");
  }
  if (auto migrated = store->migrate(); !migrated) {
    return fail(ExitCode::provider,
                "state database " + db_path.string() + ": " + migrated.error().message);
  }
  return store;
}

Expected<std::unique_ptr<Store>> Store::open_existing(const fs::path& dir) {
  // lstat, not exists(): a dangling symlink at state.db must reach open() and be refused there.
  struct stat info {};
  if (::lstat((dir / k_db_name).c_str(), &info) != 0) return std::unique_ptr<Store>();
  return open(dir);
}

Store::~Store() {
  if (m_db != nullptr) sqlite3_close(m_db);
}

Expected<void> Store::migrate() {
  Transaction tx(m_db);
  if (auto begun = tx.begin(); !begun) return begun;
  if (auto created = exec(m_db, k_schema); !created) return created;
  Statement select(m_db, "SELECT MAX(version) FROM schema_version");
  auto row = select.step();
  if (!row) return std::unexpected(row.error());
  const bool empty = !*row || select.is_null(0);
  const long long version = empty ? 0 : select.integer(0);
  if (version > k_schema_version) {
    return fail(ExitCode::refused, "schema version " + std::to_string(version) +
                                       " is newer than this labctl understands (" +
                                       std::to_string(k_schema_version) +
                                       "); upgrade labctl");
  }
  if (version < k_schema_version) {
    Statement insert(m_db, "INSERT INTO schema_version(version) VALUES (?)");
    insert.bind(1, static_cast<long long>(k_schema_version));
    if (auto inserted = insert.run(); !inserted) return inserted;
  }
  return tx.commit();
}

Expected<std::string> Store::insert_run(const RunRecord& run) {
  for (int attempt = 1; attempt <= 1000; ++attempt) {
    const std::string id = attempt == 1 ? run.run_id : run.run_id + "-" + std::to_string(attempt);
    Statement s(m_db,
                "INSERT OR IGNORE INTO runs (run_id, profile, profile_path, scenario, providers, "
                "provider_order, owner, purpose, ttl_text, ttl_seconds, ttl_expires_at, "
                "created_at, updated_at, status, dry_run, keep) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(1, id).bind(2, run.profile).bind(3, run.profile_path).bind(4, run.scenario);
    s.bind(5, join(run.providers, ",")).bind(6, run.provider_order).bind(7, run.owner);
    s.bind(8, run.purpose).bind(9, run.ttl_text).bind(10, run.ttl_seconds);
    s.bind(11, run.ttl_expires_at).bind(12, run.created_at).bind(13, now_text());
    s.bind(14, run.status).bind(15, static_cast<long long>(run.dry_run ? 1 : 0));
    s.bind(16, static_cast<long long>(run.keep ? 1 : 0));
    if (auto done = s.run(); !done) return std::unexpected(done.error());
    if (sqlite3_changes(m_db) == 1) return id;
  }
  return fail(ExitCode::provider, "state database: cannot find a free run id for " + run.run_id);
}

Expected<std::optional<RunRecord>> Store::find_run(const std::string& run_id) {
  Statement s(m_db, (std::string("SELECT ") + k_run_columns + " FROM runs WHERE run_id = ?")
                        .c_str());
  s.bind(1, run_id);
  return first_row<RunRecord>(s, read_run);
}

Expected<std::vector<RunRecord>> Store::list_runs() {
  Statement s(m_db, (std::string("SELECT ") + k_run_columns +
                     " FROM runs ORDER BY created_at DESC, rowid DESC")
                        .c_str());
  return all_rows<RunRecord>(s, read_run);
}

Expected<std::optional<RunRecord>> Store::latest_active_run() {
  Statement s(m_db, (std::string("SELECT ") + k_run_columns +
                     " FROM runs WHERE status != 'down' ORDER BY created_at DESC, rowid DESC "
                     "LIMIT 1")
                        .c_str());
  return first_row<RunRecord>(s, read_run);
}

Expected<void> Store::set_run_status(const std::string& run_id, const std::string& status) {
  Statement s(m_db, "UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?");
  s.bind(1, status).bind(2, now_text()).bind(3, run_id);
  return s.run();
}

Expected<long long> Store::record_intent(const ResourceRecord& resource) {
  std::vector<ResourceRecord> one{resource};
  if (auto recorded = record_intents(one); !recorded) return std::unexpected(recorded.error());
  return one.front().id;
}

Expected<void> Store::record_intents(std::vector<ResourceRecord>& resources) {
  Transaction tx(m_db);
  if (auto begun = tx.begin(); !begun) return begun;
  Statement s(m_db,
              "INSERT INTO resources (run_id, provider, kind, name, region, cloud_id, state, "
              "request_json, attrs_json, error, created_at, updated_at) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  const std::string now = now_text();
  for (auto& r : resources) {
    s.reset();
    s.bind(1, r.run_id).bind(2, r.provider).bind(3, r.kind).bind(4, r.name).bind(5, r.region);
    s.bind(6, r.cloud_id).bind(7, r.state).bind(8, json_io::dump(r.request)).bind(9, json_io::dump(r.attrs));
    s.bind(10, r.error).bind(11, now).bind(12, now);
    if (auto done = s.run(); !done) return done;
    r.id = static_cast<long long>(sqlite3_last_insert_rowid(m_db));
  }
  return tx.commit();
}

Expected<void> Store::mark_created(long long id, const std::string& cloud_id,
                                   const nlohmann::json& attrs) {
  if (auto merged = merge_attrs(id, attrs); !merged) return merged;
  Statement s(m_db,
              "UPDATE resources SET cloud_id = ?, state = 'created', updated_at = ? WHERE id = ?");
  s.bind(1, cloud_id).bind(2, now_text()).bind(3, id);
  return s.run();
}

Expected<void> Store::set_resource_state(long long id, const std::string& state,
                                         const std::string& error) {
  return set_resource_states({{id, state, error}});
}

Expected<void> Store::set_resource_states(const std::vector<ResourceStateChange>& changes) {
  if (changes.empty()) return {};
  Transaction tx(m_db);
  if (auto begun = tx.begin(); !begun) return begun;
  const std::string now = now_text();
  Statement s(m_db, "UPDATE resources SET state = ?, error = ?, updated_at = ? WHERE id = ?");
  for (const auto& change : changes) {
    s.reset();
    s.bind(1, change.state).bind(2, change.error).bind(3, now).bind(4, change.id);
    if (auto done = s.run(); !done) return done;
  }
  return tx.commit();
}

Expected<void> Store::merge_attrs(long long id, const nlohmann::json& attrs) {
  if (!attrs.is_object() || attrs.empty()) return {};
  Transaction tx(m_db);
  if (auto begun = tx.begin(); !begun) return begun;
  Statement select(m_db, "SELECT attrs_json FROM resources WHERE id = ?");
  select.bind(1, id);
  auto row = select.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ExitCode::provider, "state database: no resource #" + std::to_string(id));
  nlohmann::json merged = parse_json_column(select.text(0));
  merged.merge_patch(attrs);
  Statement update(m_db, "UPDATE resources SET attrs_json = ?, updated_at = ? WHERE id = ?");
  update.bind(1, json_io::dump(merged)).bind(2, now_text()).bind(3, id);
  if (auto done = update.run(); !done) return done;
  return tx.commit();
}

Expected<std::vector<ResourceRecord>> Store::resources(const std::string& run_id) {
  Statement s(m_db, (std::string("SELECT ") + k_resource_columns +
                     " FROM resources WHERE run_id = ? ORDER BY id ASC")
                        .c_str());
  s.bind(1, run_id);
  return all_rows<ResourceRecord>(s, read_resource);
}

Expected<void> Store::add_event(const std::string& run_id, const std::string& kind,
                                const nlohmann::json& detail) {
  Statement s(m_db, "INSERT INTO events (run_id, ts, kind, detail_json) VALUES (?,?,?,?)");
  s.bind(1, run_id).bind(2, now_text()).bind(3, kind).bind(4, json_io::dump(detail));
  return s.run();
}

Expected<std::vector<EventRecord>> Store::events(const std::string& run_id) {
  Statement s(m_db,
              "SELECT id, run_id, ts, kind, detail_json FROM events WHERE run_id = ? "
              "ORDER BY id ASC");
  s.bind(1, run_id);
  return all_rows<EventRecord>(s, [](const Statement& row) {
    return EventRecord{row.integer(0), row.text(1), row.text(2), row.text(3),
                       parse_json_column(row.text(4))};
  });
}

Expected<void> Store::set_meta(const std::string& run_id, const std::string& key,
                               const nlohmann::json& value) {
  Statement s(m_db,
              "INSERT INTO run_meta (run_id, key, value_json) VALUES (?,?,?) "
              "ON CONFLICT(run_id, key) DO UPDATE SET value_json = excluded.value_json");
  s.bind(1, run_id).bind(2, key).bind(3, json_io::dump(value));
  return s.run();
}

Expected<std::optional<nlohmann::json>> Store::get_meta(const std::string& run_id,
                                                        const std::string& key) {
  Statement s(m_db, "SELECT value_json FROM run_meta WHERE run_id = ? AND key = ?");
  s.bind(1, run_id).bind(2, key);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<nlohmann::json>();
  auto value = nlohmann::json::parse(s.text(0), nullptr, false);
  if (value.is_discarded()) return std::optional<nlohmann::json>();
  return std::optional<nlohmann::json>(std::move(value));
}

Expected<Lease> Store::acquire_lease(const std::string& run_id, const std::string& command) {
  Transaction tx(m_db);
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error());
  const std::string host = hostname();
  Statement select(m_db, "SELECT pid, host, command, acquired_at FROM leases WHERE run_id = ?");
  select.bind(1, run_id);
  auto row = select.step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    const long long pid = select.integer(0);
    const bool same_host = select.text(1) == host;
    const bool ours = same_host && pid == static_cast<long long>(::getpid());
    // A holder on another host cannot be checked; treat it as alive (refuse) to stay safe.
    if (!ours && (!same_host || process_alive(pid))) {
      return fail(ExitCode::refused,
                  "run " + run_id + " is being operated by pid " + std::to_string(pid) + " on " +
                      select.text(1) + " (labctl " + select.text(2) + " since " +
                      select.text(3) + "); wait for it to finish, or stop that process");
    }
  }
  Statement upsert(m_db,
                   "INSERT INTO leases (run_id, pid, host, command, acquired_at) "
                   "VALUES (?,?,?,?,?) ON CONFLICT(run_id) DO UPDATE SET pid = excluded.pid, "
                   "host = excluded.host, command = excluded.command, "
                   "acquired_at = excluded.acquired_at");
  upsert.bind(1, run_id).bind(2, static_cast<long long>(::getpid())).bind(3, host);
  upsert.bind(4, command).bind(5, now_text());
  if (auto done = upsert.run(); !done) return std::unexpected(done.error());
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error());
  return Lease(this, run_id);
}

void Store::release_lease(const std::string& run_id) {
  Statement s(m_db, "DELETE FROM leases WHERE run_id = ? AND pid = ?");
  s.bind(1, run_id).bind(2, static_cast<long long>(::getpid()));
  (void)s.run();
}

}  // namespace labctl::state
