#include <algorithm>
#include <chrono>
#include <string>

#include "core/json_fields.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/ipv4.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"
#include "providers/run_facts.hpp"

namespace labctl::providers::oci {
namespace {

// How often the wait for a stopped instance reads it again: from 500 ms, doubling up to 10 s
// (a STOP usually shows STOPPED within a few reads), for at most the phase's
// CE_OCI_COMMAND_TIMEOUT (the client's own deadline cuts the GETs there too).
constexpr std::chrono::milliseconds k_stop_first_poll{500};
constexpr std::chrono::milliseconds k_stop_max_poll{10000};

const OciKind& instance_kind() { return *kind_named("instance"); }

std::string instance_state_text(const nlohmann::json& instance) {
  const std::string state = fields::text_at(instance, "lifecycleState");
  return state.empty() ? "without a lifecycleState" : text::printable(state, 40);
}

// The instance of `row` as OCI shows it now, behind the tag fence (it must carry the run's
// routerd.cloudedge.run_id), so a fault never touches an instance the run did not create.
Expected<nlohmann::json> fenced_instance(const RunContext& ctx, const state::ResourceRecord& row,
                                         const OciClient& client) {
  if (kind_of_ocid(row.cloud_id) != &instance_kind()) {
    return fail(ExitCode::provider,
                "failover: \"" + text::printable(row.cloud_id, 255) + "\" (" + row.name +
                    ") is not an instance OCID; see labctl runs show " + ctx.run.run_id);
  }
  auto instance = fenced(client, instance_kind(), row.cloud_id, ctx.run.run_id);
  if (!instance) return std::unexpected(instance.error());
  if (!*instance) {
    return fail(ExitCode::provider, "failover: instance " + row.cloud_id + " (" + row.name +
                                        ") no longer exists; see labctl runs show " +
                                        ctx.run.run_id);
  }
  return std::move(**instance);
}

// The number of stop-active faults the run recorded on oci (any node, any result). A STOP is
// sent with retry_token(run, "stop/<node>/<n>") where n is this count + 1: a retry of the same
// attempt (the client's own, or a rerun after a crash before the event was written) repeats the
// token, and OCI answers it with the first STOP's result instead of acting twice — harmless, as
// a STOP of a stopped instance is a no-op; every later, recorded stop-active gets a new token,
// so OCI never answers it with an old result while the instance runs again.
Expected<std::size_t> recorded_stops(state::Store& store, const std::string& run_id) {
  auto events = store.events(run_id);
  if (!events) return std::unexpected(events.error());
  return static_cast<std::size_t>(std::ranges::count_if(*events, [](const auto& event) {
    return event.kind == "failover" && fields::text_at(event.detail, "provider") == "oci" &&
           fields::text_at(event.detail, "fault") == "stop-active";
  }));
}

// The address to reach `instance` at: its primary VNIC's public IP, else that VNIC's private
// address; "" when OCI shows no attached primary VNIC.
Expected<std::string> primary_vnic_address(const OciClient& client,
                                           const nlohmann::json& instance) {
  const std::string id = fields::text_at(instance, "id");
  const std::string compartment = fields::text_at(instance, "compartmentId");
  if (!is_ocid_of(compartment, "compartment") && !is_ocid_of(compartment, "tenancy")) {
    return fail(ExitCode::provider, "failover: instance " + id + " names the compartment \"" +
                                        text::printable(compartment, 255) +
                                        "\", which is not a compartment OCID");
  }
  auto attachments = client.list(
      {.path = "/vnicAttachments", .query = {{"compartmentId", compartment}, {"instanceId", id}}});
  if (!attachments) return std::unexpected(attachments.error().to_error());
  for (const auto& attachment : *attachments) {
    const std::string vnic_id = fields::text_at(attachment, "vnicId");
    if (fields::text_at(attachment, "instanceId") != id ||
        fields::text_at(attachment, "lifecycleState") != "ATTACHED" ||
        !is_ocid_of(vnic_id, "vnic")) {
      continue;
    }
    auto vnic = client.send({.path = "/vnics/" + vnic_id});
    if (!vnic) return std::unexpected(vnic.error().to_error());
    const auto& body = vnic->body;
    const auto& primary = fields::member(body, "isPrimary");
    if (fields::text_at(body, "id") != vnic_id || !primary.is_boolean() || !primary.get<bool>()) {
      continue;
    }
    if (auto address = fields::text_at(body, "publicIp"); !address.empty()) return address;
    return fields::text_at(body, "privateIp");
  }
  return std::string();
}

}  // namespace

Expected<nlohmann::json> stop_router(const RunContext& ctx, const FaultRequest& request,
                                     const OciClient& client) {
  auto row = fault_target_row(ctx.store, ctx.run.run_id, "oci", "instance", request.node);
  if (!row) return std::unexpected(row.error());
  if (auto instance = fenced_instance(ctx, *row, client); !instance) {
    return std::unexpected(instance.error());
  }
  auto stops = recorded_stops(ctx.store, ctx.run.run_id);
  if (!stops) return std::unexpected(stops.error());
  const SystemTime requested = ctx.clock.now();
  const OciRequest stop{.method = "POST",
                        .path = "/instances/" + row->cloud_id,
                        .query = {{"action", "STOP"}},
                        .retry_token = retry_token(ctx.run.run_id, "stop/" + row->name + "/" +
                                                                       std::to_string(*stops + 1))};
  if (auto sent = client.send(stop); !sent) return std::unexpected(sent.error().to_error());
  log::info("oci.stop", "oci: STOP " + row->cloud_id + " (" + row->name + ")",
            {{"provider", "oci"}, {"instance", row->cloud_id}, {"node", row->name}});
  const auto deadline = ctx.clock.steady_now() + client.limits().command_timeout;
  auto interval = k_stop_first_poll;
  while (true) {
    auto instance = get_by_id(client, instance_kind(), row->cloud_id);
    if (!instance) return std::unexpected(instance.error().to_error());
    if (!*instance) {
      return fail(ExitCode::provider, "failover: instance " + row->cloud_id + " (" + row->name +
                                          ") was terminated while it was being stopped");
    }
    if (fields::text_at(**instance, "lifecycleState") == "STOPPED") break;
    if (ctx.clock.steady_now() >= deadline) {
      return fail(ExitCode::provider, "failover: instance " + row->cloud_id + " is " +
                                          instance_state_text(**instance) +
                                          ", not STOPPED, after its STOP (waited "
                                          "CE_OCI_COMMAND_TIMEOUT)");
    }
    if (!ctx.clock.sleep_for(interval)) return fail(ExitCode::interrupted, "failover: interrupted");
    interval = std::min(interval * 2, k_stop_max_poll);
  }
  const SystemTime stopped = ctx.clock.now();
  return nlohmann::json{{"fault", "stop-active"},
                        {"node", row->name},
                        {"site", row->attrs.value("site", "")},
                        {"instance", row->cloud_id},
                        {"lifecycleState", "STOPPED"},
                        {"stopRequestedAt", format_rfc3339_ms(requested)},
                        {"stoppedAt", format_rfc3339_ms(stopped)}};
}

Expected<nlohmann::json> node_fault_on_router(const RunContext& ctx, const FaultRequest& request,
                                              NodeFaultStep step, const OciClient& client,
                                              const EnvLookup& env) {
  auto command = node_fault_command(ctx.profile, request.fault);
  if (!command) return std::unexpected(command.error());
  auto row = fault_target_row(ctx.store, ctx.run.run_id, "oci", "instance", request.node);
  if (!row) return std::unexpected(row.error());
  auto instance = fenced_instance(ctx, *row, client);
  if (!instance) return std::unexpected(instance.error());
  if (fields::text_at(*instance, "lifecycleState") != "RUNNING") {
    return fail(ExitCode::provider, "failover: " + request.fault + " runs on " + row->name +
                                        " over SSH, but instance " + row->cloud_id + " is " +
                                        instance_state_text(*instance) +
                                        ", not running; start it or pick another --node");
  }
  // The address OCI reports now (an ephemeral public IP changes when the instance restarts).
  auto address = primary_vnic_address(client, *instance);
  if (!address) return std::unexpected(address.error());
  if (!is_ipv4(*address)) {
    return fail(ExitCode::provider, "failover: instance " + row->cloud_id +
                                        " has no usable IPv4 address on its primary VNIC (OCI "
                                        "answered \"" +
                                        text::printable(*address, 64) + "\")");
  }
  auto settings = strict_ssh_settings(env, run_ssh_meta(ctx.store, ctx.run.run_id),
                                      {"", "", ctx.profile.oci.ssh_user});
  if (!settings) return std::unexpected(settings.error());
  auto detail = run_node_fault(
      {"oci", row->name, row->attrs.value("role", ""), {*address, 22, settings->user}},
      request.fault, *command, step, settings->session, ctx.clock);
  if (!detail) return std::unexpected(detail.error());
  (*detail)["instance"] = row->cloud_id;
  return detail;
}

}  // namespace labctl::providers::oci
