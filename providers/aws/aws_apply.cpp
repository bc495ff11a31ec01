#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "core/atomic_file.hpp"
#include "core/interrupt.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_resources.hpp"
#include "providers/aws/created_id.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::aws {
namespace {

using Ids = std::map<std::string, std::string>;

// The placeholder an operation's result fills: "{{vpc}}", "{{instance:aws-router-a}}", ...
std::string placeholder_key(const Operation& op) {
  return op.resource_kind == "instance" ? "instance:" + op.resource_name : op.resource_name;
}

// The plan's parameters with every "{{name}}" replaced by the id learnt for it.
Expected<QueryParams> substitute(const Operation& op, const Ids& ids) {
  QueryParams params;
  for (const auto& [key, value] : op.params.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : json_io::dump(value);
    if (text.starts_with("{{") && text.ends_with("}}")) {
      const std::string name = text.substr(2, text.size() - 4);
      const auto found = ids.find(name);
      if (found == ids.end()) {
        return fail(ExitCode::provider, "aws " + op.action + ": the plan refers to " + text +
                                            ", which no earlier step produced");
      }
      text = found->second;
    }
    params.add(key, text);
  }
  return params;
}

nlohmann::json params_json(const QueryParams& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : params.entries()) j[key] = value;
  return j;
}

// Writes the key pair's private key 0600 into the run's directory (0700); never logged. EC2's
// KeyMaterial ends without a newline, and OpenSSH (`ssh -i`, ssh-keygen) refuses a PEM file
// whose last line is unterminated, so one is added.
Expected<std::string> save_private_key(const state::Store& store, const std::string& run_id,
                                       const std::string& key_name, std::string material) {
  if (!material.ends_with('\n')) material += '\n';
  const auto dir = run_dir(store, run_id) / "aws";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(run_dir(store, run_id).c_str(), 0700);
  ::chmod(dir.c_str(), 0700);
  const auto path = dir / (key_name + ".pem");
  if (auto written = write_file_atomic(path, material, 0600); !written) {
    return std::unexpected(written.error());
  }
  return path.string();
}

Expected<std::string> newest_image(const Ec2Client& client, const QueryParams& params) {
  auto images = client.call_paged("DescribeImages", params, "imagesSet/item");
  if (!images) return std::unexpected(images.error().to_error());
  std::string best_id, best_date;
  for (const auto& item : images->items) {
    const std::string date = text_at(item, "creationDate");
    if (best_id.empty() || date > best_date) {
      best_id = text_at(item, "imageId");
      best_date = date;
    }
  }
  if (best_id.empty()) {
    return fail(ExitCode::usage, "aws: no image matches the profile's aws.image owner/name in " +
                                     client.region() + "; fix aws.image or give an id");
  }
  return best_id;
}

