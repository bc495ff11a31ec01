#include "providers/oci/oci_actions.hpp"

#include <algorithm>

#include "core/json_fields.hpp"
#include "core/suggest.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/nic_action.hpp"
#include "providers/oci/oci_resources.hpp"

namespace labctl::providers::oci {
namespace {

// The tags a private IP labctl creates carries: the run's, copied from the fenced VNIC, so a
// Resource Search for the run finds it too.
constexpr const char* k_run_tags[] = {k_tag_run_id, k_tag_owner, k_tag_ttl_expires_at,
                                      k_tag_provider, k_tag_purpose};

std::string vnic_rule() {
  return "a VNIC OCID (ocid1.vnic.<realm>.<region>.<unique>: lower-case letters, digits, '-' "
         "and '.', at most 255 bytes)";
}

std::string printable_id(const std::string& text) { return text::printable(text, 255); }

std::string ips_text(const std::vector<std::string>& ips) {
  return text::printable(join(ips, ","), 1024);
}

nlohmann::json vnic_facts(const VnicState& vnic) {
  return {{"vnic", vnic.id},
          {"skipSourceDestCheck", vnic.skip_source_dest_check},
          {"primaryIp", vnic.primary_ip},
          {"secondaryIps", vnic.secondary_addresses()}};
}

Expected<PrivateIpState> private_ip_of(const nlohmann::json& item, const std::string& where) {
  PrivateIpState ip;
  ip.id = fields::text_at(item, "id");
  ip.address = fields::text_at(item, "ipAddress");
  ip.vnic_id = fields::text_at(item, "vnicId");
  const auto& primary = fields::member(item, "isPrimary");
  if (!is_ocid_of(ip.id, "privateip") || ip.address.empty() ||
      (!primary.is_null() && !primary.is_boolean())) {
    return fail(ExitCode::provider,
                where +
                    "a private IP without a privateip OCID, an ipAddress and a boolean "
                    "isPrimary (id '" +
                    text::printable(ip.id, 128) + "'); nothing changed on a guess");
  }
  ip.primary = primary.is_boolean() && primary.get<bool>();
  return ip;
}

// A failed mutation. No answer (timeout, reset), a server error or an unreadable 2xx may hide
// an applied change: ambiguous. A throttle, an auth or client error, or a refusal is a clear
// failure.
Outcome mutation_failed(const OciError& error, const nlohmann::json& observed) {
  const bool maybe_performed = error.kind == OciErrorKind::timeout ||
                               error.kind == OciErrorKind::transport ||
                               error.kind == OciErrorKind::bad_answer ||
                               (error.kind == OciErrorKind::service && error.http_status >= 500);
  if (maybe_performed) return action_ambiguous(error.describe(), "VNIC", observed);
  return action_failed(error.to_error().code, error.describe() + " (not retried by the executor)",
                       observed);
}

std::optional<OciError> mutate(const OciClients& clients, OciRequest request) {
  auto sent = clients.writer.send(request);
  if (!sent) return sent.error();
  return std::nullopt;
}

// The seize's move: PUT /privateIps/<id> {vnicId: target} of the private IP `held` that
// previousHolder holds. nullopt when the address is now on the target.
std::optional<Outcome> move_from_holder(const OciClients& clients, const VnicState& target,
                                        const std::string& run_id, const std::string& address,
                                        const PrivateIpState& held, nlohmann::json& observed) {
  auto holder = describe_vnic(clients.reader, held.vnic_id);
  if (!holder) {
    return action_failed(
        ExitCode::refused,
        "hard stop: the seize's previous holder cannot be described: " + holder.error().message,
        observed);
  }
  if (auto stop = action_tag_fence(holder->id, holder->tags, run_id)) {
    stop->result.observed = observed;
    return stop;
  }
  observed["previousHolderPriorSecondaryIps"] = holder->secondary_addresses();
  if (held.primary || holder->primary_ip == address) {
    return action_failed(ExitCode::refused,
                         "hard stop: " + address + " is the primary address of " + holder->id +
                             "; a seize never takes a VNIC's primary address",
                         observed);
  }
  if (auto error = mutate(clients, {.method = "PUT",
                                    .path = "/privateIps/" + held.id,
                                    .body = nlohmann::json{{"vnicId", target.id}}})) {
    return mutation_failed(*error, observed);
  }
  return std::nullopt;
}

Outcome assign(const OciClients& clients, const ActionRequest& request, const VnicState& before,
               const std::string& run_id, const std::string& address) {
  nlohmann::json observed{{"priorSecondaryIps", before.secondary_addresses()}};
  const bool seize = request.parameters.value("allowReassignment", false);
  const std::string holder_id = fields::text_at(request.parameters, "previousHolder");
  if (seize && !is_ocid_of(holder_id, "vnic")) {
    return action_failed(ExitCode::refused,
                         "hard stop: a seize on oci needs parameters.previousHolder, " +
                             vnic_rule() + ": the VNIC the address is moved from");
  }
  if (seize && holder_id == before.id) {
    return action_failed(ExitCode::refused,
                         "hard stop: a seize's previousHolder is the target VNIC itself");
  }
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " has secondary IPs [" +
                               ips_text(before.secondary_addresses()) + "]; would " +
                               (seize ? "move " + address + " from " + holder_id +
                                            " to it (UpdatePrivateIp; a "
                                            "CreatePrivateIp if no VNIC "
                                            "holds it)"
                                      : "create the private IP " + address + " on it"),
                           vnic_facts(before));
  }
  if (before.holds(address)) {
    return action_failed(ExitCode::refused,
                         "hard stop: " + address + " is already assigned to " + before.id +
                             "; the lab is dirty — investigate before capturing",
                         observed);
  }
  std::optional<PrivateIpState> held;
  if (seize) {
    observed["previousHolder"] = holder_id;
    auto found = private_ip_at(clients.reader, before.subnet_id, address);
    if (!found) {
      return action_failed(
          ExitCode::refused,
          "hard stop: the holder of " + address + " cannot be described: " + found.error().message,
          observed);
    }
    held = *found;
    if (held && held->vnic_id != holder_id) {
      return action_failed(ExitCode::refused,
                           "hard stop: drift: " + address + " is held by " +
                               printable_id(held->vnic_id) + ", not by the previousHolder " +
                               holder_id + "; nothing moved",
                           observed);
    }
    if (held) {
      if (auto stop = move_from_holder(clients, before, run_id, address, *held, observed)) {
        return *stop;
      }
    }
  }
  if (!held) {
    nlohmann::json tags = nlohmann::json::object();
    for (const char* key : k_run_tags) {
      if (const auto tag = before.tags.find(key); tag != before.tags.end()) tags[key] = tag->second;
    }
    if (auto error = mutate(clients, {.method = "POST",
                                      .path = "/privateIps",
                                      .body = nlohmann::json{{"vnicId", before.id},
                                                             {"ipAddress", address},
                                                             {"freeformTags", std::move(tags)}},
                                      .retry_token = retry_token(
                                          run_id, "privateIp/" + request.idempotency_key)})) {
      return mutation_failed(*error, observed);
    }
  }
  auto after = describe_vnic(clients.reader, before.id);
  if (!after) {
    return action_ambiguous(
        "the call giving " + address + " to " + before.id + " succeeded but it cannot be described",
        "VNIC", observed);
  }
  observed["secondaryIps"] = after->secondary_addresses();
  if (!after->holds(address)) {
    return action_ambiguous(
        "the call giving " + address + " to " + before.id + " succeeded but it does not list it",
        "VNIC", observed);
  }
  if (seize) {
    // Evidence's seize assertion: the old holder no longer has the address (described again).
    auto old_holder = describe_vnic(clients.reader, holder_id);
    observed["previousHolderHasAddress"] = !old_holder || old_holder->holds(address);
    if (old_holder) observed["previousHolderSecondaryIps"] = old_holder->secondary_addresses();
  }
  return action_finished("succeeded",
                         std::string(held ? "moved " : "assigned ") + address + " to " + before.id,
                         observed, true);
}

