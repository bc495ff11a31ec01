#include <algorithm>
#include <future>
#include <map>

#include "core/log.hpp"
#include "core/provider_order.hpp"
#include "core/text.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_resources.hpp"
#include "providers/aws/created_id.hpp"

namespace labctl::providers::aws {
namespace {

// One region: DescribeTags lists every resource carrying the run-id tag in a call or two,
// whatever its type, instead of one describe per resource type. That index only finds
// candidates: it keeps a deleted resource's tags for a while (EC2's is eventually consistent,
// other implementations keep them), so each type's own describe by id decides what exists and
// which tags it carries.
Expected<Discovery> scan_region(const DiscoverQuery& query, const Ec2Client& client,
                                Clock& clock) {
  QueryParams params;
  if (query.run_id.empty()) {
    params.add_filters({{"key", {k_tag_run_id, k_tag_ttl_expires_at}}});
  } else {
    params.add_filters({{"key", {k_tag_run_id}}, {"value", {query.run_id}}});
  }
  auto pages = client.call_paged("DescribeTags", params, "tagSet/item", 1000);
  if (!pages) return std::unexpected(pages.error().to_error());
  // id -> kind, of the resources the index lists with the run-id tag (one listed for its TTL
  // tag alone is not ours).
  std::map<std::string, std::string> hits;
  for (const auto& item : pages->items) {
    if (text_at(item, "key") == k_tag_run_id) {
      hits[text_at(item, "resourceId")] = text_at(item, "resourceType");
    }
  }
  std::map<const ResourceType*, std::vector<std::string>> by_type;
  for (const auto& [id, kind] : hits) {
    // Only the types labctl creates (and can delete).
    const auto* type = resource_type(kind);
    if (type == nullptr) continue;
    // An id not of its kind's shape names nothing labctl could address safely.
    if (!is_resource_id(id, id_prefix(kind))) {
      log::warn("aws.discover", "aws: ignoring tagged " + kind + " with malformed id \"" +
                                    ::labctl::text::printable(id, 64) + "\" in " + client.region());
      continue;
    }
    by_type[type].push_back(id);
  }
  Discovery discovery;
  std::vector<std::string> unconfirmed;
  const auto until = wait_until(clock, client, k_confirm_bound);
  for (const auto& [type, ids] : by_type) {
    auto live = describe_ids_until(client, clock, *type, ids, until, existing_only(*type));
    if (!live) {
      std::string named = type->kind;
      for (const auto& id : ids) named += " " + id;
      unconfirmed.push_back(named + ": " + live.error().describe());
      continue;
    }
    std::map<std::string, const LiveResource*> present;
    for (const auto& r : live->items) {
      if (exists(*type, r)) present[r.id] = &r;
    }
    for (const auto& id : ids) {
      const auto it = present.find(id);
      if (it == present.end()) {
        ++discovery.confirmed_gone;
        continue;
      }
      const auto& tags = it->second->tags;
      const auto run_id = tags.find(k_tag_run_id);
      // The resource itself no longer carries this run's tag: the index was stale.
      if (run_id == tags.end() || run_id->second.empty()) continue;
      if (!query.run_id.empty() && run_id->second != query.run_id) continue;
      const auto ttl = tags.find(k_tag_ttl_expires_at);
      const std::string ttl_expires_at = ttl == tags.end() ? "" : ttl->second;
      if (query.expired_only) {
        const auto expires = parse_rfc3339(ttl_expires_at);
        // A garbled or missing expiry is never "expired": the janitor only removes what it can
        // prove is past its TTL.
        if (!expires || *expires > query.now) continue;
      }
      discovery.found.push_back({run_id->second, type->kind, id, client.region(), ttl_expires_at});
    }
  }
  if (!unconfirmed.empty()) {
    std::string message = "aws: tagged resources in " + client.region() +
                          " could be confirmed neither present nor gone by their describe:";
    for (const auto& u : unconfirmed) message += "\n    " + u;
    message += "\n  run the command again once the endpoint answers";
    return fail(ExitCode::provider, message);
  }
  return discovery;
}

}  // namespace

std::vector<std::string> janitor_regions(const EnvLookup& env, const profile::Profile* profile) {
  if (const auto regions = env("CE_AWS_REGIONS"); regions && !regions->empty()) {
    return split_provider_list(*regions);
  }
  if (profile != nullptr && !profile->aws.regions.empty()) return profile->aws.regions;
  std::vector<std::string> all;
  for (const char* name : {"minimal", "provider", "full", "soak"}) {
    const auto loaded = profile::load(name);
    if (!loaded) continue;
    for (const auto& region : loaded->aws.regions) {
      if (std::find(all.begin(), all.end(), region) == all.end()) all.push_back(region);
    }
  }
  return all;
}

Expected<Discovery> discover_tagged(const DiscoverQuery& query,
                                    const std::vector<std::string>& regions,
                                    Ec2ClientFactory& factory, Clock& clock) {
  std::vector<std::future<Expected<Discovery>>> scans;
  for (const auto& region : regions) {
    auto client = factory.client(region);
    if (!client) return std::unexpected(client.error());
    scans.push_back(std::async(
        std::launch::async, [&query, &clock, shared = *client]() -> Expected<Discovery> {
          try {
            return scan_region(query, *shared, clock);
          } catch (const std::exception& e) {
            return fail(ExitCode::provider,
                        "aws: discovery in " + shared->region() +
                            ": unexpected failure: " + ::labctl::text::printable(e.what()));
          }
        }));
  }
  Discovery all;
  std::vector<std::string> errors;
  for (auto& scan : scans) {
    auto result = scan.get();
    if (!result) {
      errors.push_back(result.error().message);
      continue;
    }
    all.found.insert(all.found.end(), result->found.begin(), result->found.end());
    all.confirmed_gone += result->confirmed_gone;
  }
  if (!errors.empty()) {
    std::string message =
        "aws: discovery failed in " + std::to_string(errors.size()) + " region(s):";
    for (const auto& e : errors) message += "\n    " + e;
    return fail(ExitCode::provider, message);
  }
  return all;
}

}  // namespace labctl::providers::aws
