#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db.hpp"
#include "core/env.hpp"
#include "core/error.hpp"

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
  std::string machine;  // the machine whose labctl recorded the run (StateLocation::machine)
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

// Where the state is and who this machine is, from the environment: CE_STATE_DIR (this
// machine's directory: SQLite's state.db unless CE_STATE_URL is set, and files such as a
// run's preflight.json), CE_STATE_URL (a PostgreSQL database a team shares), CE_MACHINE (the
// machine's name in runs and leases; the host name by default) and CE_LEASE_SECONDS (how long
// a lease holder may stay silent before another machine takes the run over; 60).
struct StateLocation {
  std::filesystem::path dir;
  std::string url;
  std::string machine;
  long long lease_seconds = 60;

  // From the environment; a bad CE_LEASE_SECONDS or CE_MACHINE is a usage error naming it.
  [[nodiscard]] static Expected<StateLocation> from(const EnvLookup& env);
  // SQLite in `dir`, this host's name, the default lease time.
  [[nodiscard]] static StateLocation local(const std::filesystem::path& dir);
  // The directory, or the database URL without its password: for messages.
  [[nodiscard]] std::string describe() const;
};

class Store;

// Held while a process operates a run; released by the destructor. While held, a thread
// renews the lease's heartbeat every third of its lease time, so another machine can tell a
// live holder from a dead one; lost() turns true if the lease was taken over meanwhile.
class Lease {
 public:
  Lease() = default;
  Lease(Store* store, std::string run_id, std::string token);
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease(Lease&& other) noexcept = delete;
  Lease& operator=(Lease&& other) noexcept = delete;
  ~Lease();
  void release();
  [[nodiscard]] bool lost() const { return m_lost.load(); }

 private:
  void heartbeat_loop(long long interval_s);

  Store* m_store = nullptr;
  std::string m_run_id;
  std::string m_token;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::atomic<bool> m_lost{false};
  std::thread m_heartbeat;
};

// The state database, on SQLite (a file `state.db` in the state directory, WAL, 0600 in a 0700
// directory; several processes share it through SQLite's locking, busy timeout 15 s) or on
// PostgreSQL (CE_STATE_URL; several machines share it, each write transaction under one
// advisory lock). The same schema, transitions and guarantees on both. Every method is safe to
// call from several threads.
class Store {
 public:
  // Creates the directory (SQLite) and the schema as needed and migrates it, under the write
  // lock. Errors say where and why, with exit code usage (a bad CE_STATE_DIR or CE_STATE_URL)
  // or provider (a corrupt or unreachable database).
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open(const StateLocation& location);
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open(const EnvLookup& env);
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open(const std::filesystem::path& dir);
  // Opens only if there is state: a SQLite database that already exists (nothing is created;
  // nullptr otherwise), or the PostgreSQL database (always there once reachable).
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open_existing(
      const StateLocation& location);
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open_existing(const EnvLookup& env);
  [[nodiscard]] static Expected<std::unique_ptr<Store>> open_existing(
      const std::filesystem::path& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const { return m_location.dir; }
  [[nodiscard]] const StateLocation& location() const { return m_location; }

  // Inserts the run. When run.run_id is taken (same second, same scenario), appends -2, -3, ...
  // and returns the id actually stored.
  [[nodiscard]] Expected<std::string> insert_run(const RunRecord& run);
  [[nodiscard]] Expected<std::optional<RunRecord>> find_run(const std::string& run_id);
  // All runs, newest first.
  [[nodiscard]] Expected<std::vector<RunRecord>> list_runs();
  // The newest run that is not down; nullopt if none.
  [[nodiscard]] Expected<std::optional<RunRecord>> latest_active_run();
  [[nodiscard]] Expected<void> set_run_status(const std::string& run_id, const std::string& status);

  // Records the intent to create a resource; returns its row id. Call BEFORE sending. When this
  // Store holds the run's lease and another holder has taken it over meanwhile (this process
  // was silent past its lease time), nothing is recorded and the error (ExitCode::refused)
  // names the new holder: the intent is the fence before every create.
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

  // Takes the run's lease for this process. Refused (ExitCode::refused) while another holder
  // is alive, naming its machine, pid, command and last heartbeat. A holder is dead when its
  // heartbeat is older than its lease time, or, on this very machine, when its pid is gone;
  // a dead holder's lease is taken over.
  [[nodiscard]] Expected<std::unique_ptr<Lease>> acquire_lease(const std::string& run_id,
                                                               const std::string& command);

  // Refused (ExitCode::refused, naming the new holder) when this Store took `run_id`'s lease
  // and the lease row is no longer its own: another machine took the run over while this
  // process was silent past its lease time. Nothing to check when this Store holds no lease
  // of the run.
  [[nodiscard]] Expected<void> check_lease_held(const std::string& run_id);

  // The connection, for modules that own tables of their own (the action journal).
  [[nodiscard]] Database& db() const { return *m_db; }

 private:
  friend class Lease;
  Store(StateLocation location, std::unique_ptr<Database> db)
      : m_location(std::move(location)), m_db(std::move(db)) {}
  void release_lease(const std::string& run_id, const std::string& token);
  // Renews the heartbeat; false when the lease is no longer this holder's.
  [[nodiscard]] Expected<bool> renew_lease(const std::string& run_id, const std::string& token);
  [[nodiscard]] Expected<void> migrate();

  StateLocation m_location;
  std::unique_ptr<Database> m_db;
  std::mutex m_leases_mutex;
  std::map<std::string, std::string> m_leases;  // run_id -> token of the leases held
};

}  // namespace labctl::state
