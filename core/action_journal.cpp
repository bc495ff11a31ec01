#include "core/action_journal.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "core/json_io.hpp"
#include "core/db.hpp"
#include "core/time.hpp"

namespace labctl::journal {
namespace {

using state::Statement;

constexpr const char* k_columns =
    "id, idempotency_key, source, run_id, provider, provider_ref, action, target_json, "
    "parameters_json, undo_json, observed_json, risk_level, status, address, epoch, approved_by, "
    "approved_at, executed_at, result_message, error, created_at, updated_at";

std::string now_text() { return format_rfc3339_ms(std::chrono::system_clock::now()); }

// The journal's JSON columns are labctl's own writing; one that does not parse (a hand-edited
// database) reads as {} rather than failing every command that lists the journal.
nlohmann::json parse_or_empty(const std::string& text) {
  auto parsed = json_io::parse(text, "action_executions column");
  return parsed ? std::move(*parsed) : nlohmann::json::object();
}

ActionRow read_row(const Statement& s) {
  ActionRow row;
  row.id = s.integer(0);
  row.idempotency_key = s.text(1);
  row.source = s.text(2);
  row.run_id = s.text(3);
  row.provider = s.text(4);
  row.provider_ref = s.text(5);
  row.action = s.text(6);
  row.target = parse_or_empty(s.text(7));
  row.parameters = parse_or_empty(s.text(8));
  row.undo = parse_or_empty(s.text(9));
  row.observed = parse_or_empty(s.text(10));
  row.risk_level = s.text(11);
  row.status = s.text(12);
  row.address = s.text(13);
  if (!s.is_null(14)) row.epoch = s.integer(14);
  row.approved_by = s.text(15);
  row.approved_at = s.text(16);
  row.executed_at = s.text(17);
  row.result_message = s.text(18);
  row.error = s.text(19);
  row.created_at = s.text(20);
  row.updated_at = s.text(21);
  return row;
}

Expected<std::vector<ActionRow>> collect(Statement& s) {
  std::vector<ActionRow> rows;
  while (true) {
    auto more = s.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return rows;
    rows.push_back(read_row(s));
  }
}

// Binds the row's content columns (everything but id, status, approval, result and times)
// from index `first`: source, run_id, provider, provider_ref, action, target, parameters, undo,
// observed, risk_level, address, epoch.
void bind_content(Statement& s, int first, const ActionRow& row) {
  s.bind(first, row.source).bind(first + 1, row.run_id).bind(first + 2, row.provider);
  s.bind(first + 3, row.provider_ref).bind(first + 4, row.action);
  s.bind(first + 5, json_io::dump(row.target)).bind(first + 6, json_io::dump(row.parameters));
  s.bind(first + 7, json_io::dump(row.undo)).bind(first + 8, json_io::dump(row.observed));
  s.bind(first + 9, row.risk_level).bind(first + 10, row.address);
  if (row.epoch) {
    s.bind(first + 11, *row.epoch);
  } else {
    s.bind_null(first + 11);
  }
}

// The journal's status of every key of `rows` it holds (key -> status), read a few hundred keys
// per query: one round trip per row would dominate a large import on a networked database.
Expected<std::map<std::string, std::string>> statuses_of(state::Database& db,
                                                        const std::vector<ActionRow>& rows) {
  constexpr std::size_t k_keys_per_query = 500;
  std::map<std::string, std::string> statuses;
  for (std::size_t first = 0; first < rows.size(); first += k_keys_per_query) {
    const std::size_t count = std::min(k_keys_per_query, rows.size() - first);
    std::string sql = "SELECT idempotency_key, status FROM action_executions WHERE "
                      "idempotency_key IN (?";
    for (std::size_t i = 1; i < count; ++i) sql += ",?";
    sql += ")";
    Statement s(db, sql);
    for (std::size_t i = 0; i < count; ++i) {
      s.bind(static_cast<int>(i + 1), rows[first + i].idempotency_key);
    }
    while (true) {
      auto more = s.step();
      if (!more) return std::unexpected(more.error());
      if (!*more) break;
      statuses[s.text(0)] = s.text(1);
    }
  }
  return statuses;
}

// Inserts `rows` as pending, in order, a hundred rows per INSERT (one statement prepared for
// the full chunks, one for the rest).
Expected<void> insert_pending(state::Database& db, const std::vector<const ActionRow*>& rows,
                              const std::string& now) {
  constexpr std::size_t k_rows_per_insert = 100;
  constexpr int k_columns_bound = 15;
  const auto sql_for = [](std::size_t count) {
    std::string sql =
        "INSERT INTO action_executions (idempotency_key, source, run_id, provider, "
        "provider_ref, action, target_json, parameters_json, undo_json, observed_json, "
        "risk_level, address, epoch, status, approved_by, approved_at, executed_at, "
        "result_message, error, created_at, updated_at) VALUES ";
    for (std::size_t i = 0; i < count; ++i) {
      sql += i == 0 ? "" : ",";
      sql += "(?,?,?,?,?,?,?,?,?,?,?,?,?,'pending','','','','','',?,?)";
    }
    return sql;
  };
  std::unique_ptr<Statement> full;
  for (std::size_t first = 0; first < rows.size(); first += k_rows_per_insert) {
    const std::size_t count = std::min(k_rows_per_insert, rows.size() - first);
    std::unique_ptr<Statement> rest;
    if (count == k_rows_per_insert && !full) full = std::make_unique<Statement>(db, sql_for(count));
    if (count != k_rows_per_insert) rest = std::make_unique<Statement>(db, sql_for(count));
    Statement& s = count == k_rows_per_insert ? *full : *rest;
    s.reset();
    for (std::size_t i = 0; i < count; ++i) {
      const int base = static_cast<int>(i) * k_columns_bound;
      const ActionRow& row = *rows[first + i];
      s.bind(base + 1, row.idempotency_key);
      bind_content(s, base + 2, row);
      s.bind(base + 14, now).bind(base + 15, now);
    }
    TRY(s.run());
  }
  return {};
}

}  // namespace

Expected<std::vector<ImportOutcome>> import_actions(state::Store& store,
                                                   const std::vector<ActionRow>& rows) {
  state::Transaction tx(store.db());
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error());
  auto known = statuses_of(store.db(), rows);
  if (!known) return std::unexpected(known.error());
  Statement reset(store.db(),
                  "UPDATE action_executions SET source=?, run_id=?, provider=?, provider_ref=?, "
                  "action=?, target_json=?, parameters_json=?, undo_json=?, observed_json=?, "
                  "risk_level=?, address=?, epoch=?, status='pending', approved_by='', "
                  "approved_at='', executed_at='', result_message='', error='', updated_at=? "
                  "WHERE idempotency_key=?");
  const std::string now = now_text();
  std::vector<ImportOutcome> outcomes;
  outcomes.reserve(rows.size());
  std::vector<const ActionRow*> fresh;  // inserted below, in this order (ids follow it)
  for (const ActionRow& row : rows) {
    auto [status, inserted_now] = known->try_emplace(row.idempotency_key, k_pending);
    if (inserted_now) {
      fresh.push_back(&row);
      outcomes.push_back(ImportOutcome::inserted);
    } else if (status->second == k_failed || status->second == k_skipped) {
      reset.reset();
      bind_content(reset, 1, row);
      reset.bind(13, now).bind(14, row.idempotency_key);
      if (auto done = reset.run(); !done) return std::unexpected(done.error());
      status->second = k_pending;
      outcomes.push_back(ImportOutcome::reset);
    } else {
      outcomes.push_back(ImportOutcome::duplicate);
    }
  }
  if (auto inserted = insert_pending(store.db(), fresh, now); !inserted) {
    return std::unexpected(inserted.error());
  }
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error());
  return outcomes;
}

