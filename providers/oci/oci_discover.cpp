#include <string>
#include <vector>

#include "core/json_fields.hpp"
#include "core/log.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"

// Discovery asks Resource Search only: one structured query covers every compartment of the
// tenancy the credentials can read. The index only finds candidates (it lags behind deletes
// and tag changes): each hit is confirmed by a GET of the resource itself, whose tags decide.
namespace labctl::providers::oci {
namespace {

// Search types that go with an instance (its VNICs and their private IPs): the instance's own
// hit stands for them, so their hits are skipped without a word.
bool goes_with_an_instance(const std::string& search_type) {
  return search_type == "Vnic" || search_type == "PrivateIp";
}

}  // namespace

Expected<Discovery> discover_tagged(const DiscoverQuery& query, const OciClient& client) {
  auto text = tagged_query(query.run_id);
  if (!text) return std::unexpected(text.error());
  auto hits = search(client, *text);
  if (!hits) {
    return fail(hits.error().to_error().code,
                "oci: Resource Search for resources tagged " + std::string(k_tag_run_id) +
                    " failed: " + hits.error().describe() +
                    "\n  labctl finds tagged labs through Resource Search (POST /20180409/"
                    "resources); check that the credentials may read the tenancy's resources");
  }
  Discovery discovery;
  std::vector<std::string> unconfirmed;
  for (const auto& hit : *hits) {
    const auto ocid = fields::text_at(hit, "identifier");
    const auto type = fields::text_at(hit, "resourceType");
    const auto* kind = kind_of_search_type(type);
    if (kind == nullptr || kind_of_ocid(ocid) != kind) {
      if (!goes_with_an_instance(type)) {
        log::warn("oci.discover", "oci: ignoring tagged " + text::printable(type, 64) + " \"" +
                                      text::printable(ocid, 255) +
                                      "\": not a resource of a kind labctl creates; delete it "
                                      "by hand if a lab left it");
      }
      continue;
    }
    auto live = get_by_id(client, *kind, ocid);
    if (!live) {
      unconfirmed.push_back(std::string(kind->kind) + " " + ocid + ": " + live.error().describe());
      continue;
    }
    if (!*live) {
      ++discovery.confirmed_gone;
      continue;
    }
    const auto tags = freeform_tags(**live);
    const auto run = tags.find(k_tag_run_id);
    // The resource itself no longer carries a run's tag: the index was stale.
    if (run == tags.end() || run->second.empty()) continue;
    if (!query.run_id.empty() && run->second != query.run_id) continue;
    const auto ttl = tags.find(k_tag_ttl_expires_at);
    const std::string ttl_expires_at = ttl == tags.end() ? "" : ttl->second;
    if (query.expired_only) {
      const auto expires = parse_rfc3339(ttl_expires_at);
      // A garbled or missing expiry is never "expired": the janitor only removes what it can
      // prove is past its TTL.
      if (!expires || *expires > query.now) continue;
    }
    // The region stays empty: an OCI client is regional, and its region is the credentials'.
    discovery.found.push_back({run->second, kind->kind, ocid, "", ttl_expires_at});
  }
  if (!unconfirmed.empty()) {
    std::string message =
        "oci: tagged resources could be confirmed neither present nor gone by their GET:";
    for (const auto& u : unconfirmed) message += "\n    " + u;
    message += "\n  run the command again once the endpoint answers";
    return fail(ExitCode::provider, message);
  }
  return discovery;
}

}  // namespace labctl::providers::oci