// Makes sure every resource of `type` among `ids` (just created by this run) carries the run's
// five tags, whatever the endpoint did with the create's TagSpecifications: describes them by
// id, and those missing any of the five (or carrying another value) get all five in one
// CreateTags, with a warning each; then describes again until all carry them. A resource not
// yet visible is waited for. Bounded by k_confirm_bound (or the phase's deadline); what is
// still untagged then is an error naming it.
// CreateTags has no intent row of its own: it creates nothing, and tags only resources whose
// rows (the create's intent, or the attached volume/ENI rows recorded before this is called)
// are already in state, so a process killed around it leaves nothing the state does not know.
Expected<void> ensure_tagged(const RunContext& ctx, const Ec2Client& client,
                             const ResourceType& type, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  const auto wanted = ctx.tags.pairs();
  const auto until = wait_until(ctx.clock, client, k_confirm_bound);
  auto interval = k_first_poll;
  std::set<std::string> sent;  // ids CreateTags was sent for
  while (true) {
    auto live = describe_ids_until(client, ctx.clock, type, ids, until);
    if (!live) return std::unexpected(live.error().to_error());
    std::vector<std::string> untagged, waiting;
    for (const auto& id : ids) {
      const auto it = std::find_if(live->items.begin(), live->items.end(),
                                   [&](const auto& r) { return r.id == id; });
      const bool tagged =
          it != live->items.end() &&
          std::all_of(wanted.begin(), wanted.end(), [&](const auto& tag) {
            const auto found = it->tags.find(tag.first);
            return found != it->tags.end() && found->second == tag.second;
          });
      if (tagged) continue;
      if (it == live->items.end() || sent.contains(id)) {
        waiting.push_back(id);
      } else {
        untagged.push_back(id);
      }
    }
    if (untagged.empty() && waiting.empty()) return {};
    if (!untagged.empty()) {
      QueryParams params;
      params.add_list("ResourceId", untagged);
      int n = 1;
      for (const auto& [key, value] : wanted) {
        params.add("Tag." + std::to_string(n) + ".Key", key);
        params.add("Tag." + std::to_string(n) + ".Value", value);
        ++n;
      }
      for (const auto& id : untagged) {
        log::warn("aws.tags", "aws: endpoint dropped create-time tags on " + id + "; added",
                  {{"kind", type.kind}, {"id", id}});
      }
      auto tagged = client.call("CreateTags", params);
      if (!tagged) return std::unexpected(tagged.error().to_error());
      sent.insert(untagged.begin(), untagged.end());
      continue;
    }
    if (ctx.clock.steady_now() + interval > until) {
      std::string message = "aws: " + std::string(type.kind) + "(s) of this run still not " +
                            "described with the run's five tags in " + client.region() + ":";
      for (const auto& id : waiting) message += " " + id;
      return fail(ExitCode::provider,
                  message + "; tear the run down (labctl down) and check the endpoint");
    }
    if (!ctx.clock.sleep_for(interval)) return fail(ExitCode::interrupted, "aws: interrupted");
    interval = next_poll(interval);
  }
}

// The ids at `path` in `node` that have `kind`'s shape; one that does not names nothing labctl
// could address safely and is left out with a warning.
std::vector<std::string> ids_at(pugi::xml_node node, std::string_view path, const char* kind,
                                const std::string& region) {
  std::vector<std::string> ids;
  for (const auto& item : nodes_at(node, path)) {
    const std::string id = item.text().as_string();
    if (is_resource_id(id, id_prefix(kind))) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    } else {
      log::warn("aws.tags", "aws: ignoring " + std::string(kind) + " with malformed id \"" +
                                ::labctl::text::printable(id, 64) + "\" in " + region);
    }
  }
  return ids;
}

// Records the volumes or ENIs `ids` that RunInstances made with `instance` as rows of their own
// (created; kind volume / network-interface), unless state knows them already, so teardown
// fences and deletes them like anything else the run made (most go with the instance:
// DeleteOnTermination).
Expected<void> record_attached(const RunContext& ctx, const state::ResourceRecord& instance,
                               const char* kind, const std::vector<std::string>& ids) {
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  std::vector<state::ResourceRecord> fresh;
  for (const auto& id : ids) {
    const bool known = std::any_of(rows->begin(), rows->end(),
                                   [&](const auto& row) { return row.cloud_id == id; });
    if (known) continue;
    auto& row = fresh.emplace_back();
    row.run_id = ctx.run.run_id;
    row.provider = "aws";
    row.kind = kind;
    row.name = std::string(kind) + ":" + id;
    row.region = instance.region;
    row.cloud_id = id;
    row.state = state::k_res_created;
    row.attrs = {{"instance", instance.cloud_id}, {"node", instance.name}};
  }
  return ctx.store.record_intents(fresh);
}

