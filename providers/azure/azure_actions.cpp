#include "providers/azure/azure_actions.hpp"

#include <algorithm>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/run_id.hpp"
#include "core/suggest.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/credentials.hpp"
#include "providers/nic_action.hpp"

namespace labctl::providers::azure {
namespace {

// An ARM id is at most a few hundred bytes; the contract bounds what it carries further.
constexpr std::size_t k_max_arm_id = 512;

// The properties the 2022-07-01 models mark read-only (_validation readonly): ARM sets them, a
// client's PUT does not send them.
constexpr const char* k_readonly_nic[] = {"name", "type", "etag"};
constexpr const char* k_readonly_nic_properties[] = {
    "virtualMachine", "privateEndpoint",         "tapConfigurations", "macAddress",
    "primary",        "vnetEncryptionSupported", "hostedWorkloads",   "dscpConfiguration",
    "resourceGuid",   "provisioningState"};
constexpr const char* k_readonly_ip_configuration_properties[] = {
    "provisioningState", "privateLinkConnectionProperties"};

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '(' || c == ')';
}

// True when `id` is "/subscriptions/<guid>/resourceGroups/<name>/" followed by `shape`: "*" a
// name of ARM's characters (never "." or ".."), any other entry that fixed segment in any case
// (as ARM treats them). Nothing else: no other path, no query, no extra segment.
bool arm_id_of_shape(std::string_view id, std::initializer_list<std::string_view> shape) {
  if (id.size() > k_max_arm_id || id.empty() || id.front() != '/' || !subscription_in_id(id)) {
    return false;
  }
  std::vector<std::string_view> parts;
  for (std::size_t start = 1; start <= id.size();) {
    const auto end = std::min(id.find('/', start), id.size());
    parts.push_back(id.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() != 4 + shape.size()) return false;
  const auto named = [](std::string_view part) {
    return !part.empty() && std::ranges::all_of(part, name_char) && part != "." && part != "..";
  };
  if (!ascii::iequals(parts[2], "resourceGroups") || !named(parts[3])) return false;
  std::size_t at = 4;
  for (const auto segment : shape) {
    const auto part = parts[at++];
    if (segment == "*" ? !named(part) : !ascii::iequals(part, segment)) return false;
  }
  return true;
}

std::string nic_id_rule() {
  return "an ARM network interface id (/subscriptions/<subscription>/resourceGroups/<group>/"
         "providers/Microsoft.Network/networkInterfaces/<name>)";
}

// The ipConfiguration labctl adds for `address`: "labctl-10-0-1-50".
std::string ip_configuration_name(const std::string& address) {
  std::string name = "labctl-" + address;
  std::ranges::replace(name, '.', '-');
  return name;
}

std::string ips_text(const std::vector<std::string>& ips) {
  return text::printable(join(ips, ","), 1024);
}

nlohmann::json nic_facts(const NicState& nic) {
  return {{"nic", nic.id},
          {"enableIPForwarding", nic.ip_forwarding},
          {"primaryIp", nic.primary_ip},
          {"secondaryIps", nic.secondary_ips}};
}

// A failed PUT. No answer (timeout, reset), a server error or an unreadable 2xx may hide an
// applied change: ambiguous. A throttle, an auth or client error, or an operation that ARM
// itself reported Failed/Canceled (service, with the poll's 2xx status) is a clear failure.
Outcome put_failed(const ArmError& error, const nlohmann::json& observed) {
  const bool maybe_performed = error.kind == ArmErrorKind::timeout ||
                               error.kind == ArmErrorKind::transport ||
                               error.kind == ArmErrorKind::bad_answer ||
                               (error.kind == ArmErrorKind::service && error.http_status >= 500);
  if (maybe_performed) return action_ambiguous(error.describe(), "NIC", observed);
  return action_failed(error.to_error().code, error.describe() + " (not retried by the executor)",
                       observed);
}

// PUTs `body` to the NIC and waits for the operation; nullopt when it finished Succeeded.
std::optional<ArmError> put_nic(const ArmClients& clients, const NicState& nic,
                                nlohmann::json body) {
  ArmRequest put{"PUT", nic.id, k_api_network, {}, std::move(body)};
  auto sent = clients.writer.send_and_wait(put);
  if (!sent) return sent.error();
  return std::nullopt;
}

// The NIC's body with the ipConfiguration holding `address` left out.
nlohmann::json without_address(const NicState& nic, const std::string& address) {
  nlohmann::json body = nic_put_body(nic.resource);
  auto& configurations = body["properties"]["ipConfigurations"];
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& configuration : configurations) {
    if (fields::text_at(arm_view::member(configuration, "properties"), "privateIPAddress") !=
        address) {
      kept.push_back(configuration);
    }
  }
  configurations = std::move(kept);
  return body;
}

// The seize's first step: takes `address` off `holder_id`. nullopt when the address is off it
// (or was never on it: then observed says so and nothing was sent).
std::optional<Outcome> release_from_holder(const ArmClients& clients, const ActionRequest& request,
                                           const std::string& run_id, const std::string& address,
                                           const std::string& holder_id, nlohmann::json& observed) {
  observed["previousHolder"] = holder_id;
  auto holder = describe_nic(clients.reader, holder_id);
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
  observed["previousHolderPriorSecondaryIps"] = holder->secondary_ips;
  if (ascii::iequals(holder->id, request.target.nic_ref)) {
    return action_failed(ExitCode::refused,
                         "hard stop: a seize's previousHolder is the target NIC itself", observed);
  }
  if (holder->primary_ip == address) {
    return action_failed(ExitCode::refused,
                         "hard stop: " + address + " is the primary address of " + holder->id +
                             "; a seize never takes a NIC's primary address",
                         observed);
  }
  if (!holder->holds(address)) return std::nullopt;
  if (auto error = put_nic(clients, *holder, without_address(*holder, address))) {
    return put_failed(*error, observed);
  }
  auto after = describe_nic(clients.reader, holder->id);
  if (!after || after->holds(address)) {
    return action_ambiguous(
        "the seize's removal of " + address + " from " + holder->id +
            (after ? " succeeded but it still lists it" : " cannot be verified"),
        "NIC", observed);
  }
  observed["previousHolderSecondaryIps"] = after->secondary_ips;
  return std::nullopt;
}

Outcome assign(const ArmClients& clients, const ActionRequest& request, const NicState& before,
               const std::string& run_id, const std::string& address) {
  nlohmann::json observed{{"priorSecondaryIps", before.secondary_ips}};
  const bool seize = request.parameters.value("allowReassignment", false);
  const auto holder_param = request.parameters.find("previousHolder");
  const std::string holder = holder_param != request.parameters.end() && holder_param->is_string()
                                 ? holder_param->get<std::string>()
                                 : "";
  if (seize && !is_nic_id(holder)) {
    return action_failed(
        ExitCode::refused,
        "hard stop: a seize on azure needs parameters.previousHolder, " + nic_id_rule() +
            ": Azure has no AllowReassignment, so the address is first removed from "
            "the NIC holding it");
  }
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " has secondary IPs [" +
                               ips_text(before.secondary_ips) + "]; would add ipConfiguration " +
                               ip_configuration_name(address) + " with " + address +
                               (seize ? " after removing it from " + holder + " (seize)" : ""),
                           nic_facts(before));
  }
  if (before.holds(address)) {
    return action_failed(ExitCode::refused,
                         "hard stop: " + address + " is already assigned to " + before.id +
                             "; the lab is dirty — investigate before capturing",
                         observed);
  }
  if (seize) {
    if (auto stop = release_from_holder(clients, request, run_id, address, holder, observed)) {
      return *stop;
    }
  }
  nlohmann::json body = nic_put_body(before.resource);
  body["properties"]["ipConfigurations"].push_back({{"name", ip_configuration_name(address)},
                                                    {"properties",
                                                     {{"privateIPAddress", address},
                                                      {"privateIPAllocationMethod", "Static"},
                                                      {"subnet", {{"id", before.subnet_id}}},
                                                      {"primary", false}}}});
  if (auto error = put_nic(clients, before, std::move(body))) {
    if (seize) {
      // The address is off its holder and on no NIC: the service address is down.
      return action_failed(ExitCode::refused,
                           "hard stop: seize half done: " + address + " was removed from " +
                               holder + " but adding it to " + before.id +
                               " failed: " + error->describe(),
                           observed);
    }
    return put_failed(*error, observed);
  }
  auto after = describe_nic(clients.reader, before.id);
  if (!after) {
    return action_ambiguous(
        "the PUT adding " + address + " succeeded but " + before.id + " cannot be described", "NIC",
        observed);
  }
  observed["secondaryIps"] = after->secondary_ips;
  if (!after->holds(address)) {
    return action_ambiguous(
        "the PUT adding " + address + " succeeded but " + before.id + " does not list it", "NIC",
        observed);
  }
  if (seize) {
    // Evidence's seize assertion: the old holder no longer has the address (described again).
    auto old_holder = describe_nic(clients.reader, holder);
    observed["previousHolderHasAddress"] = !old_holder || old_holder->holds(address);
  }
  return action_finished("succeeded", "assigned " + address + " to " + before.id, observed, true);
}

