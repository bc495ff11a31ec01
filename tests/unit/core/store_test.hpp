#pragma once

#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/db.hpp"
#include "core/state_store.hpp"
#include "tests/support/store_kind.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::testing {

// A test of the store's guarantees, run on each StoreKind (INSTANTIATE_TEST_SUITE_P(Stores,
// Suite, k_both_stores, store_kind_name) over a `using Suite = StoreTest;`). `store` is
// machine-a's Store on a fresh database: SQLite in tmp/state, or a new PostgreSQL database.
// open_as() opens another Store on that same database with a connection of its own, as
// another process or machine would.
class StoreTest : public TempDirTest, public ::testing::WithParamInterface<StoreKind> {
 protected:
  static constexpr const char* k_machine = "machine-a";

  void SetUp() override {
    std::string why;
    auto url = state_url_for(GetParam(), &why);
    if (!url) GTEST_SKIP() << "no PostgreSQL server: " << why;
    state_url = *url;
    store = open_as(k_machine);
    ASSERT_NE(store, nullptr);
  }

  [[nodiscard]] bool on_postgresql() const { return GetParam() == StoreKind::postgresql; }

  [[nodiscard]] state::StateLocation location(const std::string& machine,
                                              long long lease_seconds = 60) const {
    return {.dir = tmp.path() / "state",
            .url = state_url,
            .machine = machine,
            .lease_seconds = lease_seconds};
  }

  // The Store of `machine` on the test's database; nullptr (the test failed) if it does not open.
  [[nodiscard]] std::unique_ptr<state::Store> open_as(const std::string& machine,
                                                      long long lease_seconds = 60) const {
    auto opened = state::Store::open(location(machine, lease_seconds));
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? std::move(*opened) : nullptr;
  }

  std::string state_url;  // "" for SQLite
  std::unique_ptr<state::Store> store;
};

// The first column of the first row of `sql` as an integer: a test's own look into the
// database. Fails the test (and returns -1) on an error or no row.
[[nodiscard]] inline long long query_integer(state::Database& db, const std::string& sql) {
  state::Statement s(db, sql);
  auto row = s.step();
  EXPECT_TRUE(row && *row) << sql << ": " << (row ? "no row" : row.error().message);
  return row && *row ? s.integer(0) : -1;
}

// Runs fn(0) .. fn(n - 1) on n threads released at once, as n processes would race; returns when
// every one is done.
template <class Fn>
void race(int n, Fn fn) {
  std::latch start(n);
  std::vector<std::jthread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&start, &fn, i] {
      start.arrive_and_wait();
      fn(i);
    });
  }
}

}  // namespace labctl::testing