Outcome unassign(const OciClients& clients, const ActionRequest& request, const VnicState& before,
                 const std::string& address) {
  nlohmann::json observed{{"priorSecondaryIps", before.secondary_addresses()}};
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " has secondary IPs [" +
                               ips_text(before.secondary_addresses()) +
                               "]; would delete the private IP " + address,
                           vnic_facts(before));
  }
  if (before.primary_ip == address) {
    return action_failed(
        ExitCode::refused,
        "hard stop: " + address + " is the primary address of " + before.id + "; never removed",
        observed);
  }
  const auto held = std::ranges::find(before.secondary_ips, address, &PrivateIpState::address);
  if (held == before.secondary_ips.end()) {
    return action_failed(ExitCode::refused,
                         "refused: drift: " + before.id + " no longer holds " + address +
                             " (someone else moved or removed it); nothing unassigned",
                         observed);
  }
  if (auto error = mutate(clients, {.method = "DELETE", .path = "/privateIps/" + held->id})) {
    return mutation_failed(*error, observed);
  }
  auto after = describe_vnic(clients.reader, before.id);
  if (!after || after->holds(address)) {
    return action_ambiguous(
        "the DELETE of " + address + " on " + before.id +
            (after ? " succeeded but it still lists it" : " cannot be verified"),
        "VNIC", observed);
  }
  observed["secondaryIps"] = after->secondary_addresses();
  return action_finished("succeeded", "unassigned " + address + " from " + before.id, observed);
}