Outcome unassign(const ArmClients& clients, const ActionRequest& request, const NicState& before,
                 const std::string& address) {
  nlohmann::json observed{{"priorSecondaryIps", before.secondary_ips}};
  if (request.mode == k_mode_dry_run) {
    return action_finished("succeeded",
                           "dry-run: " + before.id + " has secondary IPs [" +
                               ips_text(before.secondary_ips) +
                               "]; would remove the ipConfiguration "
                               "holding " +
                               address,
                           nic_facts(before));
  }
  if (before.primary_ip == address) {
    return action_failed(
        ExitCode::refused,
        "hard stop: " + address + " is the primary address of " + before.id + "; never removed",
        observed);
  }
  if (!before.holds(address)) {
    return action_failed(ExitCode::refused,
                         "refused: drift: " + before.id + " no longer holds " + address +
                             " (someone else moved or removed it); nothing unassigned",
                         observed);
  }
  if (auto error = put_nic(clients, before, without_address(before, address))) {
    return put_failed(*error, observed);
  }
  auto after = describe_nic(clients.reader, before.id);
  if (!after || after->holds(address)) {
    return action_ambiguous(
        "the PUT removing " + address + " from " + before.id +
            (after ? " succeeded but it still lists it" : " cannot be verified"),
        "NIC", observed);
  }
  observed["secondaryIps"] = after->secondary_ips;
  return action_finished("succeeded", "unassigned " + address + " from " + before.id, observed);
}

