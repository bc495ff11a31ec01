#include <algorithm>
#include <set>

#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_plan.hpp"
#include "providers/aws/aws_resources.hpp"

namespace labctl::providers::aws {
namespace {

// Rows that are not resources of their own: an ingress rule or a route ("mutation"), an
// attachment or an association. They go with their parent; their ids are not taggable.
int rank(const std::string& kind) {
  if (const auto* type = resource_type(kind)) return type->order;
  if (kind == "route-table-association") return 6;
  if (kind == "internet-gateway-attachment") return 8;
  return 3;  // mutation
}

bool gone(const AwsError& error) {
  return error.code.ends_with(".NotFound") || error.code == "Gateway.NotAttached" ||
         error.code == "InvalidAssociationID.NotFound";
}

bool dependency(const AwsError& error) {
  return error.code == "DependencyViolation" || error.code == "InvalidNetworkInterface.InUse" ||
         error.code == "VolumeInUse" || error.code == "ResourceInUse";
}

class RegionTeardown {
 public:
  RegionTeardown(const RunContext& ctx, const Ec2Client& client, int dependency_retries)
      : m_ctx(ctx), m_client(client), m_dependency_retries(dependency_retries) {}

  // Returns the messages of rows that could not be deleted (also marked failed in state).
  std::vector<std::string> run(std::vector<state::ResourceRecord> rows) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return rank(a.kind) < rank(b.kind); });
    // Only the instances are fenced before TerminateInstances (unless the janitor's tag scan
    // that found them was their fence): nothing else is mutated until the fence after it,
    // where root volumes and primary ENIs that went with their instances (DeleteOnTermination)
    // are found gone with one describe per type instead of a delete each.
    std::vector<state::ResourceRecord> instance_rows;
    std::copy_if(rows.begin(), rows.end(), std::back_inserter(instance_rows),
                 [](const auto& row) { return row.kind == "instance"; });
    bool fenced = !m_ctx.rows_found_by_tag;
    if (fenced) fence(instance_rows);
    // One id EC2 no longer knows fails the whole TerminateInstances: the fence then finds it
    // gone, and the others are sent again.
    while (!terminate(instance_rows) && !fenced) {
      fence(instance_rows);
      fenced = true;
    }
    fence(rows);
    for (const auto& row : rows) {
      if (m_decided.contains(row.id)) continue;
      if (row.kind == "mutation") continue;  // decided with the rest, below
      remove(row);
    }
    confirm_removed();
    for (const auto& row : rows) {
      // An ingress rule or route is gone once its parent is; it was never separately taggable.
      if (row.kind == "mutation" && !m_decided.contains(row.id)) decide(row, state::k_res_deleted);
    }
    flush();
    return m_failures;
  }

  // True if the tag fence refused any resource.
  [[nodiscard]] bool refused() const { return m_refused; }

 private:
  // Queues the row's outcome; flush() writes the queue in one transaction before the next
  // mutating call, so the state never lags behind what was sent.
  void decide(const state::ResourceRecord& row, const std::string& state,
              const std::string& error = {}) {
    m_decided.insert(row.id);
    m_outcomes.push_back({row.id, state, error});
    if (state == state::k_res_failed) {
      m_failures.push_back(row.kind + " " + row.cloud_id + ": " + error);
    }
  }

  void flush() {
    if (auto written = m_ctx.store.set_resource_states(m_outcomes); !written) {
      log::warn("aws.state", "aws: could not record teardown outcomes: " + written.error().message +
                                 "; the next down checks again");
    }
    m_outcomes.clear();
  }

  // The tag fence: every resource must exist with routerd.cloudedge.run_id == this run, or not
  // exist at all. A live resource without the tag is refused and left alone. Rows already
  // decided are not looked at again.
  void fence(const std::vector<state::ResourceRecord>& rows) {
    for (const auto& type : resource_types()) {
      std::vector<std::string> ids;
      for (const auto& row : rows) {
        if (row.kind == type.kind && !row.cloud_id.empty() && !m_decided.contains(row.id)) {
          ids.push_back(row.cloud_id);
        }
      }
      if (ids.empty()) continue;
      auto live = describe_ids_until(m_client, m_ctx.clock, type, ids,
                                     wait_until(m_ctx.clock, m_client, k_confirm_bound));
      if (!live) {
        for (const auto& row : rows) {
          if (row.kind == type.kind && !m_decided.contains(row.id)) {
            decide(row, state::k_res_failed, live.error().describe());
          }
        }
        continue;
      }
      for (const auto& row : rows) {
        if (row.kind != type.kind || row.cloud_id.empty() || m_decided.contains(row.id)) continue;
        const auto it = std::find_if(live->items.begin(), live->items.end(),
                                     [&](const auto& r) { return r.id == row.cloud_id; });
        if (it == live->items.end() || it->state == "terminated") {
          decide(row, state::k_res_deleted);
          continue;
        }
        const auto tag = it->tags.find(k_tag_run_id);
        if (tag == it->tags.end() || tag->second != m_ctx.run.run_id) {
          m_refused = true;
          decide(row, state::k_res_failed,
                 "refused: " + row.cloud_id + " is not tagged " + k_tag_run_id + "=" +
                     m_ctx.run.run_id + "; labctl never mutates resources of another run");
          continue;
        }
        // A resource deleted by name is deleted by the name labctl gave it, and only when the
        // resource behind the id carries that name.
        if (type.remove_by != nullptr && text_at(it->node, type.remove_by) != chosen_name()) {
          m_refused = true;
          decide(row, state::k_res_failed,
                 "refused: " + row.kind + " " + row.cloud_id + " is named \"" +
                     ::labctl::text::printable(text_at(it->node, type.remove_by), 64) +
                     "\", not \"" + chosen_name() + "\" as labctl names it; delete it by hand");
        }
      }
    }
    for (const auto& row : rows) {
      // An intent whose create never answered: nothing to address by id; discovery by tag
      // (which the caller runs before and after) covers it.
      if (row.cloud_id.empty() && !m_decided.contains(row.id)) decide(row, state::k_res_deleted);
    }
    flush();
  }

  // Terminates the undecided instances of `instance_rows` and waits until they are; false
  // (nothing decided) when EC2 answered that one of them does not exist, which fails the whole
  // call.
  [[nodiscard]] bool terminate(const std::vector<state::ResourceRecord>& instance_rows) {
    std::vector<std::string> ids;
    for (const auto& row : instance_rows) {
      if (!m_decided.contains(row.id) && !row.cloud_id.empty()) ids.push_back(row.cloud_id);
    }
    if (ids.empty()) return true;
    QueryParams params;
    params.add_list("InstanceId", ids);
    log::info("aws.terminate", "aws: TerminateInstances " + std::to_string(ids.size()) +
                                   " instance(s) in " + m_client.region());
    auto sent = m_client.call("TerminateInstances", params);
    if (!sent && gone(sent.error())) return false;
    if (!sent) {
      for (const auto& row : instance_rows) {
        if (!m_decided.contains(row.id)) decide(row, state::k_res_failed, sent.error().describe());
      }
      flush();
      return true;
    }
    // The answer names each instance's new state; only when one is still shutting down is
    // there anything to wait for, and then it cannot be done before the first poll interval.
    // Polls ask for the instances NOT yet terminated, so the answer shrinks to nothing instead
    // of repeating every terminated instance in full.
    const auto answered = sent->items("instancesSet/item");
    bool all_gone = answered.size() == ids.size() &&
                    std::all_of(answered.begin(), answered.end(), [](const auto& item) {
                      return text_at(item, "currentState/name") == "terminated";
                    });
    const auto* type = resource_type("instance");
    auto interval = k_first_poll;
    const auto deadline = wait_until(m_ctx.clock, m_client, std::chrono::minutes(10));
    while (!all_gone && m_ctx.clock.steady_now() < deadline) {
      log::info("aws.wait", "aws: waiting for instances to terminate");
      m_ctx.clock.sleep_for(interval);
      interval = next_poll(interval);
      auto live =
          describe_resources(m_client, *type,
                             {{"instance-id", ids},
                              {"instance-state-name",
                               {"pending", "running", "shutting-down", "stopping", "stopped"}}});
      all_gone = live && live->items.empty();
    }
    for (const auto& row : instance_rows) {
      if (m_decided.contains(row.id)) continue;
      if (all_gone) {
        decide(row, state::k_res_deleted);
      } else {
        decide(row, state::k_res_failed,
               "not terminated in time (10 minutes, or the phase's CE_AWS_COMMAND_TIMEOUT)");
      }
    }
    flush();
    return true;
  }

  // Detaches/disassociates what a gateway or route table still has, then deletes it.
  AwsResult<Ec2Response> send_delete(const state::ResourceRecord& row) {
    if (row.kind == "route-table-association") {
      return m_client.call("DisassociateRouteTable", {{"AssociationId", row.cloud_id}});
    }
    if (row.kind == "internet-gateway-attachment") {
      return m_client.call("DetachInternetGateway", {{"InternetGatewayId", row.cloud_id},
                                                     {"VpcId", row.attrs.value("vpcId", "")}});
    }
    const auto* type = resource_type(row.kind);
    if (row.kind == "internet-gateway" || row.kind == "route-table") {
      auto live = describe_resources(m_client, *type, {{type->id_filter, {row.cloud_id}}});
      if (live && !live->items.empty()) {
        const auto node = live->items.front().node;
        for (const auto& a : nodes_at(node, "attachmentSet/item")) {
          (void)m_client.call("DetachInternetGateway", {{"InternetGatewayId", row.cloud_id},
                                                        {"VpcId", text_at(a, "vpcId")}});
        }
        for (const auto& a : nodes_at(node, "associationSet/item")) {
          if (text_at(a, "main") == "true") continue;
          (void)m_client.call("DisassociateRouteTable",
                              {{"AssociationId", text_at(a, "routeTableAssociationId")}});
        }
      }
    }
    return m_client.call(type->remove,
                         {{type->remove_param, type->remove_by ? chosen_name() : row.cloud_id}});
  }

  // The name a resource deleted by name has: the one labctl gives it (key pairs), never one
  // an endpoint reports.
  [[nodiscard]] std::string chosen_name() const {
    return key_pair_name(m_ctx.run.run_id);
  }

  void remove(const state::ResourceRecord& row) {
    if (resource_type(row.kind) == nullptr && row.kind != "route-table-association" &&
        row.kind != "internet-gateway-attachment") {
      decide(row, state::k_res_failed, "unknown resource kind '" + row.kind + "'");
      return;
    }
    auto delay = std::chrono::milliseconds(1000);
    for (int attempt = 1;; ++attempt) {
      auto sent = send_delete(row);
      if (sent && resource_type(row.kind) != nullptr) {
        // An answered delete is only a claim (an endpoint may ignore the parameter it named
        // the resource by): confirm_removed() decides once the describe shows it gone.
        m_removed.push_back(row);
        return;
      }
      if (sent || gone(sent.error())) {
        decide(row, state::k_res_deleted);
        flush();
        return;
      }
      if (!dependency(sent.error()) || attempt >= m_dependency_retries) {
        decide(row, state::k_res_failed, sent.error().describe());
        flush();
        return;
      }
      log::info("aws.dependency", "aws: " + row.kind + " " + row.cloud_id + ": " +
                                      sent.error().code + "; retrying in " +
                                      std::to_string(delay.count()) + " ms");
      m_ctx.clock.sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(15000));
    }
  }

  // Describes every row whose delete was answered with success until the describe shows it
  // gone (absent), asking again up to k_confirm_bound (or the phase's deadline); a row still
  // there, or whose describe kept failing, is failed with the reason, for the next down.
  void confirm_removed() {
    const auto until = wait_until(m_ctx.clock, m_client, k_confirm_bound);
    for (const auto& type : resource_types()) {
      std::vector<state::ResourceRecord> pending;
      std::copy_if(m_removed.begin(), m_removed.end(), std::back_inserter(pending),
                   [&](const auto& row) { return row.kind == type.kind; });
      auto interval = k_first_poll;
      std::string problem;
      while (!pending.empty()) {
        auto live = describe_removed(type, pending);
        problem.clear();
        if (!live) {
          problem = "the delete was answered but its describe failed: " + live.error().describe();
          if (live.error().kind == AwsErrorKind::auth ||
              m_ctx.clock.steady_now() + interval > until || !m_ctx.clock.sleep_for(interval)) {
            break;
          }
          interval = next_poll(interval);
          continue;
        }
        std::vector<state::ResourceRecord> still;
        for (const auto& row : pending) {
          const auto same = [&](const LiveResource& r) {
            return exists(type, r) && (type.remove_by ? text_at(r.node, type.remove_by) ==
                                                            chosen_name()
                                                      : r.id == row.cloud_id);
          };
          const bool present = std::any_of(live->items.begin(), live->items.end(), same);
          if (present) {
            still.push_back(row);
          } else {
            decide(row, state::k_res_deleted);
          }
        }
        pending = std::move(still);
        if (pending.empty() || m_ctx.clock.steady_now() + interval > until) break;
        log::info("aws.confirm", "aws: " + std::to_string(pending.size()) + " " + type.kind +
                                     "(s) still described after their delete; asking again");
        if (!m_ctx.clock.sleep_for(interval)) break;
        interval = next_poll(interval);
      }
      if (problem.empty()) {
        problem = std::string("the endpoint answered ") + type.remove +
                  " with success but its describe still shows it; delete it by hand if the next "
                  "down cannot";
      }
      for (const auto& row : pending) decide(row, state::k_res_failed, problem);
    }
    m_removed.clear();
    flush();
  }

  // The describe that shows whether removed rows of `type` still exist: by the name they were
  // deleted by (key pairs: filter key-name), else by id.
  AwsResult<LiveResources> describe_removed(const ResourceType& type,
                                            const std::vector<state::ResourceRecord>& rows) {
    if (type.remove_by == nullptr) {
      std::vector<std::string> ids;
      for (const auto& row : rows) ids.push_back(row.cloud_id);
      return describe_ids(m_client, type, ids, existing_only(type));
    }
    return describe_resources(m_client, type, {{type.remove_by_filter, {chosen_name()}}});
  }

  const RunContext& m_ctx;
  const Ec2Client& m_client;
  int m_dependency_retries;
  std::vector<state::ResourceRecord> m_removed;  // delete answered, not yet confirmed gone
  std::set<long long> m_decided;
  std::vector<state::ResourceStateChange> m_outcomes;  // decided, not yet written
  std::vector<std::string> m_failures;
  bool m_refused = false;
};

}  // namespace

