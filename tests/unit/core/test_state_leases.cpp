// Run leases (core/state_store.hpp) on both stores: a live holder is refused, a dead one taken
// over, wherever each runs; the heartbeat keeps a live holder's lease past its lease time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/state_store.hpp"
#include "tests/unit/core/store_test.hpp"

namespace labctl::state {
namespace {

using labctl::testing::k_both_stores;
using labctl::testing::store_kind_name;
using namespace std::chrono_literals;

class Leases : public labctl::testing::StoreTest {
 protected:
  // A child process that holds `run_id`'s lease (command "up") on the test's database as
  // `machine`, until killed; its pid once it holds the lease, -1 (the test failed) otherwise.
  // The test's own `store` is closed first: no SQLite connection may cross a fork().
  pid_t fork_holder(const std::string& machine, long long lease_seconds) {
    store.reset();
    int ready[2];
    EXPECT_EQ(pipe(ready), 0);
    const StateLocation where = location(machine, lease_seconds);
    const pid_t child = fork();
    if (child == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a test that crashed
      auto holder = Store::open(where);
      if (!holder) _exit(2);
      auto lease = (*holder)->acquire_lease(k_run, "up");
      if (!lease) _exit(3);
      const char ok = 'y';
      if (write(ready[1], &ok, 1) != 1) _exit(4);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char c = 0;
    const bool held = child > 0 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
    if (child > 0 && !held) waitpid(child, nullptr, 0);
    EXPECT_TRUE(held) << "the child could not take the lease";
    store = open_as(k_machine);
    return held ? child : -1;
  }

  // `attempt` refused, naming the holder: its machine, pid and command.
  static void expect_refused_naming(const Expected<std::unique_ptr<Lease>>& attempt,
                                    const std::string& machine, pid_t pid,
                                    const std::string& command = "up") {
    ASSERT_FALSE(attempt) << "the lease was taken from a live holder";
    EXPECT_EQ(attempt.error().code, ExitCode::refused);
    const std::string& message = attempt.error().message;
    EXPECT_NE(message.find("pid " + std::to_string(pid) + " on " + machine), std::string::npos)
        << message;
    EXPECT_NE(message.find("(labctl " + command + " since"), std::string::npos) << message;
    EXPECT_NE(message.find("last heartbeat"), std::string::npos) << message;
  }

  static constexpr const char* k_run = "run-1";
};

// Given a live process on this machine holding a run's lease, expect a refusal naming it; once
// that process is dead, expect the lease taken over at once (its pid is checked here).
TEST_P(Leases, LiveHolderIsRefusedAndADeadOneTakenOver) {
  const pid_t child = fork_holder(k_machine, 60);
  ASSERT_GT(child, 0);
  expect_refused_naming(store->acquire_lease(k_run, "down"), k_machine, child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto taken = store->acquire_lease(k_run, "down");
  ASSERT_TRUE(taken) << taken.error().message;
  (*taken)->release();
  EXPECT_TRUE(store->acquire_lease(k_run, "down"));
}

// Given a lease held by a live holder on another machine (another Store, its own connection),
// expect a refusal naming that machine, the pid and the command.
TEST_P(Leases, HolderOnAnotherMachineIsRefusedNamingIt) {
  auto other = open_as("machine-b");
  ASSERT_NE(other, nullptr);
  auto held = other->acquire_lease(k_run, "up");
  ASSERT_TRUE(held) << held.error().message;
  expect_refused_naming(store->acquire_lease(k_run, "down"), "machine-b", getpid());
}

// Given a holder on another machine that died (its heartbeat stopped; the pid of a machine
// named apart is never checked, even on this kernel), expect the lease refused until the
// holder has been silent longer than its lease time (3 s), then taken over.
TEST_P(Leases, HolderWhoseHeartbeatStoppedIsTakenOverAfterItsLeaseTime) {
  const pid_t child = fork_holder("machine-b", 3);
  ASSERT_GT(child, 0);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const auto died = std::chrono::steady_clock::now();
  Expected<std::unique_ptr<Lease>> taken = fail(ExitCode::refused, "not tried");
  while (std::chrono::steady_clock::now() - died < 20s) {
    taken = store->acquire_lease(k_run, "down");
    if (taken || taken.error().code != ExitCode::refused) break;
    EXPECT_NE(taken.error().message.find("on machine-b"), std::string::npos)
        << taken.error().message;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(taken) << taken.error().message;
  // A dead pid alone would have been taken over at once: the heartbeat decided here.
  EXPECT_GE(std::chrono::steady_clock::now() - died, 1s);
}

// Given a live holder on another machine with a 3 s lease, expect its heartbeat to keep the
// lease refused to others well past those 3 s, and the lease never lost.
TEST_P(Leases, LiveHolderKeepsItsLeasePastItsLeaseTime) {
  auto other = open_as("machine-b", 3);
  ASSERT_NE(other, nullptr);
  auto held = other->acquire_lease(k_run, "up");
  ASSERT_TRUE(held) << held.error().message;
  // The passing of time is what is tested: a lease time and a half, tried all along.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    expect_refused_naming(store->acquire_lease(k_run, "down"), "machine-b", getpid());
    if (HasFailure()) return;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_FALSE((*held)->lost());
}

// Given a holder whose lease another machine took over (its heartbeat seen stale), expect
// lost() to turn true at the holder's next heartbeat, the old holder's next intent refused
// naming the new holder (nothing recorded), and its release to leave the new lease alone.
TEST_P(Leases, LostTurnsTrueWhenAnotherMachineTookTheLeaseOver) {
  auto other = open_as("machine-b", 3);
  ASSERT_NE(other, nullptr);
  auto held = other->acquire_lease(k_run, "up");
  ASSERT_TRUE(held) << held.error().message;
  std::unique_ptr<Lease> taken;
  {
    // Ageing the heartbeat and the takeover in one write transaction: the holder's heartbeat
    // cannot renew in between.
    Transaction tx(store->db());
    ASSERT_TRUE(tx.begin());
    ASSERT_TRUE(
        Statement(store->db(), "UPDATE leases SET heartbeat_at = heartbeat_at - 100").run());
    auto attempt = store->acquire_lease(k_run, "down");
    ASSERT_TRUE(attempt) << attempt.error().message;
    ASSERT_TRUE(tx.commit());
    taken = std::move(*attempt);
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(*held)->lost() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE((*held)->lost());
  EXPECT_FALSE(taken->lost());
  ResourceRecord intent;
  intent.run_id = k_run;
  const auto fenced = other->record_intent(intent);
  ASSERT_FALSE(fenced) << "the old holder recorded an intent after losing the lease";
  EXPECT_EQ(fenced.error().code, ExitCode::refused);
  EXPECT_NE(fenced.error().message.find("pid " + std::to_string(getpid()) + " on " + k_machine),
            std::string::npos)
      << fenced.error().message;
  EXPECT_TRUE(store->record_intent(intent)) << "the new holder is fenced off too";
  EXPECT_EQ(store->resources(k_run)->size(), 1u);
  held->reset();  // releases what is no longer its own: nothing
  auto third = open_as("machine-c");
  ASSERT_NE(third, nullptr);
  expect_refused_naming(third->acquire_lease(k_run, "status"), k_machine, getpid(), "down");
}

INSTANTIATE_TEST_SUITE_P(Stores, Leases, k_both_stores, store_kind_name);

}  // namespace
}  // namespace labctl::state
