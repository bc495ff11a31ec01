#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "providers/oci/oci_client.hpp"

// What plan, apply, teardown, discovery, faults and actions share about the OCI resources labctl
// creates: their kinds, the shape of their OCIDs, their freeform tags, the Resource Search query
// by tag, and the GET/DELETE by OCID. Every OCID comes from state or from an endpoint (hostile):
// it is checked here before it becomes part of a request path.
//
// The five routerd.cloudedge.* tags are freeform tags under their own keys: OCI freeform tag keys
// may hold '.', so no mapping is needed (README "OCI").
namespace labctl::providers::oci {

// One kind of resource labctl creates (a state row's resource_kind).
struct OciKind {
  const char* kind;         // state resource_kind: "vcn", "internetGateway", "routeTable",
                            // "securityList", "subnet", "instance"
  const char* path;         // Core collection path: "/vcns", "/internetGateways", ...
  const char* ocid_type;    // the OCID's <type>: "vcn", "internetgateway", "routetable",
                            // "securitylist", "subnet", "instance"
  const char* search_type;  // Resource Search resourceType: "Vcn", "InternetGateway", ...
  int delete_order;         // lower first: instances, subnet, route table, security list,
                            // internet gateway, VCN
};

// The six kinds, in create order (vcn first).
[[nodiscard]] const std::vector<OciKind>& kinds();
// nullptr when labctl creates no such kind.
[[nodiscard]] const OciKind* kind_named(std::string_view kind);
[[nodiscard]] const OciKind* kind_of_search_type(std::string_view search_type);

// The kind of a well-formed OCID ("ocid1.<type>.<realm>.[region][.future].<unique>", lower-case
// letters, digits, '-' and '.', at most 255 bytes) of one of the six kinds; nullptr for anything
// else — no '/', '?', '%', space or control byte can pass, so an OCID is always one path segment.
[[nodiscard]] const OciKind* kind_of_ocid(std::string_view ocid);
// The same shape check for an OCID of any <type> equal to `type` ("compartment", "tenancy",
// "image", "vnic", "privateip", "availabilitydomain" is not an OCID).
[[nodiscard]] bool is_ocid_of(std::string_view ocid, std::string_view type);

// The freeform tags of a resource body ({"freeformTags": {...}}): string values only.
[[nodiscard]] std::map<std::string, std::string> freeform_tags(const nlohmann::json& resource);

// The Resource Search structured query text for resources tagged routerd.cloudedge.run_id =
// `run_id` (empty: any run), terminated ones excluded (OCI keeps them visible for a while). Only
// ids labctl makes are accepted (core/run_id.hpp), so nothing in one can end the quoted literal:
// anything else is refused (ExitCode::usage) and no query is sent.
[[nodiscard]] Expected<std::string> tagged_query(std::string_view run_id);

// The items (ResourceSummary objects) of a structured search (POST /resources, a read: sent in
// dry-run too), every page. An item without a string identifier and resourceType is
// bad_answer.
[[nodiscard]] OciResult<std::vector<nlohmann::json>> search(const OciClient& client,
                                                           const std::string& query);

// GET <kind.path>/<ocid>: the resource, or nullopt when it is gone — 404 (OCI answers
// NotAuthorizedOrNotFound) or a lifecycleState TERMINATED / TERMINATING (instances) or TERMINATED
// (network resources). An answer for another id is bad_answer.
[[nodiscard]] OciResult<std::optional<nlohmann::json>> get_by_id(const OciClient& client,
                                                                const OciKind& kind,
                                                                const std::string& ocid);

// The tag fence of one mutation: GETs the resource and checks it carries routerd.cloudedge.run_id
// = `run_id`. Gone: nullopt (nothing to fence, nothing to send). Another run's, or untagged:
// ExitCode::refused naming the OCID and what it carries; nothing may be sent to it.
[[nodiscard]] Expected<std::optional<nlohmann::json>> fenced(const OciClient& client,
                                                            const OciKind& kind,
                                                            const std::string& ocid,
                                                            const std::string& run_id);

// Asks get_by_id until the resource is gone, for at most k_confirm_bound (or the client's
// deadline), sleeping on the client's clock: true when gone, false when still present; an error
// when the GET kept failing.
inline constexpr std::chrono::seconds k_confirm_bound{60};
[[nodiscard]] OciResult<bool> confirm_gone(const OciClient& client, const OciKind& kind,
                                           const std::string& ocid);

}  // namespace labctl::providers::oci
