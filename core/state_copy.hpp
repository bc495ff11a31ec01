#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/state_store.hpp"

// Copies a whole state from one store to another (`labctl state migrate`): SQLite to
// PostgreSQL when a team starts sharing its state, and back. Every table but the leases is
// copied with its ids, so run ids, resource ids and journal keys mean the same on both sides.
namespace labctl::state {

// One copied table and how many rows it holds on both sides after the copy.
struct TableCount {
  std::string table;
  long long rows = 0;
};

struct CopyReport {
  std::string from;  // StateLocation::describe(): never a password
  std::string to;
  std::vector<TableCount> tables;  // in copy order: runs first
  // Leases in the source while it was copied: runs some labctl was operating (or died
  // operating). What such a holder writes later goes to the source only.
  long long leases = 0;
};

// The store `target` names: a PostgreSQL URL (postgresql:// or postgres://), else a state
// directory (SQLite's state.db there). This machine's name and lease time come from `source`.
// An empty target is a usage error.
[[nodiscard]] Expected<StateLocation> target_location(const std::string& target,
                                                      const StateLocation& source);

// Copies the state at `from` into `to`, all or nothing. The source is held in a write
// transaction for the whole copy (a consistent snapshot; its writers wait, leases excepted);
// the target is written in one write transaction that commits only when every table holds as
// many rows on both sides. Refused (ExitCode::refused) when `to` is `from` itself, or already
// holds state; a usage error when `from` holds no state. On PostgreSQL the identity sequences
// continue after the highest copied id.
[[nodiscard]] Expected<CopyReport> copy_state(const StateLocation& from, const StateLocation& to);

}  // namespace labctl::state
