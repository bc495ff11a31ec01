#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/log.hpp"
#include "core/shield.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/azure_ops.hpp"
#include "providers/azure/azure_resources.hpp"

// Discovery reads Resource Graph only: it is the one ARM index that finds tagged resource
// groups and tagged resources in one query per subscription, and it answers in every public
// and sovereign Azure cloud without a permission beyond the resources' own read. Where it is not
// served the scan fails naming the subscription (no silent fallback to a partial
// per-resource-group listing that would miss strays). The index only finds candidates: each hit
// is confirmed by a GET of the resource itself, whose tags decide.
namespace labctl::providers::azure {
namespace {

// Subscriptions scanned at the same time: each scan is a few queries and a GET per hit.
constexpr std::size_t k_scan_workers = 8;

bool in_subscription(const std::string& id, const std::string& subscription) {
  const std::string prefix = "/subscriptions/" + subscription + "/";
  return id.size() > prefix.size() &&
         same_id(std::string_view(id).substr(0, prefix.size()), prefix);
}

class SubscriptionScan {
 public:
  SubscriptionScan(const DiscoverQuery& query, const ArmClient& client, std::string subscription)
      : m_query(query), m_client(client), m_subscription(std::move(subscription)) {}

  Expected<Discovery> run() {
    std::string predicate = "isnotempty(tags['" + std::string(k_tag_run_id) + "'])";
    if (!m_query.run_id.empty()) {
      auto literal = kusto_run_id(m_query.run_id);
      if (!literal) return std::unexpected(literal.error());
      predicate = "tags['" + std::string(k_tag_run_id) + "'] == " + *literal;
    }
    auto groups = query(
        "ResourceContainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' | "
        "where " +
        predicate + " | project id, type, tags");
    if (!groups) return std::unexpected(groups.error());
    auto resources = query("Resources | where " + predicate + " | project id, type, tags");
    if (!resources) return std::unexpected(resources.error());
    for (const auto& id : *groups) {
      if (const auto* kind = kind_of_id(id); kind != nullptr && group_of(id) == id) {
        confirm(id, *kind, true);
      } else {
        ignore(id, "not a resource group id");
      }
    }
    for (const auto& id : *resources) {
      const auto* kind = kind_of_id(id);
      if (kind == nullptr || group_of(id) == id) {
        ignore(id, "not a resource of a kind labctl creates");
        continue;
      }
      confirm(id, *kind, false);
    }
    if (!m_unconfirmed.empty()) {
      std::string message = "azure: tagged resources in subscription " + m_subscription +
                            " could be confirmed neither present nor gone by their GET:";
      for (const auto& u : m_unconfirmed) message += "\n    " + u;
      message += "\n  run the command again once the endpoint answers";
      return fail(ExitCode::provider, message);
    }
    return std::move(m_discovery);
  }

 private:
  // The ids of a Resource Graph query's rows that are in this subscription (their run-id tag
  // as the index has it kept in m_index_runs).
  Expected<std::vector<std::string>> query(const std::string& kusto) {
    auto rows = graph_query(m_client, m_subscription, kusto);
    if (!rows) {
      return fail(rows.error().to_error().code,
                  "azure: Resource Graph query over subscription " + m_subscription +
                      " failed: " + rows.error().describe() +
                      "\n  labctl finds tagged labs through Resource Graph "
                      "(POST /providers/Microsoft.ResourceGraph/resources); "
                      "check that the endpoint serves it");
    }
    std::vector<std::string> ids;
    for (const auto& row : *rows) {
      const auto id = fields::text_at(row, "id");
      if (!in_subscription(id, m_subscription)) {
        ignore(id, "not in subscription " + m_subscription);
        continue;
      }
      ids.push_back(id);
      m_index_runs[id] = tag_value(row, k_tag_run_id);
    }
    return ids;
  }

  void ignore(const std::string& id, const std::string& why) const {
    log::warn("azure.discover",
              "azure: ignoring tagged \"" + text::printable(id, 256) + "\": " + why);
  }

  // The GET decides: gone is counted, present is found with the run id and TTL of its own tags.
  // Resources inside a present group of their own run are not listed: the group's delete
  // removes them. Groups come first, so they are known when their resources are looked at.
  void confirm(const std::string& id, const ArmKind& kind, bool is_group) {
    if (!is_group) {
      const auto group = group_of(id);
      const auto owner = std::find_if(m_lab_groups.begin(), m_lab_groups.end(),
                                      [&](const auto& g) { return same_id(g.first, group); });
      if (owner != m_lab_groups.end() && owner->second == run_of_cached(id)) return;
    }
    auto live = get_by_id(m_client, id, kind);
    if (!live) {
      m_unconfirmed.push_back(std::string(kind.kind) + " " + id + ": " + live.error().describe());
      return;
    }
    if (!*live) {
      ++m_discovery.confirmed_gone;
      return;
    }
    const auto run_id = tag_value(**live, k_tag_run_id);
    // The resource itself no longer carries a run's tag: the index was stale.
    if (run_id.empty()) return;
    if (is_group) m_lab_groups.emplace_back(id, run_id);
    if (!m_query.run_id.empty() && run_id != m_query.run_id) return;
    const auto ttl = tag_value(**live, k_tag_ttl_expires_at);
    if (m_query.expired_only) {
      const auto expires = parse_rfc3339(ttl);
      // A garbled or missing expiry is never "expired": the janitor only removes what it can
      // prove is past its TTL.
      if (!expires || *expires > m_query.now) return;
    }
    const auto location = text::printable(fields::text_at(**live, "location"), 64);
    m_discovery.found.push_back({run_id, kind.kind, id, location, ttl});
  }