// Sets skipSourceDestCheck to `value`, then verifies it by describing again.
Outcome set_forwarding(const OciClients& clients, const VnicState& before, bool value,
                       nlohmann::json observed, bool undo_available) {
  const std::string text = value ? "true" : "false";
  if (auto error = mutate(clients, {.method = "PUT",
                                    .path = "/vnics/" + before.id,
                                    .body = nlohmann::json{{"skipSourceDestCheck", value}}})) {
    return mutation_failed(*error, observed);
  }
  auto after = describe_vnic(clients.reader, before.id);
  if (!after || after->skip_source_dest_check != value) {
    return action_ambiguous(
        "the PUT succeeded but " + before.id + " does not show skipSourceDestCheck=" + text, "VNIC",
        observed);
  }
  observed["skipSourceDestCheck"] = value;
  return action_finished("succeeded", "set skipSourceDestCheck=" + text + " on " + before.id,
                         observed, undo_available);
}

// The contract's prior value is priorSourceDestCheck (aws's name: a source/destination check
// that is on means no forwarding): on OCI it is !skipSourceDestCheck before the action.
Outcome forwarding_on(const OciClients& clients, const ActionRequest& request,
                      const VnicState& before) {
  const bool prior = !before.skip_source_dest_check;
  nlohmann::json observed{{"priorSourceDestCheck", prior}};
  if (request.mode == k_mode_dry_run) {
    nlohmann::json facts = vnic_facts(before);
    facts["priorSourceDestCheck"] = prior;
    return action_finished("succeeded",
                           "dry-run: " + before.id + " skipSourceDestCheck=" +
                               (before.skip_source_dest_check ? "true" : "false") +
                               "; would set skipSourceDestCheck=true",
                           facts);
  }
  if (before.skip_source_dest_check) {
    observed["skipSourceDestCheck"] = true;
    return action_finished("succeeded",
                           before.id + " already had skipSourceDestCheck=true; nothing changed",
                           observed, true);
  }
  return set_forwarding(clients, before, true, observed, true);
}

Outcome forwarding_off(const OciClients& clients, const ActionRequest& request,
                       const VnicState& before) {
  const auto prior = request.parameters.find("priorSourceDestCheck");
  if (prior == request.parameters.end() || !prior->is_boolean()) {
    return action_failed(
        ExitCode::refused,
        "hard stop: undo not describable: " + std::string(k_forwarding_off) +
            " needs parameters.priorSourceDestCheck (true|false) recorded by the "
            "ensure-forwarding-enabled it undoes; never disabling forwarding blindly");
  }
  nlohmann::json observed{{"priorSourceDestCheck", prior->get<bool>()},
                          {"skipSourceDestCheckBeforeUndo", before.skip_source_dest_check}};
  if (!prior->get<bool>()) {
    return action_finished("skipped",
                           "skipSourceDestCheck was already true on " + before.id +
                               " before ensure-forwarding-enabled ran; left as is (restore-prior)",
                           observed);
  }
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " skipSourceDestCheck=" +
                               (before.skip_source_dest_check ? "true" : "false") +
                               "; would restore skipSourceDestCheck=false (the recorded prior "
                               "value)",
                           observed);
  }
  if (!before.skip_source_dest_check) {
    return action_failed(ExitCode::refused,
                         "refused: drift: " + before.id +
                             " already shows skipSourceDestCheck=false, not the true "
                             "ensure-forwarding-enabled set; someone else changed it — not "
                             "overwriting",
                         observed);
  }
  return set_forwarding(clients, before, false, observed, false);
}

}  // namespace

bool VnicState::holds(const std::string& address) const {
  return primary_ip == address ||
         std::ranges::find(secondary_ips, address, &PrivateIpState::address) != secondary_ips.end();
}

std::vector<std::string> VnicState::secondary_addresses() const {
  std::vector<std::string> out;
  for (const auto& ip : secondary_ips) out.push_back(text::printable(ip.address, 64));
  return out;
}

