#include "core/log.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_resources.hpp"

namespace labctl::providers::aws {
namespace {

// The instance row of the node to stop: --node by name, else the active router (router-a),
// else the only router.
Expected<state::ResourceRecord> target_row(const RunContext& ctx, const std::string& node) {
  auto rows = ctx.store.resources(ctx.run.run_id);
  if (!rows) return std::unexpected(rows.error());
  const state::ResourceRecord* fallback = nullptr;
  for (const auto& row : *rows) {
    if (row.provider != "aws" || row.kind != "instance" || row.state != state::k_res_created) {
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
              "failover: run " + ctx.run.run_id + " has no aws " +
                  (node.empty() ? "active router (role router-a)" : "instance named " + node) +
                  " in state; see labctl runs show " + ctx.run.run_id);
}

}  // namespace

Expected<nlohmann::json> stop_active_router(const RunContext& ctx, const FaultRequest& request,
                                            Ec2ClientFactory& factory) {
  auto row = target_row(ctx, request.node);
  if (!row) return std::unexpected(row.error());
  auto region_client = factory.client(row->region);
  if (!region_client) return std::unexpected(region_client.error());
  const auto& client = *region_client;
  const auto* type = resource_type("instance");
  auto live = describe_resources(*client, *type, {{"instance-id", {row->cloud_id}}});
  if (!live) return std::unexpected(live.error().to_error());
  if (live->items.empty()) {
    return fail(ExitCode::provider, "failover: instance " + row->cloud_id + " no longer exists");
  }
  const auto& tags = live->items.front().tags;
  const auto tag = tags.find(k_tag_run_id);
  if (tag == tags.end() || tag->second != ctx.run.run_id) {
    return fail(ExitCode::refused, "failover: refused: " + row->cloud_id + " is not tagged " +
                                       k_tag_run_id + "=" + ctx.run.run_id);
  }
  const SystemTime injected = ctx.clock.now();
  auto sent = client->call("StopInstances", {{"InstanceId.1", row->cloud_id}});
  if (!sent) return std::unexpected(sent.error().to_error());
  log::info("aws.stop", "aws: StopInstances " + row->cloud_id + " (" + row->name + ")");
  auto interval = k_first_poll;
  auto deadline = ctx.clock.steady_now() + std::chrono::minutes(10);
  if (const auto phase = client->deadline(); phase && *phase < deadline) deadline = *phase;
  while (true) {
    auto now_live = describe_resources(*client, *type, {{"instance-id", {row->cloud_id}}});
    if (now_live && !now_live->items.empty() && now_live->items.front().state == "stopped") break;
    if (ctx.clock.steady_now() >= deadline) {
      return fail(ExitCode::provider,
                  "failover: " + row->cloud_id +
                      " not stopped in time (10 min, or the phase's CE_AWS_COMMAND_TIMEOUT)");
    }
    if (!ctx.clock.sleep_for(interval)) return fail(ExitCode::interrupted, "failover: interrupted");
    interval = next_poll(interval);
  }
  const SystemTime stopped = ctx.clock.now();
  return nlohmann::json{{"instanceId", row->cloud_id},
                        {"node", row->name},
                        {"stopRequestedAt", format_rfc3339_ms(injected)},
                        {"stoppedAt", format_rfc3339_ms(stopped)}};
}

}  // namespace labctl::providers::aws