// Sets enableIPForwarding to `value`, then verifies it by describing again.
Outcome set_forwarding(const ArmClients& clients, const NicState& before, bool value,
                       nlohmann::json observed, bool undo_available) {
  const std::string text = value ? "true" : "false";
  nlohmann::json body = nic_put_body(before.resource);
  body["properties"]["enableIPForwarding"] = value;
  if (auto error = put_nic(clients, before, std::move(body))) return put_failed(*error, observed);
  auto after = describe_nic(clients.reader, before.id);
  if (!after || after->ip_forwarding != value) {
    return action_ambiguous(
        "the PUT succeeded but " + before.id + " does not show enableIPForwarding=" + text, "NIC",
        observed);
  }
  observed["enableIPForwarding"] = value;
  return action_finished("succeeded", "set enableIPForwarding=" + text + " on " + before.id,
                         observed, undo_available);
}

// The contract's prior value is priorSourceDestCheck (aws's name: a source/destination check
// that is on means no forwarding): on Azure it is !enableIPForwarding before the action.
Outcome forwarding_on(const ArmClients& clients, const ActionRequest& request,
                      const NicState& before) {
  nlohmann::json observed{{"priorSourceDestCheck", !before.ip_forwarding}};
  if (request.mode == k_mode_dry_run) {
    nlohmann::json facts = nic_facts(before);
    facts["priorSourceDestCheck"] = !before.ip_forwarding;
    return action_finished("succeeded",
                           "dry-run: " + before.id +
                               " enableIPForwarding=" + (before.ip_forwarding ? "true" : "false") +
                               "; would set enableIPForwarding=true",
                           facts);
  }
  if (before.ip_forwarding) {
    observed["enableIPForwarding"] = true;
    return action_finished("succeeded",
                           before.id + " already had enableIPForwarding=true; nothing changed",
                           observed, true);
  }
  return set_forwarding(clients, before, true, observed, true);
}

Outcome forwarding_off(const ArmClients& clients, const ActionRequest& request,
                       const NicState& before) {
  const auto prior = request.parameters.find("priorSourceDestCheck");
  if (prior == request.parameters.end() || !prior->is_boolean()) {
    return action_failed(
        ExitCode::refused,
        "hard stop: undo not describable: " + std::string(k_forwarding_off) +
            " needs parameters.priorSourceDestCheck (true|false) recorded by the "
            "ensure-forwarding-enabled it undoes; never disabling forwarding blindly");
  }
  nlohmann::json observed{{"priorSourceDestCheck", prior->get<bool>()},
                          {"enableIPForwardingBeforeUndo", before.ip_forwarding}};
  if (!prior->get<bool>()) {
    return action_finished("skipped",
                           "enableIPForwarding was already true on " + before.id +
                               " before ensure-forwarding-enabled ran; left as is (restore-prior)",
                           observed);
  }
  if (request.mode == k_mode_dry_run) {
    return action_finished(
        "succeeded",
        "dry-run: " + before.id +
            " enableIPForwarding=" + (before.ip_forwarding ? "true" : "false") +
            "; would restore enableIPForwarding=false (the recorded prior value)",
        observed);
  }
  if (!before.ip_forwarding) {
    return action_failed(
        ExitCode::refused,
        "refused: drift: " + before.id +
            " already shows enableIPForwarding=false, not the true ensure-forwarding-"
            "enabled set; someone else changed it — not overwriting",
        observed);
  }
  return set_forwarding(clients, before, false, observed, false);
}

}  // namespace