Expected<ImportOutcome> import_action(state::Store& store, const ActionRow& row) {
  auto outcomes = import_actions(store, {row});
  if (!outcomes) return std::unexpected(outcomes.error());
  return outcomes->front();
}

Expected<std::optional<ActionRow>> find(state::Store& store, const std::string& key) {
  Statement s(store.db(), (std::string("SELECT ") + k_columns +
                               " FROM action_executions WHERE idempotency_key = ?")
                                  .c_str());
  s.bind(1, key);
  auto rows = collect(s);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<ActionRow>();
  return std::optional<ActionRow>(std::move(rows->front()));
}

Expected<std::vector<ActionRow>> list(state::Store& store, const std::string& run_id) {
  Statement s(store.db(),
              (std::string("SELECT ") + k_columns +
               " FROM action_executions WHERE ? = '' OR run_id = ? ORDER BY id")
                  .c_str());
  s.bind(1, run_id).bind(2, run_id);
  return collect(s);
}

Expected<bool> transition(state::Store& store, const std::string& key,
                          const std::vector<std::string>& from, const std::string& to) {
  state::Transaction tx(store.db());
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error());
  auto row = find(store, key);
  if (!row) return std::unexpected(row.error());
  if (!*row || std::find(from.begin(), from.end(), (*row)->status) == from.end()) return false;
  Statement s(store.db(),
              "UPDATE action_executions SET status=?, updated_at=? WHERE idempotency_key=?");
  s.bind(1, to).bind(2, now_text()).bind(3, key);
  if (auto done = s.run(); !done) return std::unexpected(done.error());
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error());
  return true;
}

