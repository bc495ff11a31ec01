#include "providers/aws/aws_holder.hpp"

#include <algorithm>
#include <map>

#include "core/action_journal.hpp"
#include "core/text.hpp"
#include "providers/action_contract.hpp"
#include "providers/aws/aws_actions.hpp"
#include "providers/aws/aws_resources.hpp"

namespace labctl::providers::aws {
namespace {

bool is_router_role(const std::string& role) {
  return role == "router" || role == "router-a" || role == "router-b";
}

std::string string_member(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const RunRouter* router_with_eni(const std::vector<RunRouter>& routers, const std::string& eni) {
  const auto it = std::ranges::find_if(
      routers, [&](const RunRouter& r) { return !eni.empty() && r.eni_id == eni; });
  return it == routers.end() ? nullptr : &*it;
}

// The subnet the address lives in: the one recorded with the router's RunInstances, else the
// subnet EC2 reports for the expected ENI (rows recorded before the request was kept).
Expected<std::string> subnet_of(const Ec2Client& client, const ServiceAddress& service) {
  if (!service.subnet_id.empty()) return service.subnet_id;
  auto eni = describe_eni(client, service.expected_eni);
  if (!eni) return std::unexpected(eni.error());
  if (eni->subnet_id.empty()) {
    return fail(ExitCode::provider, "aws: DescribeNetworkInterfaces (" + client.region() +
                                        ") reports no subnet for " + service.expected_eni);
  }
  return eni->subnet_id;
}

}  // namespace

Expected<std::vector<RunRouter>> run_routers(state::Store& store, const std::string& run_id) {
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  std::vector<RunRouter> routers;
  for (const auto& row : *rows) {
    if (row.provider != "aws" || row.kind != "instance" || row.state != state::k_res_created) {
      continue;
    }
    const std::string role = string_member(row.attrs, "role");
    if (!is_router_role(role)) continue;
    std::string site = string_member(row.attrs, "site");
    if (site.empty() && row.attrs.contains("node")) site = string_member(row.attrs["node"], "site");
    routers.push_back({row.name, site, row.cloud_id, string_member(row.attrs, "eniId"),
                       string_member(row.request, "NetworkInterface.1.SubnetId"), row.region});
  }
  return routers;
}

Expected<std::vector<ServiceAddress>> service_addresses(state::Store& store,
                                                        const std::string& run_id,
                                                        const std::vector<RunRouter>& routers) {
  auto rows = journal::list(store, run_id);
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, std::pair<long long, std::string>> held;  // address -> (row id, ENI)
  for (const auto& row : *rows) {
    if (row.provider != "aws" || row.address.empty()) continue;
    const std::string eni = string_member(row.target, "nicRef");
    if (row.action == k_assign &&
        (row.status == journal::k_succeeded || row.status == journal::k_rolled_back)) {
      held[row.address] = {row.id, eni};
    } else if (row.action == k_unassign && row.status == journal::k_succeeded) {
      if (const auto it = held.find(row.address); it != held.end() && it->second.second == eni) {
        held.erase(it);
      }
    }
  }
  std::vector<std::pair<long long, ServiceAddress>> found;
  for (const auto& [address, capture] : held) {
    const RunRouter* router = router_with_eni(routers, capture.second);
    if (router == nullptr) continue;
    found.push_back(
        {capture.first,
         {address, router->site, router->eni_id, router->node, router->subnet_id, router->region}});
  }
  std::ranges::sort(found, {}, &std::pair<long long, ServiceAddress>::first);
  std::vector<ServiceAddress> out;
  for (auto& entry : found) out.push_back(std::move(entry.second));
  return out;
}

Expected<AddressHolder> address_holder(const Ec2Client& client, const ServiceAddress& service,
                                       const std::vector<RunRouter>& routers,
                                       const std::string& run_id) {
  auto subnet = subnet_of(client, service);
  if (!subnet) return std::unexpected(subnet.error());
  const auto* type = resource_type("network-interface");
  auto live = describe_resources(
      client, *type,
      {{"addresses.private-ip-address", {service.address}}, {"subnet-id", {*subnet}}});
  if (!live) return std::unexpected(live.error().to_error());
  if (live->items.size() > 1) {
    std::string ids;
    for (const auto& item : live->items) ids += (ids.empty() ? "" : ", ") + item.id;
    return fail(ExitCode::provider,
                "aws: DescribeNetworkInterfaces (" + client.region() + ") answers " +
                    std::to_string(live->items.size()) + " holders of " + service.address + " in " +
                    *subnet + " (" + labctl::text::printable(ids, 200) +
                    "); EC2 keeps an address unique in its subnet, so the answer is not trusted");
  }
  AddressHolder holder;
  if (live->items.empty()) return holder;
  const auto& item = live->items.front();
  holder.eni_id = item.id;
  if (const RunRouter* router = router_with_eni(routers, item.id)) holder.node = router->node;
  const auto tag = item.tags.find(k_tag_run_id);
  holder.tagged = tag != item.tags.end() && tag->second == run_id;
  return holder;
}

Expected<std::string> gateway_holder(const RunContext& ctx, const std::string& site,
                                     Ec2ClientFactory& factory) {
  const std::string& run_id = ctx.run.run_id;
  auto routers = run_routers(ctx.store, run_id);
  if (!routers) return std::unexpected(routers.error());
  if (std::ranges::none_of(*routers, [&](const RunRouter& r) { return r.site == site; })) {
    return fail(ExitCode::usage, "aws: run " + run_id + " has no router at site \"" +
                                     labctl::text::printable(site, 64) +
                                     "\"; see `labctl runs show " + run_id + "`");
  }
  auto addresses = service_addresses(ctx.store, run_id, *routers);
  if (!addresses) return std::unexpected(addresses.error());
  const ServiceAddress* service = nullptr;
  for (const auto& candidate : *addresses) {
    if (candidate.site == site) service = &candidate;  // the newest capture wins
  }
  if (service == nullptr) {
    return fail(ExitCode::usage,
                "aws: run " + run_id + " has no service address at site \"" + site +
                    "\": the journal records no capture (assign-secondary-ip) on its routers' "
                    "ENIs; capture one with `labctl action plan --run-id " +
                    run_id + " --eni ENI --address IP` (then import, approve, execute)");
  }
  auto client = factory.client(service->region);
  if (!client) return std::unexpected(client.error());
  auto holder = address_holder(**client, *service, *routers, run_id);
  if (!holder) return std::unexpected(holder.error());
  if (holder->eni_id.empty()) return std::string();
  const std::string eni = labctl::text::printable(holder->eni_id, 64);
  if (holder->node.empty()) {
    return fail(ExitCode::refused, "aws: the service address " + service->address + " of site " +
                                       site + " is held by " + eni +
                                       ", which is not an ENI of run " + run_id +
                                       "'s routers; labctl reports no resource it did not create");
  }
  if (!holder->tagged) {
    return fail(ExitCode::refused, "aws: the service address " + service->address + " of site " +
                                       site + " is held by " + eni + " (" + holder->node +
                                       "), which does not carry " + k_tag_run_id + "=" + run_id +
                                       "; refusing to answer for an untagged resource");
  }
  return holder->node;
}

}  // namespace labctl::providers::aws
