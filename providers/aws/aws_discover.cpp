#include <algorithm>
#include <future>
#include <mutex>

#include "labctl/env.hpp"
#include "labctl/log.hpp"
#include "labctl/provider_order.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_resources.hpp"

namespace labctl::providers::aws {
namespace {

// Describe filters that keep the janitor off already-gone resources.
std::vector<Ec2Filter> filters_for(const ResourceType& type, const DiscoverQuery& query) {
  std::vector<Ec2Filter> filters;
  if (query.run_id.empty()) {
    filters.push_back({"tag-key", {k_tag_run_id}});
  } else {
    filters.push_back({std::string("tag:") + k_tag_run_id, {query.run_id}});
  }
  if (std::string_view(type.kind) == "instance") {
    filters.push_back({"instance-state-name", {"pending", "running", "stopping", "stopped"}});
  }
  return filters;
}

Expected<std::vector<Discovered>> scan_region(const DiscoverQuery& query, const Ec2Client& client) {
  std::vector<Discovered> found;
  for (const auto& type : resource_types()) {
    auto live = describe_resources(client, type, filters_for(type, query));
    if (!live) return std::unexpected(live.error().to_error());
    for (const auto& r : live->items) {
      Discovered d;
      d.run_id = r.tags.contains(k_tag_run_id) ? r.tags.at(k_tag_run_id) : "";
      d.kind = type.kind;
      d.cloud_id = r.id;
      d.region = client.region();
      d.ttl_expires_at = r.tags.contains(k_tag_ttl_expires_at) ? r.tags.at(k_tag_ttl_expires_at)
                                                               : "";
      if (query.expired_only) {
        const auto expires = parse_rfc3339(d.ttl_expires_at);
        // A garbled or missing expiry is never "expired": the janitor only removes what it can
        // prove is past its TTL.
        if (!expires || *expires > query.now) continue;
      }
      found.push_back(std::move(d));
    }
  }
  return found;
}

}  // namespace

Expected<std::shared_ptr<Ec2ClientFactory>> client_factory(bool live) {
  static std::mutex mutex;
  static std::map<bool, std::shared_ptr<Ec2ClientFactory>> factories;
  const std::lock_guard lock(mutex);
  auto& factory = factories[live];
  if (!factory) {
    auto made = Ec2ClientFactory::from_env(live, env::get_or("CE_AWS_DEBUG", "") == "1");
    if (!made) return std::unexpected(made.error());
    factory = *made;
  }
  return factory;
}

std::vector<std::string> janitor_regions(const profile::Profile* profile) {
  if (const auto regions = env::get("CE_AWS_REGIONS"); regions && !regions->empty()) {
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
    scans.push_back(std::async(std::launch::async, [&query, shared = *client] {
      return scan_region(query, *shared);
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
    std::string message = "aws: discovery failed in " + std::to_string(errors.size()) +
                          " region(s):";
    for (const auto& e : errors) message += "\n    " + e;
    return fail(ExitCode::provider, message);
  }
  return found;
}

}  // namespace labctl::providers::aws