  // The run id the index gave `id`'s row; only used to skip a resource inside its own run's
  // group before its GET (the group's GET was the confirmation).
  std::string run_of_cached(const std::string& id) const {
    const auto it = m_index_runs.find(id);
    return it == m_index_runs.end() ? std::string() : it->second;
  }

  const DiscoverQuery& m_query;
  const ArmClient& m_client;
  std::string m_subscription;
  Discovery m_discovery;
  std::vector<std::pair<std::string, std::string>> m_lab_groups;  // (id, run id), present
  std::map<std::string, std::string> m_index_runs;
  std::vector<std::string> m_unconfirmed;
};

}  // namespace

Expected<std::vector<std::string>> janitor_subscriptions(const ArmClient& client,
                                                         const EnvLookup& env) {
  if (const auto one = env("AZURE_SUBSCRIPTION_ID"); one && !one->empty()) {
    if (!is_guid(*one)) {
      return fail(ExitCode::usage, "AZURE_SUBSCRIPTION_ID \"" + text::printable(*one, 64) +
                                       "\" is not a subscription id (a GUID); set it to one "
                                       "or unset it to scan every subscription");
    }
    // Asked of ARM rather than trusted: a subscription the credentials cannot see fails here
    // naming it, and no credentials at all stays the usage error the provider reports.
    auto subscription = client.send({.method = "GET",
                                     .path = "/subscriptions/" + *one,
                                     .api_version = k_api_subscriptions,
                                     .query = {},
                                     .body = {}});
    if (!subscription) return std::unexpected(subscription.error().to_error());
    if (fields::text_at(subscription->body, "state") != "Enabled") {
      log::info("azure.discover", "azure: subscription " + *one +
                                      " (AZURE_SUBSCRIPTION_ID) is not Enabled; nothing to scan");
      return std::vector<std::string>{};
    }
    return std::vector<std::string>{*one};
  }
  // A credential chain that found no credentials fails with ExitCode::usage (ArmError's
  // exit_code): kept, so the provider says "no credentials" in one line.
  auto pages = client.list({.method = "GET",
                            .path = "/subscriptions",
                            .api_version = k_api_subscriptions,
                            .query = {},
                            .body = {}});
  if (!pages) return std::unexpected(pages.error().to_error());
  std::vector<std::string> subscriptions;
  for (const auto& item : *pages) {
    const auto id = fields::text_at(item, "subscriptionId");
    if (!is_guid(id)) {
      log::warn("azure.discover", "azure: ignoring a subscription whose id \"" +
                                      text::printable(id, 64) + "\" is not a GUID");
      continue;
    }
    // Only an Enabled subscription can hold running (billed) resources labctl may delete.
    if (fields::text_at(item, "state") != "Enabled") continue;
    if (std::find(subscriptions.begin(), subscriptions.end(), id) == subscriptions.end()) {
      subscriptions.push_back(id);
    }
  }
  return subscriptions;
}

Expected<Discovery> discover_tagged(const DiscoverQuery& query,
                                    const std::vector<std::string>& subscriptions,
                                    const ArmClient& client) {
  std::mutex mutex;
  Discovery all;
  std::vector<std::string> errors;
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (auto i = next++; i < subscriptions.size(); i = next++) {
      const auto& subscription = subscriptions[i];
      auto scanned = shielded("azure discovery in subscription " + subscription,
                              [&] { return SubscriptionScan(query, client, subscription).run(); });
      const std::lock_guard lock(mutex);
      if (!scanned) {
        errors.push_back(scanned.error().message);
        continue;
      }
      all.found.insert(all.found.end(), scanned->found.begin(), scanned->found.end());
      all.confirmed_gone += scanned->confirmed_gone;
    }
  };
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < std::min(k_scan_workers, subscriptions.size()); ++i) {
      threads.emplace_back(worker);
    }
  }
  if (!errors.empty()) {
    std::string message =
        "azure: discovery failed in " + std::to_string(errors.size()) + " subscription(s):";
    for (const auto& e : errors) message += "\n    " + e;
    return fail(ExitCode::provider, message);
  }
  return all;
}

}  // namespace labctl::providers::azure