// Polls the run's instances (tag filter, paged) until every one recorded in state is running;
// then records addresses, ENIs and the node description the matrix reads.
Expected<void> wait_running(const RunContext& ctx, const Ec2Client& client,
                            const QueryParams& params, std::chrono::seconds wait_timeout) {
  const auto deadline = ctx.clock.steady_now() + wait_timeout;
  auto interval = k_first_poll;
  while (true) {
    auto rows = ctx.store.resources(ctx.run.run_id);
    if (!rows) return std::unexpected(rows.error());
    std::map<std::string, const state::ResourceRecord*> wanted;
    for (const auto& row : *rows) {
      if (row.provider == "aws" && row.kind == "instance" && !row.cloud_id.empty()) {
        wanted[row.cloud_id] = &row;
      }
    }
    auto pages = client.call_paged("DescribeInstances", params, "reservationSet/item", 0);
    if (!pages) return std::unexpected(pages.error().to_error());
    std::size_t running = 0;
    std::map<std::string, pugi::xml_node> seen;
    for (const auto& reservation : pages->items) {
      for (const auto& instance : nodes_at(reservation, "instancesSet/item")) {
        seen[text_at(instance, "instanceId")] = instance;
      }
    }
    for (const auto& [id, row] : wanted) {
      const auto it = seen.find(id);
      if (it != seen.end() && text_at(it->second, "instanceState/name") == "running") ++running;
    }
    if (running == wanted.size()) {
      // What RunInstances made with each instance: its ENIs and (now that it runs) its root
      // volume, recorded and checked for the run's tags.
      std::vector<std::string> enis, volumes;
      for (const auto& [id, row] : wanted) {
        const auto instance = seen.at(id);
        const auto row_enis = ids_at(instance, "networkInterfaceSet/item/networkInterfaceId",
                                     "network-interface", client.region());
        const auto row_volumes = ids_at(instance, "blockDeviceMapping/item/ebs/volumeId",
                                        "volume", client.region());
        if (auto recorded = record_attached(ctx, *row, "network-interface", row_enis); !recorded) {
          return recorded;
        }
        if (auto recorded = record_attached(ctx, *row, "volume", row_volumes); !recorded) {
          return recorded;
        }
        enis.insert(enis.end(), row_enis.begin(), row_enis.end());
        volumes.insert(volumes.end(), row_volumes.begin(), row_volumes.end());
      }
      if (auto tagged = ensure_tagged(ctx, client, *resource_type("network-interface"), enis);
          !tagged) {
        return tagged;
      }
      if (auto tagged = ensure_tagged(ctx, client, *resource_type("volume"), volumes); !tagged) {
        return tagged;
      }
      for (const auto& [id, row] : wanted) {
        const auto instance = seen.at(id);
        const nlohmann::json attrs = machine_attrs(
            ctx.profile, row->attrs, "",
            {text_at(instance, "privateIpAddress"), text_at(instance, "ipAddress"), "eniId",
             text_at(instance, "networkInterfaceSet/item/networkInterfaceId")},
            ctx.profile.aws.ssh_user);
        if (auto merged = ctx.store.merge_attrs(row->id, attrs); !merged) return merged;
      }
      log::info("aws.running", "aws: " + std::to_string(running) + " instance(s) running");
      return {};
    }
    if (ctx.clock.steady_now() >= deadline) {
      return fail(ExitCode::provider,
                  "aws: instances not running after " + std::to_string(wait_timeout.count()) +
                      " s (" + std::to_string(running) + "/" + std::to_string(wanted.size()) +
                      " running); raise CE_AWS_WAIT_TIMEOUT or check the EC2 console");
    }
    log::info("aws.wait", "aws: waiting for instances: " + std::to_string(running) + "/" +
                              std::to_string(wanted.size()) + " running");
    if (!ctx.clock.sleep_for(interval)) return fail(ExitCode::interrupted, "aws: interrupted");
    interval = next_poll(interval);
  }
}

}  // namespace

