// State-write benchmark: what a state write costs on the PostgreSQL store (CE_STATE_URL; a real
// PostgreSQL 15 that this bench starts, reached over 127.0.0.1) against the default SQLite store
// (a temporary CE_STATE_DIR), measured on the same machine in the same run. Four measurements,
// each on a fresh SQLite directory and a fresh PostgreSQL database:
//   writes  one Store holding its run's lease records N resources' lives as `up` does
//           (record_intent, mark_created with attrs, add_event): median and p95 per write,
//           writes/s;
//   lease   acquire_lease + release, M times: median and p95 per pair, pairs/s;
//   claims  4 threads, each with its own Store, claim distinct journal keys under contention
//           (journal::transition pending -> running): claims/s;
//   team    10 agents (threads, each with its own Store and connection) each record a run of 40
//           resources (run, lease, intent + created + event per resource, status, release) while
//           a janitor (its own Store) lists the runs and their resources every 100 ms: wall time
//           and per-write latency. On SQLite the ten share one state.db, as ten labctl processes
//           of one machine would.
// Each figure is printed for both stores with the ratio PostgreSQL / SQLite. A ratio is printed
// only when both sides did all their work (every write succeeded and the rows read back are
// there); otherwise the measurement says why there is none, and the bench exits 1.
// Neither side waits for a disk flush per commit (SQLite: WAL, synchronous=NORMAL; the test
// server: fsync=off, synchronous_commit=off), so the figures are the engines' and the protocol's
// cost; a PostgreSQL with fsync on adds its disk's flush to every commit.
//
// Usage (root: the server runs as user postgres):
//   labctl_state_write_bench [--lives 2000] [--leases 500] [--claims 500]
//   --claims N: journal keys per claiming thread.
// Not root, or PostgreSQL 15 missing: prints "state_write: skipped: <why>" and exits 0.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/action_journal.hpp"
#include "core/state_store.hpp"
#include "tests/support/pg_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unit_run.hpp"

