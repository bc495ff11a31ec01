#include <algorithm>
#include <chrono>
#include <functional>
#include <map>

#include "core/interrupt.hpp"
#include "core/json_fields.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/ipv4.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"
#include "providers/run_facts.hpp"
#include "providers/run_key.hpp"

namespace labctl::providers::oci {
// Named inside the anonymous namespace: unity builds put several files of this folder in one
// translation unit.
namespace {
namespace up_apply {

constexpr std::string_view k_key_placeholder = "{{ssh_public_key}}";
constexpr std::string_view k_ad_placeholder = "{{availability_domain}}";
// OCI states change in seconds (network) to a minute or two (instances): poll quickly first,
// then back off; the client's deadline bounds the whole wait.
constexpr std::chrono::milliseconds k_first_poll{200};
constexpr std::chrono::milliseconds k_max_poll{5000};

// One resource this apply created: its operation, kind, state row and OCID.
struct Created {
  const Operation* op = nullptr;
  const OciKind* kind = nullptr;
  long long row_id = 0;
  std::string ocid;
  std::string vnic_id;  // instances: the primary VNIC, once read
};

std::string what(const Operation& op) { return op.resource_kind + " " + op.resource_name; }

bool is_placeholder(const std::string& text) {
  return text.starts_with("{{") && text.ends_with("}}");
}

// The plan's body with every placeholder ("{{vcn}}", "{{ssh_public_key}}", ...) that `values`
// knows replaced; a placeholder still left afterwards is an error naming it, so nothing
// unresolved is ever sent.
Expected<nlohmann::json> filled(const Operation& op,
                                const std::map<std::string, std::string, std::less<>>& values) {
  nlohmann::json body = nlohmann::json::parse(op.params.at("body").dump());
  std::string missing;
  std::function<void(nlohmann::json&)> fill = [&](nlohmann::json& node) {
    if (node.is_string() && is_placeholder(node.get<std::string>())) {
      const auto found = values.find(node.get<std::string>());
      if (found != values.end()) {
        node = found->second;
      } else if (missing.empty()) {
        missing = node.get<std::string>();
      }
    }
    if (node.is_structured()) {
      for (auto& child : node) fill(child);
    }
  };
  fill(body);
  if (!missing.empty()) {
    return fail(ExitCode::provider, "oci: " + what(op) + " needs " + missing +
                                        ", which nothing before it provided; the plan is "
                                        "incomplete (a dry-run plan cannot be applied)");
  }
  return body;
}

Expected<void> sleep_or_interrupt(const OciClient& client, std::chrono::milliseconds& interval) {
  if (!client.clock().sleep_for(interval)) {
    return fail(ExitCode::interrupted, "oci: interrupted while waiting");
  }
  interval = std::min(interval * 2, k_max_poll);
  return {};
}

// Reads the created resource until its lifecycleState is `ready` (sleeping on the client's
// clock; each GET stops at the client's deadline). Gone, TERMINATED or FAILED on the way is an
// error: the row is recorded, so down removes what is left.
Expected<void> wait_ready(const OciClient& client, const Created& made, std::string_view ready,
                          std::string state) {
  auto interval = k_first_poll;
  while (state != ready) {
    if (state == "FAILED" || state == "TERMINATING" || state == "TERMINATED") {
      return fail(ExitCode::provider, "oci: " + what(*made.op) + " (" + made.ocid + ") became " +
                                          state + " instead of " + std::string(ready) +
                                          "; see its work requests in the OCI console, then "
                                          "labctl down");
    }
    if (auto slept = sleep_or_interrupt(client, interval); !slept) return slept;
    auto got = get_by_id(client, *made.kind, made.ocid);
    if (!got) return std::unexpected(got.error().to_error());
    if (!*got) {
      state = "TERMINATED";
      continue;
    }
    state = text::printable(fields::text_at_pointer(**got, "/lifecycleState"), 40);
  }
  return {};
}

OciResult<OciResponse> get(const OciClient& client, const std::string& path,
                           std::vector<std::pair<std::string, std::string>> query = {}) {
  OciRequest request;
  request.path = path;
  request.query = std::move(query);
  return client.send(request);
}

// The region's first availability domain (Identity), for a plan that left it open.
Expected<std::string> first_availability_domain(const OciClient& client,
                                                const std::string& compartment) {
  OciRequest request;
  request.service = OciService::identity;
  request.path = "/availabilityDomains";
  request.query = {{"compartmentId", compartment}};
  auto domains = client.list(request);
  if (!domains) return std::unexpected(domains.error().to_error());
  for (const auto& domain : *domains) {
    const std::string name = fields::text_at_pointer(domain, "/name");
    if (!name.empty() && name.size() <= 128 && std::ranges::all_of(name, [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                 std::string_view(":._-").contains(c);
        })) {
      return name;
    }
  }
  return fail(ExitCode::provider,
              "oci: Identity lists no usable availability domain for "
              "compartment " +
                  compartment + "; set oci.availability_domain in the profile");
}

// The OCID of an instance's primary VNIC: its VNIC attachments (waited until one is ATTACHED)
// and each attached VNIC read until the primary one is found.
Expected<nlohmann::json> primary_vnic(const OciClient& client, const Created& made,
                                      const std::string& compartment) {
  auto interval = k_first_poll;
  for (;;) {
    OciRequest request;
    request.path = "/vnicAttachments";
    request.query = {{"compartmentId", compartment}, {"instanceId", made.ocid}};
    auto attachments = client.list(request);
    if (!attachments) return std::unexpected(attachments.error().to_error());
    for (const auto& attachment : *attachments) {
      if (fields::text_at_pointer(attachment, "/lifecycleState") != "ATTACHED" ||
          fields::text_at_pointer(attachment, "/instanceId") != made.ocid) {
        continue;
      }
      const std::string vnic_id = fields::text_at_pointer(attachment, "/vnicId");
      if (!is_ocid_of(vnic_id, "vnic")) {
        return fail(ExitCode::provider, "oci: a VNIC attachment of " + made.op->resource_name +
                                            " names \"" + text::printable(vnic_id, 120) +
                                            "\", not a VNIC OCID");
      }
      auto vnic = get(client, "/vnics/" + vnic_id);
      if (!vnic) return std::unexpected(vnic.error().to_error());
      if (fields::text_at_pointer(vnic->body, "/id") != vnic_id) {
        return fail(ExitCode::provider,
                    "oci: GET /vnics/" + vnic_id + " answered for another resource");
      }
      if (vnic->body.is_object() && vnic->body.value("isPrimary", false)) return vnic->body;
    }
    if (auto slept = sleep_or_interrupt(client, interval); !slept) {
      return std::unexpected(slept.error());
    }
  }
}

// Reads every instance's primary VNIC and records the node as the matrix, deploy and node
// faults read it (attrs.node, the same shape aws and azure record).
Expected<void> record_addresses(const RunContext& ctx, const OciClient& client,
                                std::vector<Created>& created) {
  for (auto& made : created) {
    if (made.op->resource_kind != "instance") continue;
    const std::string compartment = made.op->params.at("body").value("compartmentId", "");
    auto vnic = primary_vnic(client, made, compartment);
    if (!vnic) return std::unexpected(vnic.error());
    made.vnic_id = fields::text_at_pointer(*vnic, "/id");
    const std::string private_ip = fields::text_at_pointer(*vnic, "/privateIp");
    if (!is_ipv4(private_ip)) {
      return fail(ExitCode::provider, "oci: the VNIC of " + made.op->resource_name +
                                          " reports no valid private address (\"" +
                                          text::printable(private_ip, 60) + "\")");
    }
    std::string public_ip = fields::text_at_pointer(*vnic, "/publicIp");
    if (!public_ip.empty() && !is_ipv4(public_ip)) {
      log::warn("oci.address", "oci: ignoring malformed public address \"" +
                                   text::printable(public_ip, 60) + "\" of VNIC " + made.vnic_id);
      public_ip.clear();
    }
    const nlohmann::json attrs =
        machine_attrs(ctx.profile, node_facts(ctx.profile, "oci", made.op->resource_name),
                      made.op->resource_name, {private_ip, public_ip, "vnicId", made.vnic_id},
                      ctx.profile.oci.ssh_user);
    if (auto merged = ctx.store.merge_attrs(made.row_id, attrs); !merged) return merged;
  }
  return {};
}

// Makes sure one resource (at `path`, e.g. "/vcns/<ocid>") carries the run's five tags whatever
// the endpoint did with the create's freeformTags: read; any missing (or another value) → PUT
// freeformTags = what it carries plus the five, with a warning; read again; still missing is
// an error naming it. No intent row: this creates nothing and touches only resources of this
// run's rows.
Expected<void> ensure_tagged_at(const RunContext& ctx, const OciClient& client,
                                const std::string& path, const std::string& ocid,
                                const std::string& kind) {
  const auto wanted = ctx.tags.pairs();
  const auto tagged = [&](const nlohmann::json& body) {
    const auto tags = freeform_tags(body);
    return std::ranges::all_of(wanted, [&](const auto& tag) {
      const auto found = tags.find(tag.first);
      return found != tags.end() && found->second == tag.second;
    });
  };
  auto live = get(client, path);
  if (!live) return std::unexpected(live.error().to_error());
  if (tagged(live->body)) return {};
  nlohmann::json merged = nlohmann::json::object();
  for (const auto& [key, value] : freeform_tags(live->body)) merged[key] = value;
  for (const auto& [key, value] : wanted) merged[key] = value;
  OciRequest put;
  put.method = "PUT";
  put.path = path;
  put.body = nlohmann::json{{"freeformTags", merged}};
  if (auto sent = client.send(put); !sent) return std::unexpected(sent.error().to_error());
  log::warn("oci.tags", "oci: endpoint dropped create-time tags on " + ocid + "; added",
            {{"kind", kind}, {"id", ocid}});
  auto again = get(client, path);
  if (!again) return std::unexpected(again.error().to_error());
  if (!tagged(again->body)) {
    return fail(ExitCode::provider, "oci: " + ocid +
                                        " still lacks the run's five tags after adding them; "
                                        "tear the run down (labctl down) and check the "
                                        "endpoint");
  }
  return {};
}

Expected<void> ensure_tagged(const RunContext& ctx, const OciClient& client,
                             const std::vector<Created>& created) {
  for (const auto& made : created) {
    if (auto ok = ensure_tagged_at(ctx, client, std::string(made.kind->path) + "/" + made.ocid,
                                   made.ocid, made.kind->kind);
        !ok) {
      return ok;
    }
    if (!made.vnic_id.empty()) {
      if (auto ok = ensure_tagged_at(ctx, client, "/vnics/" + made.vnic_id, made.vnic_id, "vnic");
          !ok) {
        return ok;
      }
    }
  }
  return {};
}

}  // namespace up_apply
}  // namespace

Expected<void> apply_lab(const RunContext& ctx, const Plan& plan, const OciClient& client) {
  if (ctx.dry_run || !client.live()) {
    return fail(ExitCode::refused,
                "oci: up is a dry run here; nothing was sent (set "
                "CE_DRY_RUN=0 to create the lab)");
  }
  auto public_key = run_public_key(ctx, "oci", ctx.profile.oci.ssh_user);
  if (!public_key) return std::unexpected(public_key.error());
  std::map<std::string, std::string, std::less<>> values{
      {std::string(up_apply::k_key_placeholder), *public_key}};

  // The availability domain a plan left open is asked for before anything is created, so an
  // Identity that cannot answer leaves nothing behind.
  for (const auto& op : plan.operations) {
    const auto& body = op.params.at("body");
    if (body.value("availabilityDomain", "") != up_apply::k_ad_placeholder) continue;
    auto domain = up_apply::first_availability_domain(client, body.value("compartmentId", ""));
    if (!domain) return std::unexpected(domain.error());
    values.emplace(up_apply::k_ad_placeholder, *domain);
    break;
  }

  const auto total = static_cast<std::size_t>(
      std::ranges::count_if(plan.operations, [](const Operation& op) { return op.mutating; }));
  std::vector<up_apply::Created> created;
  for (const auto& op : plan.operations) {
    if (!op.mutating) continue;
    if (interrupt::requested()) return fail(ExitCode::interrupted, "oci: interrupted");
    const OciKind* kind = kind_named(op.resource_kind);
    if (kind == nullptr || op.params.value("path", "") != kind->path) {
      return fail(ExitCode::provider,
                  "oci: the plan's " + up_apply::what(op) + " is not a create labctl knows");
    }
    auto body = up_apply::filled(op, values);
    if (!body) return std::unexpected(body.error());

    OciRequest request;
    request.method = op.action;
    request.path = kind->path;
    request.body = *body;
    request.retry_token = retry_token(ctx.run.run_id, op.params.value("retryToken", ""));

    state::ResourceRecord row;
    row.run_id = ctx.run.run_id;
    row.provider = "oci";
    row.kind = kind->kind;
    row.name = op.resource_name;
    row.region = op.region;
    row.request = {{"method", request.method},
                   {"service", "core"},
                   {"path", request.path},
                   {"body", *request.body}};
    if (op.resource_kind == "instance") {
      row.attrs = node_facts(ctx.profile, "oci", op.resource_name);
    }
    auto row_id = ctx.store.record_intent(row);
    if (!row_id) return std::unexpected(row_id.error());

    log::info("oci.send", "oci: POST " + up_apply::what(op) + " (" + op.region + ")",
              {{"kind", op.resource_kind}, {"name", op.resource_name}});
    auto response = client.send(request);
    if (!response) {
      // Left as "intent": the create may have taken effect; down finds it by its tags.
      (void)ctx.store.set_resource_state(*row_id, state::k_res_intent, response.error().describe());
      return std::unexpected(response.error().to_error());
    }
    const std::string ocid = fields::text_at_pointer(response->body, "/id");
    if (kind_of_ocid(ocid) != kind) {
      const std::string message = "oci: POST " + up_apply::what(op) + ": the answer names \"" +
                                  text::printable(ocid, 200) + "\", not a " + kind->ocid_type +
                                  " OCID; check CE_OCI_ENDPOINT";
      (void)ctx.store.set_resource_state(*row_id, state::k_res_intent, message);
      return fail(ExitCode::provider, message);
    }
    if (auto marked = ctx.store.mark_created(*row_id, ocid, row.attrs); !marked) return marked;
    created.push_back({&op, kind, *row_id, ocid, {}});
    values["{{" + std::string(kind->kind) + "}}"] = ocid;

    const bool instance = op.resource_kind == "instance";
    if (auto ready = up_apply::wait_ready(
            client, created.back(), instance ? "RUNNING" : "AVAILABLE",
            text::printable(fields::text_at_pointer(response->body, "/lifecycleState"), 40));
        !ready) {
      return ready;
    }
    log::info("oci.ready",
              "oci: " + up_apply::what(op) + " ready (resources " + std::to_string(created.size()) +
                  "/" + std::to_string(total) + ")",
              {{"kind", op.resource_kind}, {"name", op.resource_name}, {"id", ocid}});
  }
  if (auto recorded = up_apply::record_addresses(ctx, client, created); !recorded) return recorded;
  return up_apply::ensure_tagged(ctx, client, created);
}

}  // namespace labctl::providers::oci