bool is_nic_id(std::string_view id) {
  return arm_id_of_shape(id, {"providers", "Microsoft.Network", "networkInterfaces", "*"});
}

bool is_subnet_id(std::string_view id) {
  return arm_id_of_shape(
      id, {"providers", "Microsoft.Network", "virtualNetworks", "*", "subnets", "*"});
}

bool NicState::holds(const std::string& address) const {
  return primary_ip == address ||
         std::find(secondary_ips.begin(), secondary_ips.end(), address) != secondary_ips.end();
}

Expected<NicState> describe_nic(const ArmClient& client, const std::string& nic_id) {
  auto response = client.send({"GET", nic_id, k_api_network, {}, std::nullopt});
  if (!response) return std::unexpected(response.error().to_error());
  const auto where = "azure GET " + operation_name("GET", nic_id) + ": ";
  const auto bad = [&](const std::string& why) {
    return fail(ExitCode::provider, where + "the answer is not a network interface (" + why +
                                        "); nothing changed on a guess");
  };
  const auto& body = response->body;
  NicState nic;
  nic.id = fields::text_at(body, "id");
  if (!ascii::iequals(nic.id, nic_id)) {
    return bad("its id is '" + text::printable(nic.id, 200) + "', not the one asked for");
  }
  nic.id = nic_id;
  const auto& properties = arm_view::member(body, "properties");
  const auto& forwarding = arm_view::member(properties, "enableIPForwarding");
  if (!forwarding.is_null() && !forwarding.is_boolean()) {
    return bad("properties.enableIPForwarding is not a boolean");
  }
  nic.ip_forwarding = forwarding.is_boolean() && forwarding.get<bool>();
  const auto& configurations = arm_view::member(properties, "ipConfigurations");
  if (!configurations.is_array() || configurations.empty()) {
    return bad("no properties.ipConfigurations array");
  }
  for (const auto& configuration : configurations) {
    const auto& inner = arm_view::member(configuration, "properties");
    const auto& address = arm_view::member(inner, "privateIPAddress");
    const auto& primary = arm_view::member(inner, "primary");
    if (!address.is_string() || (!primary.is_null() && !primary.is_boolean())) {
      return bad("an ipConfiguration without a string privateIPAddress");
    }
    const bool is_primary =
        configurations.size() == 1 || (primary.is_boolean() && primary.get<bool>());
    if (is_primary && nic.primary_ip.empty()) {
      nic.primary_ip = address.get<std::string>();
      nic.subnet_id = fields::text_at(arm_view::member(inner, "subnet"), "id");
    } else {
      nic.secondary_ips.push_back(address.get<std::string>());
    }
  }
  if (nic.primary_ip.empty() || nic.subnet_id.empty()) {
    return bad("no primary ipConfiguration with an address and a subnet id");
  }
  nic.tags = arm_view::tags(body);
  nic.resource = body;
  return nic;
}

nlohmann::json nic_put_body(const nlohmann::json& resource) {
  nlohmann::json body = resource;
  for (const char* key : k_readonly_nic) body.erase(key);
  auto& properties = body["properties"];
  for (const char* key : k_readonly_nic_properties) properties.erase(key);
  auto& configurations = properties["ipConfigurations"];
  for (auto& configuration : configurations) {
    configuration.erase("etag");
    auto& inner = configuration["properties"];
    for (const char* key : k_readonly_ip_configuration_properties) inner.erase(key);
  }
  return body;
}

Outcome perform_azure(const ArmClients& clients, const ActionRequest& request,
                      const std::string& run_id) {
  return perform_nic_action(
      "azure", request, run_id, is_nic_id(request.target.nic_ref), nic_id_rule(), clients.reader,
      describe_nic,
      [&](const auto& before, const std::string& address) {
        if (request.action == k_assign) return assign(clients, request, before, run_id, address);
        if (request.action == k_unassign) return unassign(clients, request, before, address);
        if (request.action == k_forwarding_on) return forwarding_on(clients, request, before);
        return forwarding_off(clients, request, before);
      });
}

ActionRunner make_azure_runner(std::shared_ptr<ArmClientFactory> factory, bool live) {
  return nic_action_runner<ArmClients>("azure", std::move(factory), live, &perform_azure);
}

}  // namespace labctl::providers::azure