namespace {

using labctl::Error;
using labctl::ExitCode;
using labctl::Expected;
using labctl::fail;
using labctl::state::ResourceRecord;
using labctl::state::StateLocation;
using labctl::state::Store;
using Clock = std::chrono::steady_clock;

constexpr int k_warm_up_lives = 50;
constexpr int k_warm_up_leases = 20;
constexpr int k_claim_threads = 4;
constexpr int k_agents = 10;
constexpr int k_agent_resources = 40;
constexpr auto k_janitor_interval = std::chrono::milliseconds(100);

struct Options {
  int lives = 2000;
  int leases = 500;
  int claims = 500;  // per thread
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Runs `call`, appends how long it took (ms) to `into`, and returns its result.
template <class Call>
auto timed(std::vector<double>& into, Call&& call) {
  const auto start = Clock::now();
  auto result = std::forward<Call>(call)();
  into.push_back(ms_since(start));
  return result;
}

// The nearest-rank quantile q (0 < q <= 1) of `values`; 0 when empty.
double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

void append(std::vector<double>& into, const std::vector<double>& more) {
  into.insert(into.end(), more.begin(), more.end());
}

// One figure of a measurement; both stores give the same rows, in the same order.
struct Figure {
  std::string name;
  double value = 0;
};
using Figures = std::vector<Figure>;

Figures latency_figures(const std::string& what, const std::vector<double>& ms) {
  return {{"median per " + what + " (ms)", quantile(ms, 0.5)},
          {"p95 per " + what + " (ms)", quantile(ms, 0.95)}};
}

// Per-write latencies (ms) of one resource's life, by call.
struct LifeLatencies {
  std::vector<double> intent, created, event;
  [[nodiscard]] std::vector<double> all() const {
    std::vector<double> out = intent;
    append(out, created);
    append(out, event);
    return out;
  }
};

Expected<std::string> insert_run(Store& store, const std::string& run_id) {
  return store.insert_run(labctl::testing::unit_aws_run(run_id, "bench"));
}

// One resource's life as `up` records it: the intent before the create call, the create once
// confirmed with what was learnt, and its event.
Expected<void> resource_life(Store& store, const std::string& run_id, int i, LifeLatencies& out) {
  ResourceRecord resource;
  resource.run_id = run_id;
  resource.provider = "aws";
  resource.kind = "instance";
  resource.name = "bench-router-" + std::to_string(i);
  resource.region = "us-east-1";
  resource.request = {{"ImageId", "ami-0abcdef1234567890"},
                      {"InstanceType", "t3.micro"},
                      {"SubnetId", "subnet-0bench"}};
  char cloud_id[32];
  std::snprintf(cloud_id, sizeof cloud_id, "i-%017x", static_cast<unsigned>(i));
  const nlohmann::json attrs = {
      {"privateIp", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 4)},
      {"eni", "eni-bench" + std::to_string(i)}};
  const nlohmann::json detail = {{"name", resource.name}, {"state", "created"}};
  long long id = 0;
  TRY_ASSIGN(id, timed(out.intent, [&] { return store.record_intent(resource); }));
  TRY(timed(out.created, [&] { return store.mark_created(id, cloud_id, attrs); }));
  TRY(timed(out.event, [&] { return store.add_event(run_id, "resource", detail); }));
  return {};
}

// Fails unless `run_id` has exactly `count` resources, all created, and `count` events.
Expected<void> check_lives(Store& store, const std::string& run_id, std::size_t count) {
  std::vector<ResourceRecord> resources;
  TRY_ASSIGN(resources, store.resources(run_id));
  const auto created = std::count_if(resources.begin(), resources.end(), [](const auto& r) {
    return r.state == labctl::state::k_res_created;
  });
  std::vector<labctl::state::EventRecord> events;
  TRY_ASSIGN(events, store.events(run_id));
  if (resources.size() != count || static_cast<std::size_t>(created) != count ||
      events.size() != count) {
    return fail(ExitCode::provider,
                "run " + run_id + " reads back " + std::to_string(resources.size()) +
                    " resources (" + std::to_string(created) + " created) and " +
                    std::to_string(events.size()) + " events, not " + std::to_string(count));
  }
  return {};
}

// Single writes: one Store, the run's lease held (so every intent checks it, as in `up`).
Expected<Figures> measure_writes(const StateLocation& where, const Options& options) {
  std::unique_ptr<Store> store;
  TRY_ASSIGN(store, Store::open(where));
  std::string run_id;
  TRY_ASSIGN(run_id, insert_run(*store, "bench-writes"));
  auto lease = store->acquire_lease(run_id, "up");
  if (!lease) return std::unexpected(lease.error());
  LifeLatencies warm_up, latencies;
  for (int i = 0; i < k_warm_up_lives; ++i) TRY(resource_life(*store, run_id, i, warm_up));
  const auto start = Clock::now();
  for (int i = 0; i < options.lives; ++i) {
    TRY(resource_life(*store, run_id, k_warm_up_lives + i, latencies));
  }
  const double seconds = ms_since(start) / 1000;
  TRY(check_lives(*store, run_id, static_cast<std::size_t>(k_warm_up_lives + options.lives)));
  const std::vector<double> all = latencies.all();
  Figures figures = latency_figures("write", all);
  figures.push_back({"writes/s", static_cast<double>(all.size()) / seconds});
  figures.push_back({"median record_intent (ms)", quantile(latencies.intent, 0.5)});
  figures.push_back({"median mark_created (ms)", quantile(latencies.created, 0.5)});
  figures.push_back({"median add_event (ms)", quantile(latencies.event, 0.5)});
  return figures;
}

// Lease pairs on one run: each acquire succeeds only if the previous release took effect (this
// very process would otherwise be a live holder), so every pair did its work. A lease starts a
// heartbeat thread and its release joins it, so on a busy machine the pair includes waiting for
// that thread to be scheduled, on either store.
Expected<Figures> measure_leases(const StateLocation& where, const Options& options) {
  std::unique_ptr<Store> store;
  TRY_ASSIGN(store, Store::open(where));
  std::string run_id;
  TRY_ASSIGN(run_id, insert_run(*store, "bench-leases"));
  std::vector<double> acquires, releases;
  const auto pair = [&]() -> Expected<void> {
    auto lease = timed(acquires, [&] { return store->acquire_lease(run_id, "down"); });
    if (!lease) return std::unexpected(lease.error());
    const auto released = Clock::now();
    (*lease)->release();
    releases.push_back(ms_since(released));
    return {};
  };
  for (int i = 0; i < k_warm_up_leases; ++i) TRY(pair());
  acquires.clear();
  releases.clear();
  std::vector<double> ms;
  const auto start = Clock::now();
  for (int i = 0; i < options.leases; ++i) TRY(timed(ms, pair));
  const double seconds = ms_since(start) / 1000;
  Figures figures = latency_figures("acquire+release", ms);
  figures.push_back({"pairs/s", static_cast<double>(options.leases) / seconds});
  figures.push_back({"median acquire_lease (ms)", quantile(acquires, 0.5)});
  figures.push_back({"median release (ms)", quantile(releases, 0.5)});
  return figures;
}

std::string claim_key(int thread, int i) {
  return "bench-claim-" + std::to_string(thread) + "-" + std::to_string(i);
}

// Journal claims: the keys imported pending (untimed), then k_claim_threads threads, each with
// its own Store, race to move their own keys to running; every write transaction of every
// thread takes the one write lock, so they contend for it, not for rows.
Expected<Figures> measure_claims(const StateLocation& where, const Options& options) {
  std::unique_ptr<Store> setup;
  TRY_ASSIGN(setup, Store::open(where));
  std::string run_id;
  TRY_ASSIGN(run_id, insert_run(*setup, "bench-claims"));
  std::vector<labctl::journal::ActionRow> rows;
  for (int t = 0; t < k_claim_threads; ++t) {
    for (int i = 0; i < options.claims; ++i) {
      labctl::journal::ActionRow row;
      row.idempotency_key = claim_key(t, i);
      row.source = "plan";
      row.run_id = run_id;
      row.provider = "aws";
      row.action = "assign-secondary-ip";
      row.address = "10.0." + std::to_string(t) + "." + std::to_string(i % 250 + 4);
      row.target = {{"eni", "eni-bench" + std::to_string(t)},
                    {"address", row.address},
                    {"region", "us-east-1"}};
      row.risk_level = "medium";
      rows.push_back(std::move(row));
    }
  }
  TRY(labctl::journal::import_actions(*setup, rows));

  std::vector<std::unique_ptr<Store>> stores(k_claim_threads);
  for (auto& store : stores) TRY_ASSIGN(store, Store::open(where));
  std::vector<std::vector<double>> ms(k_claim_threads);
  std::vector<std::optional<Error>> errors(k_claim_threads);
  std::latch go(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_claim_threads; ++t) {
    threads.emplace_back([&, t] {
      go.wait();
      for (int i = 0; i < options.claims && !errors[t]; ++i) {
        const auto claimed = timed(ms[t], [&] {
          return labctl::journal::transition(*stores[t], claim_key(t, i),
                                             {labctl::journal::k_pending},
                                             labctl::journal::k_running);
        });
        if (!claimed) errors[t] = claimed.error();
        if (claimed && !*claimed) {
          errors[t] = Error{ExitCode::provider, claim_key(t, i) + " was not pending"};
        }
      }
    });
  }
  const auto start = Clock::now();
  go.count_down();
  for (auto& thread : threads) thread.join();
  const double seconds = ms_since(start) / 1000;
  for (const auto& error : errors) {
    if (error) return std::unexpected(*error);
  }
  std::vector<labctl::journal::ActionRow> after;
  TRY_ASSIGN(after, labctl::journal::list(*setup, run_id));
  const auto running = std::count_if(after.begin(), after.end(), [](const auto& row) {
    return row.status == labctl::journal::k_running;
  });
  if (static_cast<std::size_t>(running) != rows.size()) {
    return fail(ExitCode::provider, std::to_string(running) + " of " + std::to_string(rows.size()) +
                                        " keys read back running");
  }
  std::vector<double> all;
  for (const auto& thread_ms : ms) append(all, thread_ms);
  Figures figures = {{"claims/s", static_cast<double>(all.size()) / seconds}};
  const Figures latency = latency_figures("claim", all);
  figures.insert(figures.end(), latency.begin(), latency.end());
  return figures;
}

std::string agent_run(int agent) { return "bench-agent-" + std::to_string(agent); }

// One agent's run, as `up` writes it: the run, its lease, each resource's life, the status, the
// release. Every write's latency (ms) goes to `ms`.
Expected<void> agent_work(Store& store, int agent, std::vector<double>& ms) {
  std::string run_id;
  TRY_ASSIGN(run_id, timed(ms, [&] { return insert_run(store, agent_run(agent)); }));
  auto lease = timed(ms, [&] { return store.acquire_lease(run_id, "up"); });
  if (!lease) return std::unexpected(lease.error());
  LifeLatencies lives;
  for (int i = 0; i < k_agent_resources; ++i) TRY(resource_life(store, run_id, i, lives));
  append(ms, lives.all());
  TRY(timed(ms, [&] { return store.set_run_status(run_id, labctl::state::k_run_up); }));
  const auto released = Clock::now();
  (*lease)->release();
  ms.push_back(ms_since(released));
  return {};
}

// What the janitor reads each pass: every run, and every run's resources.
Expected<void> janitor_scan(Store& store) {
  std::vector<labctl::state::RunRecord> runs;
  TRY_ASSIGN(runs, store.list_runs());
  for (const auto& run : runs) TRY(store.resources(run.run_id));
  return {};
}

// The team view: k_agents agents and one janitor, each with its own Store, all opened before the
// clock starts; the wall time runs from the start signal to the last agent's release.
Expected<Figures> measure_team(const StateLocation& where, const Options& /*options*/) {
  std::vector<std::unique_ptr<Store>> stores(k_agents + 1);
  for (int i = 0; i < k_agents + 1; ++i) {
    StateLocation location = where;
    location.machine = i < k_agents ? "agent-" + std::to_string(i) : "janitor";
    TRY_ASSIGN(stores[i], Store::open(location));
  }
  Store& janitor_store = *stores[k_agents];
  std::vector<std::vector<double>> ms(k_agents);
  std::vector<std::optional<Error>> errors(k_agents + 1);
  std::vector<double> scans;
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false;
  std::latch go(1);
  std::vector<std::thread> agents;
  for (int a = 0; a < k_agents; ++a) {
    agents.emplace_back([&, a] {
      go.wait();
      if (auto worked = agent_work(*stores[a], a, ms[a]); !worked) errors[a] = worked.error();
    });
  }
  std::thread janitor([&] {
    go.wait();
    std::unique_lock lock(mutex);
    while (!done) {
      lock.unlock();
      const auto scanned = timed(scans, [&] { return janitor_scan(janitor_store); });
      lock.lock();
      if (!scanned) {
        errors[k_agents] = scanned.error();
        return;
      }
      wake.wait_for(lock, k_janitor_interval, [&] { return done; });
    }
  });
  const auto start = Clock::now();
  go.count_down();
  for (auto& agent : agents) agent.join();
  const double seconds = ms_since(start) / 1000;
  {
    const std::lock_guard lock(mutex);
    done = true;
  }
  wake.notify_all();
  janitor.join();
  for (const auto& error : errors) {
    if (error) return std::unexpected(*error);
  }
  for (int a = 0; a < k_agents; ++a)
    TRY(check_lives(janitor_store, agent_run(a), k_agent_resources));
  std::vector<double> all;
  for (const auto& agent_ms : ms) append(all, agent_ms);
  Figures figures = {{"total (s)", seconds}};
  const Figures latency = latency_figures("write", all);
  figures.insert(figures.end(), latency.begin(), latency.end());
  figures.push_back({"janitor scans", static_cast<double>(scans.size())});
  figures.push_back({"median janitor scan (ms)", quantile(scans, 0.5)});
  return figures;
}

// A fresh place for each measurement and store: a new directory under the bench's temporary
// directory (state.db for SQLite) and, for PostgreSQL, a new database of the bench's server.
class Places {
 public:
  explicit Places(labctl::testing::PgServer& server) : m_server(server) {}
  StateLocation fresh(bool postgresql) {
    StateLocation location =
        StateLocation::local(m_tmp.path() / ("state-" + std::to_string(++m_count)));
    if (postgresql) location.url = m_server.create_database();
    return location;
  }

