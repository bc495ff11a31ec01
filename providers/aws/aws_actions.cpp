#include "providers/aws/aws_actions.hpp"

#include <algorithm>

#include "core/run_id.hpp"
#include "core/suggest.hpp"
#include "core/tags.hpp"

namespace labctl::providers::aws {
namespace {

nlohmann::json eni_facts(const EniState& eni) {
  return {{"eni", eni.id},
          {"sourceDestCheck", eni.source_dest_check},
          {"secondaryIps", eni.secondary_ips},
          {"instanceId", eni.instance_id}};
}

// A failed mutating call. No answer (timeout, reset connection) or a server error may hide a
// performed change: ambiguous. A throttle, an auth or a client error means EC2 did not act.
Outcome call_failed(const AwsError& error, const nlohmann::json& observed) {
  const bool maybe_performed = error.kind == AwsErrorKind::timeout ||
                               (error.kind == AwsErrorKind::transport && error.retryable) ||
                               (error.kind == AwsErrorKind::service && error.http_status >= 500);
  if (maybe_performed) return action_ambiguous(error.describe(), "ENI", observed);
  return action_failed(ExitCode::provider, error.describe() + " (not retried by the executor)",
                       observed);
}

Outcome assign(const Ec2Clients& clients, const ActionRequest& request, const EniState& before) {
  const auto& address = request.target.address;
  nlohmann::json observed{{"priorSecondaryIps", before.secondary_ips}};
  const bool seize = request.parameters.value("allowReassignment", false);
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " has secondary IPs [" +
                               join(before.secondary_ips, ",") + "]; would assign " + address +
                               " to " + before.id + (seize ? " (AllowReassignment: seize)" : ""),
                           eni_facts(before));
  }
  if (before.holds(address)) {
    return action_failed(ExitCode::refused,
                         "hard stop: " + address + " is already assigned to " + before.id +
                             "; the lab is dirty — investigate before capturing",
                         observed);
  }
  QueryParams params{{"NetworkInterfaceId", before.id}, {"PrivateIpAddress.1", address}};
  if (seize) params.add("AllowReassignment", "true");
  if (auto sent = clients.writer.call("AssignPrivateIpAddresses", params); !sent) {
    return call_failed(sent.error(), observed);
  }
  auto after = describe_eni(clients.reader, before.id);
  if (!after)
    return action_ambiguous("assign sent but " + before.id + " cannot be described", "ENI",
                            observed);
  observed["secondaryIps"] = after->secondary_ips;
  if (!after->holds(address)) {
    return action_ambiguous(
        "AssignPrivateIpAddresses succeeded but " + before.id + " does not list " + address, "ENI",
        observed);
  }
  const std::string previous = request.parameters.value("previousHolder", "");
  if (!previous.empty()) {
    auto old_holder = describe_eni(clients.reader, previous);
    observed["previousHolder"] = previous;
    observed["previousHolderHasAddress"] = !old_holder || old_holder->holds(address);
  }
  return action_finished("succeeded", "assigned " + address + " to " + before.id, observed, true);
}

Outcome unassign(const Ec2Clients& clients, const ActionRequest& request, const EniState& before) {
  const auto& address = request.target.address;
  nlohmann::json observed{{"priorSecondaryIps", before.secondary_ips}};
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " has secondary IPs [" +
                               join(before.secondary_ips, ",") + "]; would unassign " + address,
                           eni_facts(before));
  }
  if (!before.holds(address)) {
    return action_failed(ExitCode::refused,
                         "refused: drift: " + before.id + " no longer holds " + address +
                             " (someone else moved or removed it); nothing unassigned",
                         observed);
  }
  if (auto sent =
          clients.writer.call("UnassignPrivateIpAddresses",
                              {{"NetworkInterfaceId", before.id}, {"PrivateIpAddress.1", address}});
      !sent) {
    return call_failed(sent.error(), observed);
  }
  auto after = describe_eni(clients.reader, before.id);
  if (!after || after->holds(address)) {
    return action_ambiguous(
        "UnassignPrivateIpAddresses succeeded but " + before.id + " still lists " + address, "ENI",
        observed);
  }
  observed["secondaryIps"] = after->secondary_ips;
  return action_finished("succeeded", "unassigned " + address + " from " + before.id, observed);
}

// Sets SourceDestCheck to `value`, then verifies it by describing again.
Outcome set_source_dest_check(const Ec2Clients& clients, const EniState& before, bool value,
                              nlohmann::json observed, bool undo_available) {
  const std::string text = value ? "true" : "false";
  if (auto sent =
          clients.writer.call("ModifyNetworkInterfaceAttribute",
                              {{"NetworkInterfaceId", before.id}, {"SourceDestCheck.Value", text}});
      !sent) {
    return call_failed(sent.error(), observed);
  }
  auto after = describe_eni(clients.reader, before.id);
  if (!after || after->source_dest_check != value) {
    return action_ambiguous("ModifyNetworkInterfaceAttribute succeeded but " + before.id +
                                " does not show SourceDestCheck=" + text,
                            "ENI", observed);
  }
  observed["sourceDestCheck"] = value;
  return action_finished("succeeded", "set SourceDestCheck=" + text + " on " + before.id, observed,
                         undo_available);
}