Expected<void> apply_plan(const RunContext& ctx, const Plan& plan, Ec2ClientFactory& factory) {
  if (auto credentials = factory.credentials(); !credentials) {
    return std::unexpected(credentials.error());
  }
  Ids ids;
  // Every id the run holds so far: a create answered with one of them is not a new resource.
  std::set<std::string> recorded;
  if (auto rows = ctx.store.resources(ctx.run.run_id); rows) {
    for (const auto& row : *rows) {
      if (!row.cloud_id.empty()) recorded.insert(row.cloud_id);
    }
  }
  for (const auto& op : plan.operations) {
    if (interrupt::requested()) return fail(ExitCode::interrupted, "aws: interrupted");
    auto region_client = factory.client(op.region);
    if (!region_client) return std::unexpected(region_client.error());
    const auto& client = *region_client;
    auto params = substitute(op, ids);
    if (!params) return std::unexpected(params.error());
    if (!op.mutating) {
      if (op.action == "DescribeImages") {
        auto image = newest_image(*client, *params);
        if (!image) return std::unexpected(image.error());
        ids["image"] = *image;
      } else if (op.action == "DescribeSubnets") {
        auto subnet = client->call(op.action, *params);
        if (!subnet) return std::unexpected(subnet.error().to_error());
        ids["vpc"] = subnet->text("subnetSet/item/vpcId");
      } else if (op.action == "DescribeInstances") {
        if (auto waited = wait_running(ctx, *client, *params, factory.limits().wait_timeout);
            !waited) {
          return waited;
        }
      }
      continue;
    }
    state::ResourceRecord row;
    row.run_id = ctx.run.run_id;
    row.provider = "aws";
    row.kind = op.resource_kind.empty() ? "mutation" : op.resource_kind;
    row.name = op.resource_name;
    row.region = op.region;
    row.request = params_json(*params);
    if (op.resource_kind == "instance") {
      row.attrs = node_facts(ctx.profile, "aws", op.resource_name);
    }
    auto id = ctx.store.record_intent(row);
    if (!id) return std::unexpected(id.error());
    log::info("aws.send", "aws: " + op.action + " (" + op.region + ") " + op.resource_name);
    auto response = client->call(op.action, *params);
    if (!response) {
      // Left as "intent": the call may have succeeded before the failure; teardown finds it
      // by tag.
      (void)ctx.store.set_resource_state(*id, state::k_res_intent, response.error().describe());
      return std::unexpected(response.error().to_error());
    }
    auto created = read_created(op.action, op.region, *params, *response, recorded);
    if (!created) {
      (void)ctx.store.set_resource_state(*id, state::k_res_intent, created.error().describe());
      return std::unexpected(created.error().to_error());
    }
    auto& [cloud_id, attrs] = *created;
    if (op.action == "CreateKeyPair") {
      auto path = save_private_key(ctx.store, ctx.run.run_id, attrs["keyName"],
                                   response->text("keyMaterial"));
      if (!path) return std::unexpected(path.error());
      attrs["keyFile"] = *path;
      (void)ctx.store.set_meta(
          ctx.run.run_id, "ssh",
          nlohmann::json{{"key_file", *path}, {"user", ctx.profile.aws.ssh_user}});
    }
    if (auto marked = ctx.store.mark_created(*id, cloud_id, attrs); !marked) return marked;
    ids[placeholder_key(op)] = cloud_id;
    recorded.insert(cloud_id);
    // Tags verified after create: the endpoint may have ignored TagSpecifications, and an
    // untagged resource is invisible to a janitor and refused by the run's own tag fence.
    if (const auto* type = resource_type(row.kind);
        type != nullptr && op.params.contains("TagSpecification.1.ResourceType")) {
      if (op.action == "RunInstances") {
        // The ENIs are in the answer already; the root volume shows once the instance runs
        // (wait_running checks both then).
        row.id = *id;
        row.cloud_id = cloud_id;
        const auto enis = ids_at(response->root(), "instancesSet/item/networkInterfaceSet/item/"
                                 "networkInterfaceId", "network-interface", op.region);
        if (auto attached = record_attached(ctx, row, "network-interface", enis); !attached) {
          return attached;
        }
        if (auto tagged = ensure_tagged(ctx, *client, *resource_type("network-interface"), enis);
            !tagged) {
          return tagged;
        }
      }
      if (auto tagged = ensure_tagged(ctx, *client, *type, {cloud_id}); !tagged) return tagged;
    }
  }
  return {};
}

std::filesystem::path run_dir(const state::Store& store, const std::string& run_id) {
  return store.dir() / "runs" / run_id;
}

}  // namespace labctl::providers::aws
