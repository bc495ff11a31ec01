#include <algorithm>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/azure/azure_resources.hpp"

namespace labctl::providers::azure {
namespace {

// One resource teardown addresses by id: a resource group, or a resource outside every group
// being deleted (a stray). `rows` are the state rows it decides (none for a stray only the tag
// query found).
struct Target {
  Target(std::string id_, const ArmKind* kind_, std::vector<long long> rows_, bool from_state_)
      : id(std::move(id_)), kind(kind_), rows(std::move(rows_)), from_state(from_state_) {}
  std::string id;
  const ArmKind* kind;
  std::vector<long long> rows;
  bool from_state;
  enum class Outcome { pending, gone, failed } outcome = Outcome::pending;
  std::string error;
};

class LabTeardown {
 public:
  LabTeardown(const RunContext& ctx, const ArmClient& client, std::string subscription)
      : m_ctx(ctx), m_client(client), m_subscription(std::move(subscription)) {}

  Expected<void> run(const std::vector<state::ResourceRecord>& rows) {
    auto literal = kusto_run_id(m_ctx.run.run_id);
    if (!literal) return std::unexpected(literal.error());
    sort_rows(rows);
    if (m_ctx.dry_run) {
      for (const auto& target : m_groups) log_would_delete(target);
      for (const auto& target : m_strays) log_would_delete(target);
      return {};
    }
    // The fence of every group comes before any DELETE: one group of another run stops the
    // whole teardown, so nothing of a lab whose state names a foreign group is touched.
    for (auto& group : m_groups) fence(group, true);
    if (m_refused) return finish();
    for (auto& group : m_groups) {
      if (group.outcome == Target::Outcome::pending) remove(group);
    }
    for (auto& group : m_groups) confirm(group);
    sweep(*literal);
    for (auto& stray : m_strays) fence(stray, stray.from_state);
    std::stable_sort(m_strays.begin(), m_strays.end(), [](const Target& a, const Target& b) {
      return a.kind->delete_order < b.kind->delete_order;
    });
    for (auto& stray : m_strays) {
      if (stray.outcome == Target::Outcome::pending) remove(stray);
    }
    for (auto& stray : m_strays) confirm(stray);
    return finish();
  }

 private:
  // Groups from the resourceGroup rows (an intent row whose PUT never answered: the group the
  // profile names, fenced like any other); every other row is decided with the group its id is
  // in, or is a stray of its own. A row whose id is not an ARM id of a kind labctl creates is
  // failed and never sent anywhere.
  void sort_rows(const std::vector<state::ResourceRecord>& rows) {
    for (const auto& row : rows) {
      if (row.kind != "resourceGroup") continue;
      const std::string id = row.cloud_id.empty()
                                 ? "/subscriptions/" + m_subscription + "/resourceGroups/" +
                                       resource_group_name(m_ctx.profile, m_ctx.run.run_id)
                                 : row.cloud_id;
      add_row(m_groups, row, id);
    }
    for (const auto& row : rows) {
      if (row.kind == "resourceGroup") continue;
      if (row.cloud_id.empty()) {
        // Its create never answered: nothing to address; the tag query after the delete finds
        // it if it exists anyway.
        m_untracked.push_back(row.id);
        continue;
      }
      const auto group = group_of(row.cloud_id);
      const auto in = std::find_if(m_groups.begin(), m_groups.end(),
                                   [&](const Target& g) { return same_id(g.id, group); });
      if (in != m_groups.end() && kind_of_id(row.cloud_id) != nullptr) {
        in->rows.push_back(row.id);
      } else {
        add_row(m_strays, row, row.cloud_id);
      }
    }
  }

  void add_row(std::vector<Target>& targets, const state::ResourceRecord& row,
               const std::string& id) {
    const auto* kind = kind_of_id(id);
    if (kind == nullptr || kind->kind != row.kind) {
      m_failures.push_back(row.kind + " " + text::printable(id, 256) + ": not an ARM id of a " +
                           row.kind + " labctl creates; nothing was sent for it");
      m_outcomes.push_back({row.id, state::k_res_failed, m_failures.back()});
      return;
    }
    const auto same = std::find_if(targets.begin(), targets.end(),
                                   [&](const Target& t) { return same_id(t.id, id); });
    if (same != targets.end()) {
      same->rows.push_back(row.id);
      return;
    }
    targets.emplace_back(id, kind, std::vector<long long>{row.id}, true);
  }

  void log_would_delete(const Target& target) const {
    log::info("azure.plan",
              "[dry] would delete azure " + std::string(target.kind->kind) + " " + target.id,
              {{"provider", "azure"}, {"kind", target.kind->kind}, {"cloud_id", target.id}});
  }

  void failed(Target& target, std::string error) {
    target.outcome = Target::Outcome::failed;
    target.error = std::move(error);
  }

