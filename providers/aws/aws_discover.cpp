#include <algorithm>
#include <future>
#include <set>

#include "core/log.hpp"
#include "core/provider_order.hpp"
#include "core/text.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_resources.hpp"
#include "providers/aws/created_id.hpp"

namespace labctl::providers::aws {
namespace {

// One tagged resource as DescribeTags lists it (one row per tag, grouped by resource).
struct TaggedResource {
  std::string kind;
  std::string run_id;
  std::string ttl_expires_at;
};

// The instances among `ids` that are not terminated or shutting down (chunks of 200 ids, the
// most one filter takes).
AwsResult<std::set<std::string>> live_instances(const Ec2Client& client,
                                                const std::vector<std::string>& ids) {
  std::set<std::string> live;
  const auto* type = resource_type("instance");
  for (std::size_t first = 0; first < ids.size(); first += 200) {
    const std::vector<std::string> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(first),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), first + 200)));
    auto found = describe_resources(
        client, *type,
        {{"instance-id", chunk},
         {"instance-state-name", {"pending", "running", "stopping", "stopped"}}});
    if (!found) return std::unexpected(found.error());
    for (const auto& r : found->items) live.insert(r.id);
  }
  return live;
}

// One region: DescribeTags lists every resource carrying the run-id tag (with its TTL tag) in a
// call or two, whatever its type, instead of one describe per resource type; instances are then
// described once to drop terminated ones, whose tags EC2 keeps listing for a while.
Expected<std::vector<Discovered>> scan_region(const DiscoverQuery& query, const Ec2Client& client) {
  QueryParams params;
  if (query.run_id.empty()) {
    params.add_filters({{"key", {k_tag_run_id, k_tag_ttl_expires_at}}});
  } else {
    params.add_filters({{"key", {k_tag_run_id}}, {"value", {query.run_id}}});
  }
  auto pages = client.call_paged("DescribeTags", params, "tagSet/item", 1000);
  if (!pages) return std::unexpected(pages.error().to_error());
  std::map<std::string, TaggedResource> resources;
  for (const auto& item : pages->items) {
    auto& resource = resources[text_at(item, "resourceId")];
    resource.kind = text_at(item, "resourceType");
    const std::string key = text_at(item, "key");
    if (key == k_tag_run_id) resource.run_id = text_at(item, "value");
    if (key == k_tag_ttl_expires_at) resource.ttl_expires_at = text_at(item, "value");
  }
  std::vector<std::string> instance_ids;
  for (const auto& [id, resource] : resources) {
    if (resource.kind == "instance" && !resource.run_id.empty()) instance_ids.push_back(id);
  }
  auto live = live_instances(client, instance_ids);
  if (!live) return std::unexpected(live.error().to_error());
  std::vector<Discovered> found;
  for (const auto& [id, resource] : resources) {
    // Only the types labctl creates (and can delete); a resource without the run-id tag was
    // listed for its TTL tag alone and is not ours.
    if (resource.run_id.empty() || resource_type(resource.kind) == nullptr) continue;
    // An id not of its kind's shape names nothing labctl could address safely.
    if (!is_resource_id(id, id_prefix(resource.kind))) {
      log::warn("aws.discover", "aws: ignoring tagged " + resource.kind + " with malformed id \"" +
                                    ::labctl::text::printable(id, 64) + "\" in " + client.region());
      continue;
    }
    if (resource.kind == "instance" && !live->contains(id)) continue;
    if (query.expired_only) {
      const auto expires = parse_rfc3339(resource.ttl_expires_at);
      // A garbled or missing expiry is never "expired": the janitor only removes what it can
      // prove is past its TTL.
      if (!expires || *expires > query.now) continue;
    }
    found.push_back({resource.run_id, resource.kind, id, client.region(), resource.ttl_expires_at});
  }
  return found;
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

Expected<std::vector<Discovered>> discover_tagged(const DiscoverQuery& query,
                                                  const std::vector<std::string>& regions,
                                                  Ec2ClientFactory& factory) {
  std::vector<std::future<Expected<std::vector<Discovered>>>> scans;
  for (const auto& region : regions) {
    auto client = factory.client(region);
    if (!client) return std::unexpected(client.error());
    scans.push_back(std::async(
        std::launch::async, [&query, shared = *client]() -> Expected<std::vector<Discovered>> {
          try {
            return scan_region(query, *shared);
          } catch (const std::exception& e) {
            return fail(ExitCode::provider,
                        "aws: discovery in " + shared->region() +
                            ": unexpected failure: " + ::labctl::text::printable(e.what()));
          }
        }));
  }
  std::vector<Discovered> found;
  std::vector<std::string> errors;
  for (auto& scan : scans) {
    auto result = scan.get();
    if (!result) {
      errors.push_back(result.error().message);
      continue;
    }
    found.insert(found.end(), result->begin(), result->end());
  }
  if (!errors.empty()) {
    std::string message =
        "aws: discovery failed in " + std::to_string(errors.size()) + " region(s):";
    for (const auto& e : errors) message += "\n    " + e;
    return fail(ExitCode::provider, message);
  }
  return found;
}

}  // namespace labctl::providers::aws