Expected<bool> approve(state::Store& store, const std::string& key, const std::string& by) {
  const std::string now = now_text();
  Statement s(store.db(),
              "UPDATE action_executions SET status='approved', approved_by=?, approved_at=?, "
              "updated_at=? WHERE idempotency_key=? AND status='pending'");
  s.bind(1, by).bind(2, now).bind(3, now).bind(4, key);
  if (auto done = s.run(); !done) return std::unexpected(done.error());
  return s.changes() == 1;
}

Expected<void> record_result(state::Store& store, const std::string& key,
                             const std::string& status, const std::string& message,
                             const nlohmann::json& observed, const std::string& error) {
  const std::string now = now_text();
  Statement s(store.db(),
              "UPDATE action_executions SET status=?, result_message=?, observed_json=?, error=?, "
              "executed_at=?, updated_at=? WHERE idempotency_key=?");
  s.bind(1, status).bind(2, message).bind(3, json_io::dump(observed)).bind(4, error);
  s.bind(5, now).bind(6, now).bind(7, key);
  return s.run();
}

Expected<std::optional<long long>> current_epoch(state::Store& store, const std::string& run_id,
                                                 const std::string& address) {
  Statement s(store.db(),
              "SELECT MAX(epoch) FROM action_executions WHERE run_id=? AND address=? AND "
              "status IN ('succeeded','rolledBack') AND action='assign-secondary-ip' AND "
              "epoch IS NOT NULL");
  s.bind(1, run_id).bind(2, address);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row || s.is_null(0)) return std::optional<long long>();
  return std::optional<long long>(s.integer(0));
}

Expected<std::map<std::string, long long>> current_epochs(state::Store& store,
                                                         const std::string& run_id) {
  Statement s(store.db(),
              "SELECT address, MAX(epoch) FROM action_executions WHERE run_id=? AND "
              "status IN ('succeeded','rolledBack') AND action='assign-secondary-ip' AND "
              "epoch IS NOT NULL GROUP BY address");
  s.bind(1, run_id);
  std::map<std::string, long long> epochs;
  while (true) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return epochs;
    epochs[s.text(0)] = s.integer(1);
  }
}

nlohmann::ordered_json to_json(const ActionRow& row) {
  nlohmann::ordered_json out{
      {"id", row.id},
      {"idempotencyKey", row.idempotency_key},
      {"source", row.source},
      {"runId", row.run_id},
      {"provider", row.provider},
      {"providerRef", row.provider_ref},
      {"action", row.action},
      {"target", row.target},
      {"parameters", row.parameters},
      {"undo", row.undo},
      {"observed", row.observed},
      {"riskLevel", row.risk_level},
      {"status", row.status},
      {"epoch", row.epoch ? nlohmann::ordered_json(*row.epoch) : nlohmann::ordered_json()},
      {"approvedBy", row.approved_by},
      {"approvedAt", row.approved_at},
      {"executedAt", row.executed_at},
      {"resultMessage", row.result_message},
      {"error", row.error},
      {"createdAt", row.created_at},
      {"updatedAt", row.updated_at},
  };
  return out;
}

}  // namespace labctl::journal