Expected<VnicState> describe_vnic(const OciClient& client, const std::string& vnic_id) {
  if (!is_ocid_of(vnic_id, "vnic")) {
    return fail(ExitCode::usage,
                "oci: '" + text::printable(vnic_id, 255) + "' is not " + vnic_rule());
  }
  const OciRequest get{.path = "/vnics/" + vnic_id};
  auto response = client.send(get);
  if (!response) return std::unexpected(response.error().to_error());
  const auto where = "oci " + operation_name(get) + ": ";
  const auto bad = [&](const std::string& why) {
    return fail(ExitCode::provider,
                where + "the answer is not a VNIC (" + why + "); nothing changed on a guess");
  };
  const auto& body = response->body;
  VnicState vnic;
  if (fields::text_at(body, "id") != vnic_id) {
    return bad("its id is '" + text::printable(fields::text_at(body, "id"), 200) +
               "', not the one asked for");
  }
  vnic.id = vnic_id;
  const auto& skip = fields::member(body, "skipSourceDestCheck");
  if (!skip.is_null() && !skip.is_boolean()) return bad("skipSourceDestCheck is not a boolean");
  vnic.skip_source_dest_check = skip.is_boolean() && skip.get<bool>();
  vnic.primary_ip = fields::text_at(body, "privateIp");
  vnic.subnet_id = fields::text_at(body, "subnetId");
  vnic.compartment_id = fields::text_at(body, "compartmentId");
  if (single_address(vnic.primary_ip) != vnic.primary_ip) {
    return bad("no IPv4 privateIp");
  }
  if (!is_ocid_of(vnic.subnet_id, "subnet")) return bad("subnetId is not a subnet OCID");
  vnic.tags = freeform_tags(body);

  const OciRequest list{.path = "/privateIps", .query = {{"vnicId", vnic_id}}};
  auto ips = client.list(list);
  if (!ips) return std::unexpected(ips.error().to_error());
  const auto list_where = "oci " + operation_name(list) + ": ";
  for (const auto& item : *ips) {
    auto ip = private_ip_of(item, list_where);
    if (!ip) return std::unexpected(ip.error());
    if (ip->vnic_id != vnic_id) {
      return fail(ExitCode::provider, list_where + "the answer lists a private IP of '" +
                                          text::printable(ip->vnic_id, 200) +
                                          "', not of the VNIC asked for; nothing changed on a "
                                          "guess");
    }
    if (!ip->primary) vnic.secondary_ips.push_back(std::move(*ip));
  }
  return vnic;
}

Expected<std::optional<PrivateIpState>> private_ip_at(const OciClient& client,
                                                      const std::string& subnet_id,
                                                      const std::string& address) {
  if (!is_ocid_of(subnet_id, "subnet")) {
    return fail(ExitCode::provider,
                "oci: '" + text::printable(subnet_id, 255) + "' is not a subnet OCID");
  }
  const OciRequest list{.path = "/privateIps",
                        .query = {{"subnetId", subnet_id}, {"ipAddress", address}}};
  auto items = client.list(list);
  if (!items) return std::unexpected(items.error().to_error());
  const auto where = "oci " + operation_name(list) + ": ";
  std::optional<PrivateIpState> found;
  for (const auto& item : *items) {
    if (fields::text_at(item, "ipAddress") != address ||
        fields::text_at(item, "subnetId") != subnet_id) {
      continue;
    }
    auto ip = private_ip_of(item, where);
    if (!ip) return std::unexpected(ip.error());
    if (found) {
      return fail(ExitCode::provider,
                  where + "two private IPs hold " + address + "; nothing changed on a guess");
    }
    if (!is_ocid_of(ip->vnic_id, "vnic")) {
      return fail(ExitCode::provider, where + "the private IP holding " + address +
                                          " names the VNIC '" + text::printable(ip->vnic_id, 200) +
                                          "', which is not a VNIC OCID");
    }
    found = std::move(*ip);
  }
  return found;
}

Outcome perform_oci(const OciClients& clients, const ActionRequest& request,
                    const std::string& run_id) {
  return perform_nic_action(
      "oci", request, run_id, is_ocid_of(request.target.nic_ref, "vnic"), vnic_rule(),
      clients.reader, describe_vnic,
      [&](const auto& before, const std::string& address) {
        if (request.action == k_assign) return assign(clients, request, before, run_id, address);
        if (request.action == k_unassign) return unassign(clients, request, before, address);
        if (request.action == k_forwarding_on) return forwarding_on(clients, request, before);
        return forwarding_off(clients, request, before);
      });
}

ActionRunner make_oci_runner(std::shared_ptr<OciClientFactory> factory, bool live) {
  return nic_action_runner<OciClients>("oci", std::move(factory), live, &perform_oci);
}

}  // namespace labctl::providers::oci
