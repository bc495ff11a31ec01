#include <set>
#include <string_view>

#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"

namespace labctl::providers::oci {
// Named inside the anonymous namespace: unity builds put several files of this folder in one
// translation unit.
namespace {
namespace iam_policy {

// The group the statements name; an administrator creates it (or edits the name) and adds the
// user whose API key labctl signs with.
constexpr const char* k_lab_operator_group = "labctl-lab-operators";

// The OCI policy resource family of a Core collection path labctl creates in, "" for none.
std::string_view family_of(std::string_view path) {
  if (path == "/instances") return "instance-family";
  for (const auto& kind : kinds()) {
    if (path == kind.path) return "virtual-network-family";
  }
  return "";
}

}  // namespace iam_policy
}  // namespace

nlohmann::ordered_json policy_statements(const Plan& plan, const Placement& where) {
  const bool root = is_ocid_of(where.compartment, "tenancy");
  const std::string scope = root ? "tenancy" : "compartment id " + where.compartment;
  const std::string subject =
      std::string("Allow group ") + iam_policy::k_lab_operator_group + " to ";

  std::set<std::string_view> families;
  for (const auto& op : plan.operations) {
    if (!op.params.is_object() || !op.params.contains("path") || !op.params["path"].is_string()) {
      continue;
    }
    const auto family = iam_policy::family_of(op.params["path"].get<std::string>());
    if (!family.empty()) families.insert(family);
  }

  nlohmann::ordered_json statements = nlohmann::ordered_json::array();
  // Create, read back, tag (PUT freeformTags), stop and delete what the plan creates; the
  // VNICs, VNIC attachments and private IPs of the instances are in these families too.
  for (const auto family : families) {
    statements.push_back(subject + "manage " + std::string(family) + " in " + scope);
  }
  if (families.contains("instance-family")) {
    // Each launch creates a boot volume, deleted with the instance (preserveBootVolume=false).
    statements.push_back(subject + "manage volume-family in " + scope);
    // The image OCID of the profile, often a platform image of another compartment.
    statements.push_back(subject + "read instance-images in tenancy");
  }
  // `up` asks Identity for the region's availability domains (when the profile names none);
  // the janitor's Resource Search over the tenancy returns only what the caller may inspect.
  statements.push_back(subject + "inspect compartments in tenancy");
  statements.push_back(subject + "inspect all-resources in tenancy");

  nlohmann::ordered_json notes = nlohmann::ordered_json::array();
  notes.push_back(std::string("create the group ") + iam_policy::k_lab_operator_group +
                  " (or replace the name) and add the user of the API key labctl signs with");
  notes.push_back(
      "no tag conditions: labctl tags with freeform tags (routerd.cloudedge.*), and "
      "OCI policy conditions (request.resource.tag / target.resource.tag) see "
      "defined tags only; labctl's own tag fence checks the run tag before every "
      "mutation instead");
  notes.push_back(
      "inspect all-resources in tenancy lets `down --expired` find labs in every "
      "compartment; tearing down a lab outside " +
      (root ? std::string("the tenancy") : "compartment " + where.compartment) +
      " needs the manage statements there too");
  return nlohmann::ordered_json{{"statements", std::move(statements)}, {"notes", std::move(notes)}};
}

}  // namespace labctl::providers::oci
