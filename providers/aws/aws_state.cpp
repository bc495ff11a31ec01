#include "providers/aws/aws_state.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/json_fields.hpp"
#include "core/text.hpp"
#include "providers/aws/aws_holder.hpp"
#include "providers/aws/aws_resources.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::aws {
namespace {

using Json = nlohmann::json;

// One judgement under construction: the facts and the problems found.
class Judgement {
 public:
  explicit Judgement(const RunContext& ctx) : m_ctx(ctx) {}

  void problem(std::string text) { m_problems.push_back(std::move(text)); }
  void count(const std::string& kind) { ++m_checked[kind]; }

  // Checks one described resource against the run's tags; `what` names it in problems.
  void check_tags(const LiveResource& live, const std::string& what) {
    if (auto wrong = tag_problem(live.tags, m_ctx.tags); !wrong.empty()) {
      problem(what + ": " + wrong);
    }
  }

  Json instances = Json::array();
  Json attached = Json::array();
  Json addresses = Json::array();

  [[nodiscard]] Json result(const std::set<std::string>& stopped) const {
    Json stopped_nodes = Json::array();
    for (const auto& node : stopped) stopped_nodes.push_back(node);
    return {{"providerState", m_problems.empty() ? "pass" : "fail"},
            {"detail",
             {{"runId", m_ctx.run.run_id},
              {"checked", m_checked},
              {"instances", instances},
              {"attached", attached},
              {"serviceAddresses", addresses},
              {"stoppedByFault", stopped_nodes},
              {"problems", m_problems}}}};
  }