  // The tag fence: GET by id; gone is done, present must carry this run's run-id tag. A
  // resource state or the caller named that carries another (or none) is refused and left
  // alone; a stray only the tag query named is the index's stale word and is skipped.
  void fence(Target& target, bool named_by_state) {
    auto live = get_by_id(m_client, target.id, *target.kind);
    if (!live) {
      failed(target, live.error().describe());
      return;
    }
    if (!*live) {
      target.outcome = Target::Outcome::gone;
      return;
    }
    const auto run_id = tag_value(**live, k_tag_run_id);
    if (run_id == m_ctx.run.run_id) return;
    if (!named_by_state) {
      log::info("azure.sweep", "azure: " + target.id + " is no longer tagged with run " +
                                   m_ctx.run.run_id + " (the tag index was stale); left alone");
      target.outcome = Target::Outcome::gone;  // not this run's: nothing of the run remains
      return;
    }
    m_refused = true;
    failed(target, "refused: it carries " + std::string(k_tag_run_id) + "=\"" +
                       text::printable(run_id, 128) + "\", not this run's \"" + m_ctx.run.run_id +
                       "\"; labctl never deletes resources of another run");
  }

  void remove(Target& target) {
    log::info("azure.delete", "azure: DELETE " + std::string(target.kind->kind) + " " + target.id,
              {{"provider", "azure"}, {"kind", target.kind->kind}, {"cloud_id", target.id}});
    if (auto sent = delete_by_id(m_client, target.id, *target.kind); !sent) {
      failed(target, sent.error().describe());
    }
  }

  // A DELETE answered with success is only a claim: the resource is gone once its GET says so.
  void confirm(Target& target) {
    if (target.outcome != Target::Outcome::pending) return;
    auto gone = confirm_gone(m_client, target.id, *target.kind);
    if (gone && *gone) {
      target.outcome = Target::Outcome::gone;
    } else {
      failed(target, gone ? "the DELETE succeeded but a GET still finds it after " +
                                std::to_string(k_confirm_bound.count()) +
                                " s; delete it by hand if the next down cannot"
                          : "the DELETE succeeded but its GET failed: " + gone.error().describe());
    }
  }

  // Whatever the tag query still finds of the run outside the run's groups is a stray: a
  // resource created in another group (or moved), deleted behind its own fence. Hits inside a
  // group are decided by the group: once its GET answers 404 they are the index lagging behind
  // (Resource Graph is eventually consistent; the resource is trusted, not the index).
  void sweep(const std::string& literal) {
    auto hits = graph_query(m_client, m_subscription,
                            "Resources | where tags['" + std::string(k_tag_run_id) +
                                "'] == " + literal + " | project id, type, tags");
    if (!hits) {
      m_failures.push_back("tag query over subscription " + m_subscription + ": " +
                           hits.error().describe());
      return;
    }
    for (const auto& hit : *hits) {
      const auto id = fields::text_at(hit, "id");
      const auto* kind = kind_of_id(id);
      if (kind == nullptr) {
        m_failures.push_back("a resource tagged with the run that labctl does not create: \"" +
                             text::printable(id, 256) + "\"; delete it by hand");
        continue;
      }
      const auto group = group_of(id);
      const bool in_group = std::any_of(m_groups.begin(), m_groups.end(),
                                        [&](const Target& g) { return same_id(g.id, group); });
      const bool known = std::any_of(m_strays.begin(), m_strays.end(),
                                     [&](const Target& s) { return same_id(s.id, id); });
      if (!in_group && !known) m_strays.emplace_back(id, kind, std::vector<long long>{}, false);
    }
  }

  // Writes every row's outcome in one transaction; the error names what remains.
  Expected<void> finish() {
    bool all_gone = m_failures.empty();
    for (const auto* targets : {&m_groups, &m_strays}) {
      for (const auto& target : *targets) {
        const bool gone = target.outcome == Target::Outcome::gone;
        const std::string error = gone ? ""
                                  : target.error.empty()
                                      ? "not deleted: the teardown stopped before it"
                                      : target.error;
        if (!gone) {
          all_gone = false;
          m_failures.push_back(std::string(target.kind->kind) + " " + target.id + ": " + error);
        }
        for (const auto row : target.rows) {
          m_outcomes.push_back({row, gone ? state::k_res_deleted : state::k_res_failed, error});
        }
      }
    }
    for (const auto row : m_untracked) {
      m_outcomes.push_back({row, all_gone ? state::k_res_deleted : state::k_res_failed,
                            all_gone ? "" : "its create never answered; the lab is not gone"});
    }
    if (auto written = m_ctx.store.set_resource_states(m_outcomes); !written) {
      log::warn("azure.state", "azure: could not record teardown outcomes: " +
                                   written.error().message + "; the next down checks again");
    }
    if (m_failures.empty()) return {};
    std::string message = "azure: " + std::to_string(m_failures.size()) + " resource(s) of run " +
                          m_ctx.run.run_id + " not deleted:";
    for (const auto& f : m_failures) message += "\n    " + f;
    return fail(m_refused ? ExitCode::refused : ExitCode::provider, message);
  }

  const RunContext& m_ctx;
  const ArmClient& m_client;
  std::string m_subscription;
  std::vector<Target> m_groups;
  std::vector<Target> m_strays;
  std::vector<long long> m_untracked;  // rows without an id, decided with the whole lab
  std::vector<state::ResourceStateChange> m_outcomes;
  std::vector<std::string> m_failures;
  bool m_refused = false;
};

}  // namespace

Expected<void> teardown_lab(const RunContext& ctx, const std::vector<state::ResourceRecord>& rows,
                            const ArmClient& client, const std::string& subscription) {
  return LabTeardown(ctx, client, subscription).run(rows);
}

}  // namespace labctl::providers::azure
