#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

// Tests that hold for both state stores are parametrised over StoreKind (not copied):
//   INSTANTIATE_TEST_SUITE_P(Stores, MySuite, k_both_stores, store_kind_name);
// A PostgreSQL case gets a fresh database of the test process's PgServer; it skips (with the
// reason) where no server can run, which CI (root) never allows.
namespace labctl::testing {

enum class StoreKind { sqlite, postgresql };

inline const auto k_both_stores = ::testing::Values(StoreKind::sqlite, StoreKind::postgresql);

// "sqlite" / "postgresql": the parameter's part of the test name.
[[nodiscard]] std::string store_kind_name(const ::testing::TestParamInfo<StoreKind>& info);

// The CE_STATE_URL a test of `kind` runs with: "" for SQLite (the state directory's state.db);
// a new, empty PostgreSQL database's URL otherwise; nullopt with `why` set when no server runs.
[[nodiscard]] std::optional<std::string> state_url_for(StoreKind kind, std::string* why);

}  // namespace labctl::testing