 private:
  const RunContext& m_ctx;
  std::map<std::string, int> m_checked;
  std::vector<std::string> m_problems;
};

// The rows of the run this judgement describes: aws resources of a describable kind not yet
// deleted, by region and kind.
using RowGroups = std::map<std::pair<std::string, std::string>, std::vector<state::ResourceRecord>>;

RowGroups describable_rows(const std::vector<state::ResourceRecord>& rows, Judgement& judgement) {
  RowGroups groups;
  for (const auto& row : rows) {
    if (row.provider != "aws" || row.state == state::k_res_deleted ||
        resource_type(row.kind) == nullptr) {
      continue;
    }
    if (row.cloud_id.empty()) {
      judgement.problem(row.kind + " " + row.name + ": recorded as " + row.state +
                        " without an id (its create was never confirmed); run `labctl down`");
      continue;
    }
    groups[{row.region, row.kind}].push_back(row);
  }
  return groups;
}

// Every row of one (region, kind) group described by id: exists, tagged, instances in state.
Expected<void> judge_rows(const Ec2Client& client, const ResourceType& type,
                          const std::vector<state::ResourceRecord>& rows,
                          const std::set<std::string>& stopped, Judgement& judgement) {
  std::vector<std::string> ids;
  for (const auto& row : rows) ids.push_back(row.cloud_id);
  auto live = describe_ids(client, type, ids);
  if (!live) return std::unexpected(live.error().to_error());
  std::map<std::string, const LiveResource*> by_id;
  for (const auto& item : live->items) by_id[item.id] = &item;
  const bool instances = std::string(type.kind) == "instance";
  for (const auto& row : rows) {
    judgement.count(row.kind);
    const std::string what = row.kind + " " + row.name + " (" + row.cloud_id + ")";
    const auto it = by_id.find(row.cloud_id);
    const LiveResource* found = it == by_id.end() ? nullptr : it->second;
    if (instances) {
      const std::string expected = stopped.contains(row.name) ? "stopped" : "running";
      const std::string state =
          found == nullptr ? "absent" : labctl::text::printable(found->state, 40);
      judgement.instances.push_back({{"node", row.name},
                                     {"instanceId", row.cloud_id},
                                     {"state", state},
                                     {"expected", expected}});
      if (found != nullptr && state != expected) {
        judgement.problem(what + ": " + state + ", expected " + expected);
      }
    }
    if (found == nullptr || !exists(type, *found)) {
      judgement.problem(what + ": does not exist in " + client.region());
      continue;
    }
    judgement.check_tags(*found, what);
  }
  return {};
}

// The ENI and root volume RunInstances made for each of the region's instances, found through
// the instance (the ENI ids recorded with it, DescribeVolumes by attachment.instance-id) rather
// than through state alone: each must be tagged. Those the state has rows for (`judged`) were
// checked as rows already.
Expected<void> judge_attached(const Ec2Client& client,
                              const std::vector<state::ResourceRecord>& instance_rows,
                              const std::set<std::string>& judged, Judgement& judgement) {
  std::vector<std::string> enis, instance_ids;
  for (const auto& row : instance_rows) {
    instance_ids.push_back(row.cloud_id);
    const Json& eni = fields::member(row.attrs, "eniId");
    if (eni.is_string() && !eni.get<std::string>().empty() &&
        !judged.contains(eni.get<std::string>())) {
      enis.push_back(eni.get<std::string>());
    }
  }
  const auto* eni_type = resource_type("network-interface");
  auto live_enis = describe_ids(client, *eni_type, enis);
  if (!live_enis) return std::unexpected(live_enis.error().to_error());
  for (const auto& eni : enis) {
    judgement.count("network-interface");
    const auto it = std::ranges::find(live_enis->items, eni, &LiveResource::id);
    judgement.attached.push_back(
        {{"kind", "network-interface"}, {"id", eni}, {"exists", it != live_enis->items.end()}});
    if (it == live_enis->items.end()) {
      judgement.problem("network-interface " + eni + ": does not exist in " + client.region());
      continue;
    }
    judgement.check_tags(*it, "network-interface " + eni);
  }
  const auto* volume_type = resource_type("volume");
  for (std::size_t first = 0; first < instance_ids.size(); first += k_max_filter_values) {
    const auto end = std::min(instance_ids.size(), first + k_max_filter_values);
    const std::vector<std::string> chunk(instance_ids.begin() + static_cast<std::ptrdiff_t>(first),
                                         instance_ids.begin() + static_cast<std::ptrdiff_t>(end));
    auto volumes = describe_resources(client, *volume_type, {{"attachment.instance-id", chunk}});
    if (!volumes) return std::unexpected(volumes.error().to_error());
    for (const auto& volume : volumes->items) {
      if (judged.contains(volume.id)) continue;
      judgement.count("volume");
      const std::string id = labctl::text::printable(volume.id, 64);
      judgement.attached.push_back({{"kind", "volume"}, {"id", id}, {"exists", true}});
      judgement.check_tags(volume, "volume " + id);
    }
  }
  return {};
}

// Every service address held by the ENI the journal says, or taken over after a recorded stop.
Expected<void> judge_addresses(const RunContext& ctx, Ec2ClientFactory& factory,
                               const std::set<std::string>& stopped, Judgement& judgement) {
  auto routers = run_routers(ctx.store, ctx.run.run_id);
  if (!routers) return std::unexpected(routers.error());
  auto addresses = service_addresses(ctx.store, ctx.run.run_id, *routers);
  if (!addresses) return std::unexpected(addresses.error());
  for (const auto& service : *addresses) {
    auto client = factory.client(service.region);
    if (!client) return std::unexpected(client.error());
    auto holder = address_holder(**client, service, *routers, ctx.run.run_id);
    if (!holder) return std::unexpected(holder.error());
    const std::string eni = labctl::text::printable(holder->eni_id, 64);
    const auto router = std::ranges::find(*routers, holder->node, &RunRouter::node);
    const bool taken_over = stopped.contains(service.expected_node) && router != routers->end() &&
                            router->site == service.site && holder->tagged &&
                            holder->node != service.expected_node;
    judgement.addresses.push_back({{"site", service.site},
                                   {"address", service.address},
                                   {"expectedEni", service.expected_eni},
                                   {"expectedNode", service.expected_node},
                                   {"holderEni", eni},
                                   {"holderNode", holder->node},
                                   {"holderTagged", holder->tagged},
                                   {"takenOverAfterStop", taken_over}});
    const std::string what = "service address " + service.address + " of site " + service.site;
    if (holder->eni_id.empty()) {
      judgement.problem(what + ": held by no ENI; the journal says " + service.expected_eni + " (" +
                        service.expected_node + ")");
    } else if (holder->eni_id != service.expected_eni && !taken_over) {
      judgement.problem(what + ": held by " + eni +
                        (holder->node.empty() ? " (not the run's)" : " (" + holder->node + ")") +
                        "; the journal says " + service.expected_eni + " (" +
                        service.expected_node + ")");
    } else if (!holder->tagged) {
      judgement.problem(what + ": its holder " + eni + " does not carry " + k_tag_run_id + "=" +
                        ctx.run.run_id);
    }
  }
  return {};
}

}  // namespace

Expected<Json> judge_run_state(const RunContext& ctx, Ec2ClientFactory& factory) {
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  auto stopped = stopped_by_fault(ctx.store, ctx.run.run_id, "aws");
  if (!stopped) return std::unexpected(stopped.error());
  Judgement judgement(ctx);
  const RowGroups groups = describable_rows(*rows, judgement);
  std::set<std::string> row_ids;
  for (const auto& [where, group] : groups) {
    for (const auto& row : group) row_ids.insert(row.cloud_id);
  }
  for (const auto& [where, group] : groups) {
    auto client = factory.client(where.first);
    if (!client) return std::unexpected(client.error());
    const auto* type = resource_type(where.second);
    if (auto described = judge_rows(**client, *type, group, *stopped, judgement); !described) {
      return std::unexpected(described.error());
    }
    if (where.second == "instance") {
      if (auto attached = judge_attached(**client, group, row_ids, judgement); !attached) {
        return std::unexpected(attached.error());
      }
    }
  }
  if (auto held = judge_addresses(ctx, factory, *stopped, judgement); !held) {
    return std::unexpected(held.error());
  }
  return judgement.result(*stopped);
}

}  // namespace labctl::providers::aws