Outcome forwarding_on(const Ec2Clients& clients, const ActionRequest& request,
                      const EniState& before) {
  // The prior value comes from the describe made above, BEFORE the modify (runbook §2).
  nlohmann::json observed{{"priorSourceDestCheck", before.source_dest_check}};
  if (request.mode == k_mode_dry_run) {
    nlohmann::json facts = eni_facts(before);
    facts["priorSourceDestCheck"] = before.source_dest_check;
    return action_finished("succeeded",
                           "dry-run: " + before.id +
                               " SourceDestCheck=" + (before.source_dest_check ? "true" : "false") +
                               "; would set SourceDestCheck=false",
                           facts);
  }
  if (!before.source_dest_check) {
    observed["sourceDestCheck"] = false;
    return action_finished("succeeded",
                           before.id + " already had SourceDestCheck=false; nothing changed",
                           observed, true);
  }
  return set_source_dest_check(clients, before, false, observed, true);
}

Outcome forwarding_off(const Ec2Clients& clients, const ActionRequest& request,
                       const EniState& before) {
  const auto prior = request.parameters.find("priorSourceDestCheck");
  if (prior == request.parameters.end() || !prior->is_boolean()) {
    return action_failed(ExitCode::refused,
                         "hard stop: undo not describable: " + std::string(k_forwarding_off) +
                             " needs parameters.priorSourceDestCheck (true|false) recorded by the "
                             "ensure-forwarding-enabled it undoes; never re-enabling blindly");
  }
  nlohmann::json observed{{"priorSourceDestCheck", prior->get<bool>()},
                          {"sourceDestCheckBeforeUndo", before.source_dest_check}};
  if (!prior->get<bool>()) {
    return action_finished("skipped",
                           "SourceDestCheck was already false on " + before.id +
                               " before ensure-forwarding-enabled ran; left as is (restore-prior)",
                           observed);
  }
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id +
                               " SourceDestCheck=" + (before.source_dest_check ? "true" : "false") +
                               "; would restore SourceDestCheck=true (the recorded prior value)",
                           observed);
  }
  if (before.source_dest_check) {
    return action_failed(ExitCode::refused,
                         "refused: drift: " + before.id +
                             " already shows SourceDestCheck=true, not the false ensure-forwarding-"
                             "enabled set; someone else changed it — not overwriting",
                         observed);
  }
  return set_source_dest_check(clients, before, true, observed, false);
}

}  // namespace

bool EniState::holds(const std::string& address) const {
  return primary_ip == address ||
         std::find(secondary_ips.begin(), secondary_ips.end(), address) != secondary_ips.end();
}

Expected<EniState> describe_eni(const Ec2Client& client, const std::string& eni_id) {
  auto response = client.call("DescribeNetworkInterfaces", {{"NetworkInterfaceId.1", eni_id}});
  if (!response) return std::unexpected(response.error().to_error());
  const auto items = response->items("networkInterfaceSet/item");
  if (items.empty()) {
    return fail(ExitCode::provider, "aws ec2 DescribeNetworkInterfaces (" + client.region() +
                                        "): " + eni_id + " not found");
  }
  const auto& node = items.front();
  EniState eni;
  eni.id = text_at(node, "networkInterfaceId");
  eni.source_dest_check = text_at(node, "sourceDestCheck") != "false";
  eni.primary_ip = text_at(node, "privateIpAddress");
  for (const auto& ip : nodes_at(node, "privateIpAddressesSet/item")) {
    if (text_at(ip, "primary") != "true")
      eni.secondary_ips.push_back(text_at(ip, "privateIpAddress"));
  }
  eni.subnet_id = text_at(node, "subnetId");
  eni.vpc_id = text_at(node, "vpcId");
  eni.owner_id = text_at(node, "ownerId");
  eni.instance_id = text_at(node, "attachment/instanceId");
  for (const auto& tag : nodes_at(node, "tagSet/item")) {
    eni.tags[text_at(tag, "key")] = text_at(tag, "value");
  }
  return eni;
}

Outcome perform_aws(const Ec2Clients& clients, const ActionRequest& request,
                    const std::string& run_id) {
  auto before = describe_eni(clients.reader, request.target.nic_ref);
  if (!before) {
    const bool mutating = request.mode == k_mode_execute;
    return action_failed(
        mutating ? ExitCode::refused : ExitCode::provider,
        (mutating ? "hard stop: the state before the action cannot be described: " : "") +
            before.error().message);
  }
  if (auto stop = action_tag_fence(before->id, before->tags, run_id)) return *stop;
  if (auto stop = mutation_fence(request)) return *stop;
  if (request.action == k_assign) return assign(clients, request, *before);
  if (request.action == k_unassign) return unassign(clients, request, *before);
  if (request.action == k_forwarding_on) return forwarding_on(clients, request, *before);
  return forwarding_off(clients, request, *before);
}

}  // namespace labctl::providers::aws