 private:
  labctl::testing::PgServer& m_server;
  labctl::testing::TempDir m_tmp;
  int m_count = 0;
};

std::string number(double value) {
  char out[32];
  std::snprintf(out, sizeof out, value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.3f", value);
  return out;
}

using Measure = std::function<Expected<Figures>(const StateLocation&, const Options&)>;

// Runs `measure` on SQLite, then on PostgreSQL, and prints its rows with the ratio; false (and
// the reason instead of rows) when either side did not do all its work.
bool compare(const std::string& title, const Measure& measure, Places& places,
             const Options& options) {
  const auto sqlite = measure(places.fresh(false), options);
  const auto postgresql = measure(places.fresh(true), options);
  std::printf("%s\n", title.c_str());
  if (!sqlite || !postgresql) {
    std::printf("  no ratio: %s failed: %s\n", !sqlite ? "SQLite" : "PostgreSQL",
                (!sqlite ? sqlite.error() : postgresql.error()).message.c_str());
    return false;
  }
  for (std::size_t i = 0; i < sqlite->size(); ++i) {
    const double base = (*sqlite)[i].value;
    const double pg = (*postgresql)[i].value;
    const std::string ratio = base > 0 ? number(pg / base) + "x" : "-";
    std::printf("  %-32s %10s %10s %10s\n", (*sqlite)[i].name.c_str(), number(base).c_str(),
                number(pg).c_str(), ratio.c_str());
  }
  return true;
}

// The 1-minute load average: the figures of a busy machine are not an idle one's.
std::string load_average() {
  std::string text = labctl::testing::read_text("/proc/loadavg");
  return text.substr(0, text.find(' '));
}

// Parses "--name N" pairs into `options`; false on anything else.
bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) return false;
    int* field = std::strcmp(argv[i], "--lives") == 0    ? &options.lives
                 : std::strcmp(argv[i], "--leases") == 0 ? &options.leases
                 : std::strcmp(argv[i], "--claims") == 0 ? &options.claims
                                                         : nullptr;
    char* end = nullptr;
    const long value = std::strtol(argv[i + 1], &end, 10);
    if (field == nullptr || *end != '\0' || value < 1 || value > 1000000) return false;
    *field = static_cast<int>(value);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: labctl_state_write_bench [--lives N] [--leases N] [--claims N] "
                 "(each 1..1000000)\n");
    return 2;
  }
  std::string why;
  labctl::testing::PgServer* server = labctl::testing::PgServer::shared(&why);
  if (server == nullptr) {
    std::printf("state_write: skipped: %s\n", why.c_str());
    return 0;
  }
  try {
    Places places(*server);
    std::printf(
        "state_write: SQLite (temporary CE_STATE_DIR, WAL, synchronous=NORMAL) vs PostgreSQL 15 "
        "(127.0.0.1:%d, fsync=off, synchronous_commit=off), same run; neither flushes the disk "
        "per commit; load average %s on %u CPUs\n",
        server->port(), load_average().c_str(), std::thread::hardware_concurrency());
    std::printf("  %-32s %10s %10s %10s\n", "", "SQLite", "PostgreSQL", "PG/SQLite");
    bool complete = true;
    const auto row = [&](const std::string& title, const Measure& measure) {
      complete = compare(title, measure, places, options) && complete;
    };
    row("writes: " + std::to_string(options.lives) +
            " resource lives (record_intent + mark_created + add_event), one Store, lease held",
        measure_writes);
    row("lease: " + std::to_string(options.leases) + " acquire_lease + release on one run",
        measure_leases);
    row("claims: journal::transition pending->running, " + std::to_string(k_claim_threads) +
            " threads x " + std::to_string(options.claims) + " distinct keys, a Store each",
        measure_claims);
    row("team: " + std::to_string(k_agents) + " agents x " + std::to_string(k_agent_resources) +
            " resources (run, lease, intent+created+event, status, release) + a janitor "
            "listing runs and resources every " +
            std::to_string(k_janitor_interval.count()) + " ms, a Store each",
        measure_team);
    return complete ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "state_write: %s\n", error.what());
    return 1;
  }
}