Expected<void> teardown_rows(const RunContext& ctx, const std::vector<state::ResourceRecord>& rows,
                             Ec2ClientFactory& factory) {
  std::map<std::string, std::vector<state::ResourceRecord>> by_region;
  for (const auto& row : rows) by_region[row.region].push_back(row);
  std::vector<std::string> failures;
  bool refused = false;
  for (auto& [region, region_rows] : by_region) {
    if (region.empty()) {
      for (const auto& row : region_rows) {
        (void)ctx.store.set_resource_state(row.id, state::k_res_failed, "no region recorded");
        failures.push_back(row.kind + " " + row.cloud_id + ": no region recorded");
      }
      continue;
    }
    auto client = factory.client(region);
    if (!client) return std::unexpected(client.error());
    // One region's surprise (an exception) must not stop the others: it is a failure of that
    // region, whose undecided rows stay as they were for the next down.
    try {
      RegionTeardown teardown(ctx, **client, factory.limits().dependency_retries);
      auto region_failures = teardown.run(std::move(region_rows));
      refused = refused || teardown.refused();
      failures.insert(failures.end(), region_failures.begin(), region_failures.end());
    } catch (const std::exception& e) {
      failures.push_back("region " + region +
                         ": unexpected failure: " + ::labctl::text::printable(e.what()));
    }
  }
  if (failures.empty()) return {};
  std::string message = "aws: " + std::to_string(failures.size()) + " resource(s) not deleted:";
  for (const auto& f : failures) message += "\n    " + f;
  return fail(refused ? ExitCode::refused : ExitCode::provider, message);
}

}  // namespace labctl::providers::aws
