#include "providers/oci/oci_resources.hpp"

#include <algorithm>
#include <array>

#include "core/json_fields.hpp"
#include "core/run_id.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"

namespace labctl::providers::oci {
namespace {

// In create order; delete_order puts instances first and the VCN last (a route table before the
// internet gateway its rule targets, subnets before the route table and security list they use).
const std::vector<OciKind> k_kinds{
    {"vcn", "/vcns", "vcn", "Vcn", 5},
    {"internetGateway", "/internetGateways", "internetgateway", "InternetGateway", 4},
    {"routeTable", "/routeTables", "routetable", "RouteTable", 2},
    {"securityList", "/securityLists", "securitylist", "SecurityList", 3},
    {"subnet", "/subnets", "subnet", "Subnet", 1},
    {"instance", "/instances", "instance", "Instance", 0},
};

constexpr std::size_t k_max_ocid_bytes = 255;

bool is_ocid_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// The <type> of a well-formed OCID "ocid1.<type>.<realm>.[region][.future].<unique>"; "" when
// `ocid` is not one. Only the region (and the future part) may be empty.
std::string_view type_of_ocid(std::string_view ocid) {
  if (ocid.empty() || ocid.size() > k_max_ocid_bytes || !std::ranges::all_of(ocid, is_ocid_char))
    return {};
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = ocid.find('.', start);
    parts.push_back(ocid.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  constexpr std::size_t k_without_future = 5;
  constexpr std::size_t k_with_future = 6;
  if (parts.size() != k_without_future && parts.size() != k_with_future) return {};
  if (parts[0] != "ocid1" || parts[1].empty() || parts[2].empty() || parts.back().empty())
    return {};
  return parts[1];
}

OciError bad_resource_answer(std::string operation, long http_status, std::string message) {
  OciError error;
  error.kind = OciErrorKind::bad_answer;
  error.http_status = static_cast<int>(http_status);
  error.operation = std::move(operation);
  error.message = std::move(message);
  return error;
}

bool reads_as_gone(const OciKind& kind, std::string_view state) {
  if (state == "TERMINATED") return true;
  return std::string_view(kind.kind) == "instance" && state == "TERMINATING";
}

}  // namespace

const std::vector<OciKind>& kinds() { return k_kinds; }

const OciKind* kind_named(std::string_view kind) {
  const auto found = std::ranges::find(k_kinds, kind, &OciKind::kind);
  return found == k_kinds.end() ? nullptr : &*found;
}

const OciKind* kind_of_search_type(std::string_view search_type) {
  const auto found = std::ranges::find(k_kinds, search_type, &OciKind::search_type);
  return found == k_kinds.end() ? nullptr : &*found;
}

const OciKind* kind_of_ocid(std::string_view ocid) {
  const auto type = type_of_ocid(ocid);
  if (type.empty()) return nullptr;
  const auto found = std::ranges::find(k_kinds, type, &OciKind::ocid_type);
  return found == k_kinds.end() ? nullptr : &*found;
}

bool is_ocid_of(std::string_view ocid, std::string_view type) {
  return !type.empty() && type_of_ocid(ocid) == type;
}

std::map<std::string, std::string> freeform_tags(const nlohmann::json& resource) {
  std::map<std::string, std::string> out;
  const auto& tags = fields::member(resource, "freeformTags");
  if (!tags.is_object()) return out;
  for (const auto& [key, value] : tags.items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

Expected<std::string> tagged_query(std::string_view run_id) {
  // is_valid_run_id admits [0-9A-Za-z._-] after the timestamp: no quote, backslash or newline
  // can reach the literal. Checked again here so that a looser run-id rule cannot open an
  // injection into the query.
  const bool plain = std::ranges::all_of(run_id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (!run_id.empty() && (!is_valid_run_id(run_id) || !plain)) {
    return fail(ExitCode::usage, "oci: \"" + text::printable(run_id, 64) +
                                     "\" is not a labctl run id; refusing to put it into a "
                                     "Resource Search query");
  }
  std::string tag = "freeformTags.key = '" + std::string(k_tag_run_id) + "'";
  if (!run_id.empty()) tag += " && freeformTags.value = '" + std::string(run_id) + "'";
  return "query all resources where (" + tag + ") && lifecycleState != 'TERMINATED'";
}

OciResult<std::vector<nlohmann::json>> search(const OciClient& client, const std::string& query) {
  const OciRequest request{
      .service = OciService::search,
      .method = "POST",
      .path = "/resources",
      .body =
          nlohmann::json{{"type", "Structured"}, {"query", query}, {"matchingContextType", "NONE"}},
      .read_only_post = true};
  auto items = client.list(request);
  if (!items) return std::unexpected(std::move(items.error()));
  for (const auto& item : *items) {
    if (!fields::string_at(item, "identifier") || !fields::string_at(item, "resourceType")) {
      return std::unexpected(bad_resource_answer(operation_name(request), 200,
                                                 "a search item has no string \"identifier\" and "
                                                 "\"resourceType\""));
    }
  }
  return items;
}

OciResult<std::optional<nlohmann::json>> get_by_id(const OciClient& client, const OciKind& kind,
                                                   const std::string& ocid) {
  if (kind_of_ocid(ocid) != &kind) {
    OciError refused;
    refused.kind = OciErrorKind::refused;
    refused.operation = "GET core " + std::string(kind.path);
    refused.message = "\"" + text::printable(ocid, 64) + "\" is not the OCID of a " +
                      std::string(kind.kind) + "; not sent";
    return std::unexpected(std::move(refused));
  }
  const OciRequest request{.path = std::string(kind.path) + "/" + ocid};
  auto answer = client.send(request);
  if (!answer) {
    if (answer.error().kind == OciErrorKind::not_found) return std::nullopt;
    return std::unexpected(std::move(answer.error()));
  }
  const auto& body = answer->body;
  if (!body.is_object()) {
    return std::unexpected(bad_resource_answer(operation_name(request), answer->status,
                                               "the answer is not a JSON object"));
  }
  if (fields::text_at(body, "id") != ocid) {
    return std::unexpected(bad_resource_answer(
        operation_name(request), answer->status,
        "the answer is for \"" + text::printable(fields::text_at(body, "id"), 128) +
            "\", not the OCID asked for"));
  }
  if (reads_as_gone(kind, fields::text_at(body, "lifecycleState"))) return std::nullopt;
  return std::optional<nlohmann::json>(std::move(answer->body));
}

Expected<std::optional<nlohmann::json>> fenced(const OciClient& client, const OciKind& kind,
                                               const std::string& ocid, const std::string& run_id) {
  auto live = get_by_id(client, kind, ocid);
  if (!live) return std::unexpected(live.error().to_error());
  if (!*live) return std::nullopt;
  const auto tags = freeform_tags(**live);
  const auto tag = tags.find(k_tag_run_id);
  if (tag == tags.end() || tag->second != run_id) {
    const std::string carries = tag == tags.end() ? "no " + std::string(k_tag_run_id) + " tag"
                                                  : std::string(k_tag_run_id) + "=\"" +
                                                        text::printable(tag->second, 128) + "\"";
    return fail(ExitCode::refused, "oci: tag fence: " + std::string(kind.kind) + " " +
                                       text::printable(ocid, 255) + " carries " + carries +
                                       ", not run " + run_id +
                                       "; refusing to touch it (check the state rows of this run)");
  }
  return std::move(*live);
}

OciResult<bool> confirm_gone(const OciClient& client, const OciKind& kind,
                             const std::string& ocid) {
  // The client's own deadline bounds every GET: a send past it fails as a timeout, which ends
  // the wait at once, as do a refusal, an auth failure and a malformed answer (asking again
  // cannot change them). Throttling, 5xx and transport failures are asked again.
  const auto until = client.clock().steady_now() + k_confirm_bound;
  auto interval = std::chrono::milliseconds(200);
  constexpr std::chrono::milliseconds k_max_interval{5000};
  while (true) {
    auto live = get_by_id(client, kind, ocid);
    if (live && !*live) return true;
    const bool final_error = !live && live.error().kind != OciErrorKind::throttled &&
                             live.error().kind != OciErrorKind::service &&
                             live.error().kind != OciErrorKind::transport;
    if (final_error || client.clock().steady_now() + interval > until ||
        !client.clock().sleep_for(interval)) {
      if (!live) return std::unexpected(std::move(live.error()));
      return false;
    }
    interval = std::min(interval * 3 / 2, k_max_interval);
  }
}

}  // namespace labctl::providers::oci
