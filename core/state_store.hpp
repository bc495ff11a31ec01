#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

struct sqlite3;

namespace labctl::state {

// Run lifecycle as stored in runs.status.
//   creating -> up                     (up succeeded)
//   creating -> failed                 (up failed and --keep left it) / tearing_down (guard)
//   up|failed|down_failed -> tearing_down -> down | down_failed
inline constexpr const char* k_run_creating = "creating";
inline constexpr const char* k_run_up = "up";
inline constexpr const char* k_run_failed = "failed";
inline constexpr const char* k_run_tearing_down = "tearing_down";
inline constexpr const char* k_run_down = "down";
inline constexpr const char* k_run_down_failed = "down_failed";

// Resource lifecycle: the intent row is written BEFORE the mutating call is sent.
inline constexpr const char* k_res_intent = "intent";      // about to be created (may exist)
inline constexpr const char* k_res_created = "created";    // the provider confirmed it
inline constexpr const char* k_res_deleting = "deleting";  // delete sent, not yet confirmed
inline constexpr const char* k_res_deleted = "deleted";    // confirmed gone
inline constexpr const char* k_res_failed = "failed";      // delete failed; next down retries

struct RunRecord {
  std::string run_id;
  std::string profile;       // profile name as given (minimal, full, ./lab.yaml)
  std::string profile_path;  // the file it was loaded from
  std::string scenario;
  std::vector<std::string> providers;  // in bring-up order
  std::string provider_order;
  std::string owner;
  std::string purpose;
  std::string ttl_text;      // as given, e.g. "1h30m"
  long long ttl_seconds = 0;
  std::string ttl_expires_at;  // RFC3339 UTC
  std::string created_at;      // RFC3339 UTC
  std::string updated_at;
  std::string status = k_run_creating;
  bool dry_run = true;
  bool keep = false;
};

struct ResourceRecord {
  long long id = 0;
  std::string run_id;
  std::string provider;
  std::string kind;      // e.g. key-pair, security-group, instance, netns, process, file
  std::string name;      // logical name within the run, e.g. aws-router-a
  std::string region;    // provider-specific location; empty where meaningless
  std::string cloud_id;  // provider id once known (i-..., sg-..., netns name, pid)
  std::string state = k_res_intent;
  nlohmann::json request = nlohmann::json::object();  // what was (to be) sent; never secrets
  nlohmann::json attrs = nlohmann::json::object();    // learnt facts: ips, eni ids, roles
  std::string error;
  std::string created_at;
  std::string updated_at;
};

// One resource's outcome, for Store::set_resource_states.
struct ResourceStateChange {
  long long id = 0;
  std::string state;
  std::string error;
};

struct EventRecord {
  long long id = 0;
  std::string run_id;
  std::string ts;    // RFC3339 with milliseconds
  std::string kind;  // up, deploy, smoke, failover, down, ...
  nlohmann::json detail = nlohmann::json::object();
};

class Store;

// Held while a process operates a run; released by the destructor.
class Lease {
 public:
  Lease() = default;
  Lease(Store* store, std::string run_id) : m_store(store), m_run_id(std::move(run_id)) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();
  void release();

 private:
  Store* m_store = nullptr;
  std::string m_run_id;
};

// The state database: one SQLite file `state.db` in the state directory (WAL, 0600 in a 0700
// directory). Every method is safe to call from several threads; several processes share the
// file through SQLite's locking (busy timeout 15 s).
class Store {
 public:
  // Creates the directory and database as needed and migrates the schema. Errors say which
  // path and why, with exit code usage (a bad CE_STATE_DIR) or provider (a corrupt database).
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open(const std::filesystem::path& dir);
  // Opens only if the database already exists; nullopt otherwise (nothing is created).
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open_existing(
      const std::filesystem::path& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }

  // Inserts the run. When run.run_id is taken (same second, same scenario), appends -2, -3, ...
  // and returns the id actually stored.
  [[nodiscard]] Expected<std::string> insert_run(const RunRecord& run);
  [[nodiscard]] Expected<std::optional<RunRecord>> find_run(const std::string& run_id);
  // All runs, newest first.
  [[nodiscard]] Expected<std::vector<RunRecord>> list_runs();
  // The newest run that is not down; nullopt if none.
  [[nodiscard]] Expected<std::optional<RunRecord>> latest_active_run();
  [[nodiscard]] Expected<void> set_run_status(const std::string& run_id, const std::string& status);

  // Records the intent to create a resource; returns its row id. Call BEFORE sending.
  [[nodiscard]] Expected<long long> record_intent(const ResourceRecord& resource);
  // Records several rows in one transaction and sets each one's `id`.
  [[nodiscard]] Expected<void> record_intents(std::vector<ResourceRecord>& resources);
  [[nodiscard]] Expected<void> mark_created(long long id, const std::string& cloud_id,
                                            const nlohmann::json& attrs);
  [[nodiscard]] Expected<void> set_resource_state(long long id, const std::string& state,
                                                  const std::string& error = {});
  // Several outcomes in one transaction: a teardown decides a whole describe's worth of rows at
  // once, and one commit per row made a 16-region janitor pay thousands of WAL writes.
  [[nodiscard]] Expected<void> set_resource_states(const std::vector<ResourceStateChange>& changes);
  [[nodiscard]] Expected<void> merge_attrs(long long id, const nlohmann::json& attrs);
  // The run's resources in creation order (ascending id).
  [[nodiscard]] Expected<std::vector<ResourceRecord>> resources(const std::string& run_id);

  [[nodiscard]] Expected<void> add_event(const std::string& run_id, const std::string& kind,
                                         const nlohmann::json& detail);
  [[nodiscard]] Expected<std::vector<EventRecord>> events(const std::string& run_id);

  // Per-run facts that later commands need (e.g. the matrix's default-gateway baseline).
  [[nodiscard]] Expected<void> set_meta(const std::string& run_id, const std::string& key,
                                        const nlohmann::json& value);
  [[nodiscard]] Expected<std::optional<nlohmann::json>> get_meta(const std::string& run_id,
                                                                 const std::string& key);

  // Takes the run's lease for this process. Refused (ExitCode::refused) while a live process
  // holds it, naming its pid and command; a dead holder's lease is taken over.
  [[nodiscard]] Expected<Lease> acquire_lease(const std::string& run_id,
                                              const std::string& command);

  // The raw handle, for modules that own tables of their own (the action journal).
  [[nodiscard]] sqlite3* handle() const { return m_db; }

 private:
  friend class Lease;
  Store(std::filesystem::path dir, sqlite3* db) : m_dir(std::move(dir)), m_db(db) {}
  void release_lease(const std::string& run_id);
  [[nodiscard]] Expected<void> migrate();

  std::filesystem::path m_dir;
  sqlite3* m_db = nullptr;
};

}  // namespace labctl::state
