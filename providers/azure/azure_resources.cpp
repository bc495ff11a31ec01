#include "providers/azure/azure_resources.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "core/run_id.hpp"
#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/retry.hpp"

namespace labctl::providers::azure {
namespace {

constexpr std::array<ArmKind, 6> k_kinds{{
    {"resourceGroup", "", "", k_api_resources, 9},
    {"virtualMachine", "Microsoft.Compute", "virtualMachines", k_api_compute, 0},
    {"networkInterface", "Microsoft.Network", "networkInterfaces", k_api_network, 1},
    {"publicIPAddress", "Microsoft.Network", "publicIPAddresses", k_api_network, 2},
    {"networkSecurityGroup", "Microsoft.Network", "networkSecurityGroups", k_api_network, 3},
    {"virtualNetwork", "Microsoft.Network", "virtualNetworks", k_api_network, 3},
}};

constexpr std::size_t k_max_id_bytes = 1024;
constexpr int k_max_graph_pages = 1000;

bool is_id_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The '/'-separated segments of a well-formed id; empty when it is not one.
std::vector<std::string_view> segments(std::string_view id) {
  if (id.size() > k_max_id_bytes || !id.starts_with('/')) return {};
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start <= id.size()) {
    const auto end = std::min(id.find('/', start), id.size());
    const auto segment = id.substr(start, end - start);
    const bool safe = std::all_of(segment.begin(), segment.end(), [](char c) {
      return is_id_alnum(c) || c == '.' || c == '_' || c == '-' || c == '(' || c == ')';
    });
    if (segment.empty() || segment == "." || segment == ".." || !safe) return {};
    out.push_back(segment);
    start = end + 1;
  }
  if (out.size() < 4 || !ascii::iequals(out[0], "subscriptions") || !is_guid(out[1]) ||
      !ascii::iequals(out[2], "resourceGroups")) {
    return {};
  }
  return out;
}

ArmError bad_answer(std::string operation, int http_status, std::string message) {
  ArmError error;
  error.kind = ArmErrorKind::bad_answer;
  error.http_status = http_status;
  error.operation = std::move(operation);
  error.message = std::move(message);
  return error;
}

}  // namespace

const ArmKind* kind_of_id(std::string_view id) {
  const auto parts = segments(id);
  if (parts.size() == 4) return &k_kinds[0];
  if (parts.size() != 8 || !ascii::iequals(parts[4], "providers")) return nullptr;
  for (const auto& kind : k_kinds) {
    if (ascii::iequals(parts[5], kind.provider) && ascii::iequals(parts[6], kind.type))
      return &kind;
  }
  return nullptr;
}

std::string group_of(std::string_view id) {
  const auto parts = segments(id);
  if (parts.empty()) return "";
  return std::string(
      id.substr(0, static_cast<std::size_t>(parts[3].data() - id.data()) + parts[3].size()));
}

bool same_id(std::string_view a, std::string_view b) { return ascii::iequals(a, b); }

std::string tag_value(const nlohmann::json& resource, std::string_view key) {
  return fields::text_at(arm_view::member(resource, "tags"), std::string(key).c_str());
}

Expected<std::string> kusto_run_id(std::string_view run_id) {
  // is_valid_run_id admits [0-9A-Za-z._-] only: no quote, backslash or newline can reach the
  // query. Checked again here so that a looser run-id rule cannot open an injection.
  const bool plain = std::all_of(run_id.begin(), run_id.end(), [](char c) {
    return is_id_alnum(c) || c == '.' || c == '_' || c == '-';
  });
  if (!is_valid_run_id(run_id) || !plain) {
    return fail(ExitCode::usage, "azure: \"" + text::printable(run_id, 64) +
                                     "\" is not a labctl run id; refusing to put it into a "
                                     "Resource Graph query");
  }
  return "'" + std::string(run_id) + "'";
}

ArmResult<std::vector<nlohmann::json>> graph_query(const ArmClient& client,
                                                   const std::string& subscription,
                                                   const std::string& query) {
  std::vector<nlohmann::json> rows;
  std::set<std::string> tokens;
  nlohmann::json body = {{"subscriptions", {subscription}}, {"query", query}};
  const auto bad = [](std::string message) {
    return std::unexpected(bad_answer("POST resourceGraph/resources", 200, std::move(message)));
  };
  for (int page = 0; page < k_max_graph_pages; ++page) {
    const ArmRequest request{.method = "POST",
                             .path = "/providers/Microsoft.ResourceGraph/resources",
                             .api_version = k_api_resource_graph,
                             .query = {},
                             .body = body,
                             .read_only_post = true};
    auto answer = client.send(request);
    if (!answer) return std::unexpected(answer.error());
    const auto& json = answer->body;
    if (!json.is_object() || !json.contains("data") || !json["data"].is_array()) {
      return bad("the answer has no \"data\" array (resultFormat objectArray)");
    }
    for (const auto& row : json["data"]) {
      if (!row.is_object()) return bad("a row of \"data\" is not an object");
      rows.push_back(row);
    }
    const auto token = json.find("$skipToken");
    if (token == json.end() || token->is_null()) return rows;
    if (!token->is_string() || token->get<std::string>().empty()) {
      return bad("\"$skipToken\" is not a string");
    }
    if (!tokens.insert(token->get<std::string>()).second) {
      return bad("the same \"$skipToken\" came back twice");
    }
    body["options"] = {{"$skipToken", *token}};
  }
  return bad("more than 1000 pages");
}

ArmResult<std::optional<nlohmann::json>> get_by_id(const ArmClient& client, const std::string& id,
                                                   const ArmKind& kind) {
  auto answer = client.send(
      {.method = "GET", .path = id, .api_version = kind.api_version, .query = {}, .body = {}});
  if (!answer) {
    if (answer.error().kind == ArmErrorKind::not_found) return std::nullopt;
    return std::unexpected(answer.error());
  }
  if (!answer->body.is_object()) {
    return std::unexpected(bad_answer("GET " + text::printable(id, 256),
                                      static_cast<int>(answer->status),
                                      "the answer is not a JSON object"));
  }
  return std::optional<nlohmann::json>(std::move(answer->body));
}

ArmResult<void> delete_by_id(const ArmClient& client, const std::string& id, const ArmKind& kind) {
  // The shared backoff without jitter (its ceiling): a 409 is about the resource's own state
  // (a NIC still attached, an operation in progress), not about many callers at once.
  const RetryPolicy policy;
  for (int retry = 1;; ++retry) {
    auto sent = client.send_and_wait(
        {.method = "DELETE", .path = id, .api_version = kind.api_version, .query = {}, .body = {}});
    if (sent || sent.error().kind == ArmErrorKind::not_found) return {};
    if (sent.error().kind != ArmErrorKind::conflict || retry > client.limits().conflict_retries) {
      return std::unexpected(sent.error());
    }
    if (!client.clock().sleep_for(backoff_ceiling(policy, retry))) {
      return std::unexpected(sent.error());
    }
  }
}

ArmResult<bool> confirm_gone(const ArmClient& client, const std::string& id, const ArmKind& kind) {
  auto until = client.clock().steady_now() + k_confirm_bound;
  if (const auto phase = client.deadline(); phase && *phase < until) until = *phase;
  auto interval = std::chrono::milliseconds(200);
  while (true) {
    auto live = get_by_id(client, id, kind);
    if (live && !*live) return true;
    if (client.clock().steady_now() + interval > until || !client.clock().sleep_for(interval)) {
      if (!live) return std::unexpected(live.error());
      return false;
    }
    interval = std::min(interval * 3 / 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace labctl::providers::azure
