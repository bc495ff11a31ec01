#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/aws/aws_ops.hpp"
#include "providers/aws/aws_resources.hpp"
#include "providers/ipv4.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::aws {
namespace {

// The instance of `row` as EC2 describes it now, refused unless it carries the run's tag: the
// tag fence, so a fault never touches an instance the run did not create.
Expected<LiveResources> fenced_instance(const RunContext& ctx, const state::ResourceRecord& row,
                                        const Ec2Client& client) {
  auto live = describe_resources(client, *resource_type("instance"),
                                 {{"instance-id", {row.cloud_id}}});
  if (!live) return std::unexpected(live.error().to_error());
  if (live->items.empty()) {
    return fail(ExitCode::provider, "failover: instance " + row.cloud_id + " no longer exists");
  }
  const auto& tags = live->items.front().tags;
  const auto tag = tags.find(k_tag_run_id);
  if (tag == tags.end() || tag->second != ctx.run.run_id) {
    return fail(ExitCode::refused, "failover: refused: " + row.cloud_id + " is not tagged " +
                                       k_tag_run_id + "=" + ctx.run.run_id);
  }
  return std::move(*live);
}

}  // namespace

Expected<nlohmann::json> stop_active_router(const RunContext& ctx, const FaultRequest& request,
                                            Ec2ClientFactory& factory) {
  auto row = fault_target_row(ctx.store, ctx.run.run_id, "aws", "instance", request.node);
  if (!row) return std::unexpected(row.error());
  auto region_client = factory.client(row->region);
  if (!region_client) return std::unexpected(region_client.error());
  const auto& client = *region_client;
  const auto* type = resource_type("instance");
  if (auto fenced = fenced_instance(ctx, *row, *client); !fenced) {
    return std::unexpected(fenced.error());
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
                        {"site", row->attrs.value("site", "")},
                        {"stopRequestedAt", format_rfc3339_ms(injected)},
                        {"stoppedAt", format_rfc3339_ms(stopped)}};
}

Expected<nlohmann::json> node_fault_on_router(const RunContext& ctx, const FaultRequest& request,
                                              NodeFaultStep step, Ec2ClientFactory& factory,
                                              const EnvLookup& env) {
  auto command = node_fault_command(ctx.profile, request.fault);
  if (!command) return std::unexpected(command.error());
  auto row = fault_target_row(ctx.store, ctx.run.run_id, "aws", "instance", request.node);
  if (!row) return std::unexpected(row.error());
  auto region_client = factory.client(row->region);
  if (!region_client) return std::unexpected(region_client.error());
  auto live = fenced_instance(ctx, *row, **region_client);
  if (!live) return std::unexpected(live.error());
  const auto& instance = live->items.front();
  if (instance.state != "running") {
    return fail(ExitCode::provider, "failover: " + request.fault + " runs on " + row->name +
                                        " over SSH, but instance " + row->cloud_id + " is " +
                                        text::printable(instance.state, 40) +
                                        ", not running; start it or pick another --node");
  }
  // The address EC2 reports now (a stopped and started instance gets a new public IP).
  std::string address = text_at(instance.node, "ipAddress");
  if (address.empty()) address = text_at(instance.node, "privateIpAddress");
  if (!is_ipv4(address)) {
    return fail(ExitCode::provider, "failover: instance " + row->cloud_id +
                                        " has no usable IPv4 address (EC2 answered \"" +
                                        text::printable(address, 64) + "\")");
  }
  auto settings = strict_ssh_settings(env, run_ssh_meta(ctx.store, ctx.run.run_id),
                                      {"", "", ctx.profile.aws.ssh_user});
  if (!settings) return std::unexpected(settings.error());
  auto detail =
      run_node_fault({"aws", row->name, row->attrs.value("role", ""),
                      {address, 22, settings->user}},
                     request.fault, *command, step, settings->session, ctx.clock);
  if (!detail) return std::unexpected(detail.error());
  (*detail)["instanceId"] = row->cloud_id;
  return detail;
}

}  // namespace labctl::providers::aws
