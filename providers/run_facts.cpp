#include "providers/run_facts.hpp"

#include "core/json_fields.hpp"
#include "core/json_io.hpp"
#include "core/text.hpp"

namespace labctl::providers {
namespace {

using Json = nlohmann::json;

// The node a recorded stop-active stopped: the fault's answer is the event's "detail", or, for
// a measured failover, the text of the timing's inject stage.
std::string fault_node(const Json& event) {
  if (const Json& detail = fields::member(event, "detail"); detail.is_object()) {
    return fields::text_at(detail, "node");
  }
  const Json& events = fields::member(fields::member(event, "timing"), "events");
  if (!events.is_array() || events.empty()) return {};
  const Json& inject = fields::member(fields::member(events.front(), "stages"), "inject");
  const std::string text = fields::text_at(inject, "detail");
  auto parsed = json_io::parse(text, "the recorded failover's inject stage");
  return parsed ? fields::text_at(*parsed, "node") : std::string();
}

}  // namespace

Expected<state::ResourceRecord> fault_target_row(state::Store& store, const std::string& run_id,
                                                 const std::string& provider,
                                                 const std::string& kind, const std::string& node) {
  auto rows = store.resources(run_id);
  if (!rows) return std::unexpected(rows.error());
  const state::ResourceRecord* fallback = nullptr;
  for (const auto& row : *rows) {
    if (row.provider != provider || row.kind != kind || row.state != state::k_res_created) {
      continue;
    }
    const std::string role = row.attrs.value("role", "");
    if (!node.empty()) {
      if (row.name == node) return row;
      continue;
    }
    if (role == "router-a") return row;
    if (role == "router") fallback = &row;
  }
  if (fallback != nullptr) return *fallback;
  return fail(ExitCode::usage,
              "failover: run " + run_id + " has no " + provider + " " +
                  (node.empty() ? "active router (role router-a)" : kind + " named " + node) +
                  " in state; see labctl runs show " + run_id);
}

Expected<std::set<std::string>> stopped_by_fault(state::Store& store, const std::string& run_id,
                                                 const std::string& provider) {
  auto events = store.events(run_id);
  if (!events) return std::unexpected(events.error());
  std::set<std::string> stopped;
  for (const auto& event : *events) {
    if (event.kind != "failover" || fields::text_at(event.detail, "provider") != provider ||
        fields::text_at(event.detail, "fault") != "stop-active") {
      continue;
    }
    const std::string node = fault_node(event.detail);
    const std::string result = fields::text_at(event.detail, "result");
    if (node.empty()) continue;
    if (result == "injected") stopped.insert(node);
    if (result == "restored") stopped.erase(node);
  }
  return stopped;
}

std::string tag_problem(const std::map<std::string, std::string>& tags, const Tags& expected) {
  std::string missing;
  for (const auto& [key, value] : expected.pairs()) {
    const auto it = tags.find(key);
    if (it == tags.end()) {
      missing += (missing.empty() ? "" : ", ") + key;
    } else if (key == k_tag_run_id && it->second != value) {
      return "tagged " + key + "=" + text::printable(it->second, 80) + ", not this run";
    }
  }
  return missing.empty() ? std::string() : "missing tag(s) " + missing;
}

Json node_facts(const profile::Profile& profile, const std::string& provider,
                const std::string& node_name) {
  for (const auto& site : profile.sites) {
    if (site.provider != provider) continue;
    for (const auto& node : site.nodes) {
      if (node.name == node_name) return {{"site", site.name}, {"role", node.role}};
    }
  }
  return Json::object();
}

Json machine_attrs(const profile::Profile& profile, const Json& facts, const std::string& name,
                   const MachineAddresses& addresses, const std::string& ssh_user) {
  const std::string site = fields::text_at(facts, "site");
  const std::string role = fields::text_at(facts, "role");
  const auto* profile_site = profile.find_site(site);
  Json node{{"site", site},
            {"role", role},
            {"logical_address",
             profile_site ? profile_site->logical_address : addresses.private_ip},
            {"ssh",
             {{"host", addresses.public_ip.empty() ? addresses.private_ip : addresses.public_ip},
              {"port", 22},
              {"user", ssh_user},
              {"jump", ""}}}};
  if (!name.empty()) node["name"] = name;
  return {{"privateIp", addresses.private_ip},
          {"publicIp", addresses.public_ip},
          {addresses.nic_key, addresses.nic_id},
          {"role", role},
          {"node", node}};
}

}  // namespace labctl::providers
