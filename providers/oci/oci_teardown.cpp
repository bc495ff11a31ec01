#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/json_fields.hpp"
#include "core/log.hpp"
#include "core/tags.hpp"
#include "core/text.hpp"
#include "providers/oci/oci_ops.hpp"
#include "providers/oci/oci_resources.hpp"
#include "providers/retry.hpp"

namespace labctl::providers::oci {
namespace {

// How long teardown waits for terminated instances to reach TERMINATED (their VNICs block the
// subnet's delete until then); the client's deadline bounds it too.
constexpr std::chrono::minutes k_terminate_bound{10};

// Resources that go with an instance and that labctl never deletes itself: a hit of the tag
// search of one of these is confirmed by its own GET (the index lags) and reported while it
// exists. A boot volume exists only when an instance was terminated preserving it — a cost.
struct Companion {
  const char* search_type;
  const char* path;
  const char* ocid_type;
};
constexpr std::array<Companion, 3> k_companions{{
    {"Vnic", "/vnics", "vnic"},
    {"PrivateIp", "/privateIps", "privateip"},
    {"BootVolume", "/bootVolumes", "bootvolume"},
}};

// One resource teardown addresses by OCID (a "doomed" resource): from state (several rows may name
// one OCID) or a hit of the tag search (no rows).
struct Doomed {
  Doomed(std::string ocid_, const OciKind* kind_, std::vector<long long> rows_, bool from_state_)
      : ocid(std::move(ocid_)), kind(kind_), rows(std::move(rows_)), from_state(from_state_) {}
  std::string ocid;
  const OciKind* kind;
  std::vector<long long> rows;
  bool from_state;
  bool fenced = false;
  // An instance state names that carries no run tag at all (OCI dropped its create-time tags):
  // it is this run's only if it sits in a subnet of this run (adopt_contained).
  bool awaiting_containment = false;
  bool scanned = false;  // a subnet whose attached instances adopt_contained() has looked for
  bool deleted = false;  // a DELETE was answered with success: confirm by GET
  enum class Outcome { pending, gone, failed } outcome = Outcome::pending;
  std::string error;
};

std::string doomed_name(const Doomed& target) {
  return std::string(target.kind->kind) + " " + target.ocid;
}

class OciLabTeardown {
 public:
  OciLabTeardown(const RunContext& ctx, const OciClient& client) : m_ctx(ctx), m_client(client) {}

  Expected<void> run(const std::vector<state::ResourceRecord>& rows) {
    auto query = tagged_query(m_ctx.run.run_id);
    if (!query) return std::unexpected(query.error());
    sort_rows(rows);
    if (m_ctx.dry_run) {
      for (const auto& target : m_targets) {
        log::info("oci.plan", "[dry] oci: would delete " + doomed_name(target),
                  {{"provider", "oci"}, {"kind", target.kind->kind}, {"cloud_id", target.ocid}});
      }
      return {};
    }
    // Rows from state are fenced before any DELETE: one resource of another run stops the
    // whole teardown, so nothing of a lab whose state names a foreign resource is touched.
    // Rows the janitor adopted moments ago from the tag search were fenced by that search.
    for (auto& target : m_targets) {
      if (m_ctx.rows_found_by_tag) {
        target.fenced = true;
      } else {
        fence(target);
      }
    }
    adopt_contained();
    for (auto& target : m_targets) {
      if (!target.awaiting_containment) continue;
      target.awaiting_containment = false;
      m_refused = true;
      failed(target, "refused: it carries no " + std::string(k_tag_run_id) +
                         " tag and is in no subnet of run " + m_ctx.run.run_id +
                         "; labctl never deletes resources it cannot prove are the run's");
    }
    if (m_refused) return finish();
    remove_all();
    sweep(*query);
    remove_all();
    return finish();
  }

 private:
  // A row whose OCID is not one of the kind it says is failed and never sent anywhere; an
  // intent row whose create never answered has no OCID to address: the tag search after the
  // deletes finds the resource if it exists anyway, and the row is decided with the whole lab.
  void sort_rows(const std::vector<state::ResourceRecord>& rows) {
    for (const auto& row : rows) {
      if (row.cloud_id.empty()) {
        m_untracked.push_back(row.id);
        continue;
      }
      const auto* kind = kind_of_ocid(row.cloud_id);
      if (kind == nullptr || kind != kind_named(row.kind)) {
        m_failures.push_back(text::printable(row.kind, 64) + " " +
                             text::printable(row.cloud_id, 255) + ": not the OCID of a " +
                             text::printable(row.kind, 64) +
                             " labctl creates; nothing was sent for it");
        m_outcomes.push_back({row.id, state::k_res_failed, m_failures.back()});
        continue;
      }
      if (auto* same = find(row.cloud_id)) {
        same->rows.push_back(row.id);
      } else {
        m_targets.emplace_back(row.cloud_id, kind, std::vector<long long>{row.id}, true);
      }
    }
  }

  Doomed* find(const std::string& ocid) {
    const auto it = std::ranges::find(m_targets, ocid, &Doomed::ocid);
    return it == m_targets.end() ? nullptr : &*it;
  }

  static void failed(Doomed& target, std::string error) {
    target.outcome = Doomed::Outcome::failed;
    target.error = std::move(error);
  }

  // The tag fence: GET by OCID; gone is done; present must carry this run's run-id tag. A
  // resource state names that carries another (or none) is refused and left alone; a hit only
  // the tag search named is the index's stale word and is left alone too. Returns the body.
  std::optional<nlohmann::json> fence(Doomed& target) {
    target.fenced = true;
    auto live = fenced(m_client, *target.kind, target.ocid, m_ctx.run.run_id);
    if (live && !*live) {
      target.outcome = Doomed::Outcome::gone;
      return std::nullopt;
    }
    if (live) return std::move(*live);
    if (live.error().code != ExitCode::refused) {
      failed(target, live.error().message);
    } else if (target.from_state && untagged_instance(target)) {
      target.awaiting_containment = true;
    } else if (target.from_state) {
      m_refused = true;
      failed(target, live.error().message);
    } else {
      log::info("oci.sweep", "oci: " + doomed_name(target) + " is no longer tagged with run " +
                                 m_ctx.run.run_id + " (the search index was stale); left alone");
      target.outcome = Doomed::Outcome::gone;  // not this run's: nothing of the run remains
    }
    return std::nullopt;
  }

  // True when `target` is an instance that exists and carries no run-id tag at all (not another
  // run's): one whose create-time tags OCI dropped before `up` could add them again.
  bool untagged_instance(const Doomed& target) const {
    if (std::string_view(target.kind->kind) != "instance") return false;
    auto live = get_by_id(m_client, *target.kind, target.ocid);
    return live && *live && !freeform_tags(**live).contains(k_tag_run_id);
  }

  // The containment fence, as a resource group is on Azure: an instance attached to a subnet
  // of this run (one its fence or the janitor's tag search proved the run's) is the run's even
  // when it carries no run tag — OCI drops create-time tags at times, and the subnet cannot be
  // deleted while the instance's VNIC is in it. Instances state names that await containment
  // are accepted; ones state does not know are added, to be terminated with the run.
  void adopt_contained() {
    const OciKind& subnet_kind = *kind_named("subnet");
    for (std::size_t i = 0; i < m_targets.size(); ++i) {
      if (m_targets[i].kind != &subnet_kind || m_targets[i].outcome != Doomed::Outcome::pending ||
          !m_targets[i].fenced || m_targets[i].scanned) {
        continue;
      }
      m_targets[i].scanned = true;
      const std::string subnet = m_targets[i].ocid;
      auto live = get_by_id(m_client, subnet_kind, subnet);
      if (!live || !*live) continue;  // gone, or decided by its own delete and confirm
      const auto compartment = fields::text_at(**live, "compartmentId");
      if (!is_ocid_of(compartment, "compartment") && !is_ocid_of(compartment, "tenancy")) continue;
      auto attachments =
          m_client.list({.path = "/vnicAttachments", .query = {{"compartmentId", compartment}}});
      if (!attachments) {
        m_failures.push_back("the VNIC attachments of subnet " + subnet + ": " +
                             attachments.error().describe());
        continue;
      }
      for (const auto& attachment : *attachments) {
        const auto state = fields::text_at(attachment, "lifecycleState");
        const auto instance = fields::text_at(attachment, "instanceId");
        if (fields::text_at(attachment, "subnetId") != subnet ||
            (state != "ATTACHED" && state != "ATTACHING") ||
            kind_of_ocid(instance) != kind_named("instance")) {
          continue;
        }
        if (auto* known = find(instance)) {
          if (!known->awaiting_containment) continue;
          known->awaiting_containment = false;
        } else if (!contained_is_ours(instance, subnet)) {
          continue;
        } else {
          m_targets.emplace_back(instance, kind_named("instance"), std::vector<long long>{}, false);
          m_targets.back().fenced = true;
        }
        log::info("oci.delete", "oci: instance " + instance + " in subnet " + subnet + " of run " +
                                    m_ctx.run.run_id +
                                    " carries no run tag (OCI dropped it); it goes with the run");
      }
    }
  }

  // An instance in a subnet of this run that state does not know is the run's when it carries
  // this run's tag, or no run tag and the displayName labctl gave it at launch
  // (display_name_prefix: the second sign of ownership, which dropped tags do not take away).
  // Anything else — another run's, or an untagged instance someone else launched into the lab's
  // subnet — is refused (recorded) and left alone, and the subnet then stays too. Gone, or its
  // GET failing: nothing to adopt (the subnet's delete then says what holds it).
  bool contained_is_ours(const std::string& instance, const std::string& subnet) {
    auto live = get_by_id(m_client, *kind_named("instance"), instance);
    if (!live || !*live) return false;
    const auto tags = freeform_tags(**live);
    const auto run = tags.find(k_tag_run_id);
    if (run != tags.end() && run->second == m_ctx.run.run_id) return true;
    if (run == tags.end() &&
        fields::text_at(**live, "displayName").starts_with(display_name_prefix(m_ctx.run.run_id))) {
      return true;
    }
    m_refused = true;
    m_failures.push_back(
        "instance " + instance + " in subnet " + subnet + " of run " + m_ctx.run.run_id +
        (run == tags.end()
             ? std::string(" carries no run tag and a displayName labctl did not give it")
             : " carries " + std::string(k_tag_run_id) + "=\"" + text::printable(run->second, 128) +
                   "\"") +
        "; refused: labctl never deletes resources it did not create");
    return false;
  }

  // Deletes every pending target in dependency order: all instances first, waited TERMINATED
  // (their VNICs hold the subnet), then each group of network resources of one delete_order,
  // confirmed gone before the next group (a route table on its way out still holds the
  // internet gateway).
  void remove_all() {
    for (auto& target : m_targets) {
      if (target.fenced || target.outcome != Doomed::Outcome::pending) continue;
      if (const auto body = fence(target); body && goes_with_its_vcn(target, *body)) continue;
    }
    adopt_contained();
    std::ranges::stable_sort(m_targets, {}, [](const Doomed& t) { return t.kind->delete_order; });
    std::size_t begin = 0;
    while (begin < m_targets.size()) {
      const int order = m_targets[begin].kind->delete_order;
      std::size_t end = begin;
      while (end < m_targets.size() && m_targets[end].kind->delete_order == order) ++end;
      const std::span<Doomed> group(m_targets.begin() + static_cast<std::ptrdiff_t>(begin),
                                    end - begin);
      for (auto& target : group) {
        if (target.outcome == Doomed::Outcome::pending && !target.deleted) remove(target);
      }
      if (std::string_view(group.front().kind->kind) == "instance") {
        wait_terminated(group);
      } else {
        for (auto& target : group) confirm(target);
      }
      begin = end;
    }
  }

  // DELETE behind the fence; 409 (in use, another operation in progress) asked again with the
  // shared backoff without jitter (its ceiling: a conflict is about the resource's own state,
  // not about many callers); 404 is success.
  void remove(Doomed& target) {
    OciRequest request{.method = "DELETE",
                       .path = std::string(target.kind->path) + "/" + target.ocid};
    if (std::string_view(target.kind->kind) == "instance") {
      request.query = {{"preserveBootVolume", "false"}};
    }
    log::info("oci.delete", "oci: DELETE " + doomed_name(target),
              {{"provider", "oci"}, {"kind", target.kind->kind}, {"cloud_id", target.ocid}});
    const RetryPolicy policy;
    for (int retry = 1;; ++retry) {
      auto sent = m_client.send(request);
      if (sent || sent.error().kind == OciErrorKind::not_found) {
        target.deleted = true;
        return;
      }
      const auto delay = backoff_ceiling(policy, retry);
      if (sent.error().kind != OciErrorKind::conflict || retry > k_conflict_retries) {
        failed(target, sent.error().describe());
        return;
      }
      log::info("oci.delete", "oci: " + doomed_name(target) + " is busy (" +
                                  text::printable(sent.error().code, 64) + "); retrying in " +
                                  std::to_string(delay.count()) + " ms");
      if (!m_client.clock().sleep_for(delay)) {
        failed(target, sent.error().describe() + "; interrupted while waiting to retry");
        return;
      }
    }
  }

  // A route table or security list the search named that is its VCN's default: OCI deletes it
  // with the VCN and refuses to delete it alone, so no DELETE is sent. True when so (the target
  // is then decided: failed, as its VCN still exists).
  bool goes_with_its_vcn(Doomed& target, const nlohmann::json& body) {
    const std::string_view kind = target.kind->kind;
    if (kind != "routeTable" && kind != "securityList") return false;
    const auto vcn_id = fields::text_at(body, "vcnId");
    if (kind_of_ocid(vcn_id) != kind_named("vcn")) return false;
    auto vcn = get_by_id(m_client, *kind_named("vcn"), vcn_id);
    if (!vcn || !*vcn) return false;
    const char* field = kind == "routeTable" ? "defaultRouteTableId" : "defaultSecurityListId";
    if (fields::text_at(**vcn, field) != target.ocid) return false;
    failed(target, "the default " + std::string(kind) + " of VCN " + vcn_id +
                       ", which still exists: it goes with its VCN");
    return true;
  }

  // A DELETE answered with success is only a claim: the resource is gone once its GET says so.
  void confirm(Doomed& target) {
    if (target.outcome != Doomed::Outcome::pending || !target.deleted) return;
    auto gone = confirm_gone(m_client, *target.kind, target.ocid);
    if (gone && *gone) {
      target.outcome = Doomed::Outcome::gone;
    } else {
      failed(target, gone ? "the DELETE succeeded but a GET still finds it after " +
                                std::to_string(k_confirm_bound.count()) +
                                " s; the next down tries again"
                          : "the DELETE succeeded but its GET failed: " + gone.error().describe());
    }
  }

  // The terminated instances of `group`, asked by GET until each is TERMINATED (or 404).
  void wait_terminated(std::span<Doomed> group) {
    const auto until = m_client.clock().steady_now() + k_terminate_bound;
    auto interval = std::chrono::milliseconds(200);
    constexpr std::chrono::milliseconds k_max_interval{5000};
    std::size_t reported = 0;
    while (true) {
      std::size_t waiting = 0;
      for (auto& target : group) {
        if (target.outcome != Doomed::Outcome::pending || !target.deleted) continue;
        auto state = lifecycle_state(target);
        if (!state) {
          failed(target, "terminated, but its GET failed: " + state.error().describe());
        } else if (state->empty() || *state == "TERMINATED") {
          target.outcome = Doomed::Outcome::gone;
        } else {
          ++waiting;
        }
      }
      if (waiting == 0) return;
      if (waiting != reported) {
        log::info("oci.wait",
                  "oci: waiting for " + std::to_string(waiting) + " instance(s) to terminate");
        reported = waiting;
      }
      if (m_client.clock().steady_now() + interval > until ||
          !m_client.clock().sleep_for(interval)) {
        break;
      }
      interval = std::min(interval * 3 / 2, k_max_interval);
    }
    for (auto& target : group) {
      if (target.outcome == Doomed::Outcome::pending && target.deleted) {
        failed(target, "terminated, but not TERMINATED after " +
                           std::to_string(k_terminate_bound.count()) +
                           " min; the next down tries again");
      }
    }
  }

  // An instance's lifecycleState; "" when OCI answers 404.
  OciResult<std::string> lifecycle_state(const Doomed& target) const {
    auto answer = m_client.send({.path = std::string(target.kind->path) + "/" + target.ocid});
    if (!answer && answer.error().kind == OciErrorKind::not_found) return std::string();
    if (!answer) return std::unexpected(std::move(answer.error()));
    const auto state = fields::text_at(answer->body, "lifecycleState");
    if (fields::text_at(answer->body, "id") != target.ocid || state.empty()) {
      OciError bad;
      bad.kind = OciErrorKind::bad_answer;
      bad.operation = "GET core " + std::string(target.kind->path);
      bad.message = "the answer is not the instance asked for, or has no lifecycleState";
      return std::unexpected(std::move(bad));
    }
    return state;
  }

  // What the tag search still finds of the run after the deletes: a resource the state did
  // not know (its create never answered, or it was created by another process) is deleted
  // behind its own fence; one the state knew was decided by its own GET already (Resource
  // Search is eventually consistent: the resource is trusted, not the index).
  void sweep(const std::string& query) {
    auto hits = search(m_client, query);
    if (!hits) {
      m_failures.push_back("the Resource Search for the run's tag: " + hits.error().describe());
      return;
    }
    for (const auto& hit : *hits) {
      const auto ocid = fields::text_at(hit, "identifier");
      const auto type = fields::text_at(hit, "resourceType");
      if (find(ocid) != nullptr) continue;
      const auto* kind = kind_of_search_type(type);
      if (kind != nullptr && kind_of_ocid(ocid) == kind) {
        m_targets.emplace_back(ocid, kind, std::vector<long long>{}, false);
        continue;
      }
      if (auto remains = companion_remains(type, ocid)) m_failures.push_back(*remains);
    }
  }

  // A search hit of a type labctl does not delete: nullopt when its GET finds it gone, else
  // what to report.
  std::optional<std::string> companion_remains(const std::string& type, const std::string& ocid) {
    const std::string what =
        text::printable(type, 64) + " " + text::printable(ocid, 255) + " tagged with the run";
    const auto companion = std::ranges::find_if(
        k_companions, [&](const Companion& c) { return type == c.search_type; });
    if (companion == k_companions.end() || !is_ocid_of(ocid, companion->ocid_type)) {
      return what + ": not a kind labctl creates or deletes; delete it by hand";
    }
    auto answer = m_client.send({.path = std::string(companion->path) + "/" + ocid});
    if (!answer && answer.error().kind == OciErrorKind::not_found) return std::nullopt;
    if (!answer) return what + ": its GET failed: " + answer.error().describe();
    const auto state = fields::text_at(answer->body, "lifecycleState");
    if (state == "TERMINATED" || state == "TERMINATING") return std::nullopt;
    return what + " still exists (" + text::printable(state, 32) +
           "); it should have gone with its instance: delete it by hand";
  }

  // Writes every row's outcome in one transaction; the error names what remains.
  Expected<void> finish() {
    bool all_gone = m_failures.empty();
    for (const auto& target : m_targets) {
      const bool gone = target.outcome == Doomed::Outcome::gone;
      const std::string error = gone ? ""
                                : target.error.empty()
                                    ? "not deleted: the teardown stopped before it"
                                    : target.error;
      if (!gone) {
        all_gone = false;
        m_failures.push_back(doomed_name(target) + ": " + error);
      }
      for (const auto row : target.rows) {
        m_outcomes.push_back({row, gone ? state::k_res_deleted : state::k_res_failed, error});
      }
    }
    for (const auto row : m_untracked) {
      m_outcomes.push_back({row, all_gone ? state::k_res_deleted : state::k_res_failed,
                            all_gone ? "" : "its create never answered; the lab is not gone"});
    }
    if (auto written = m_ctx.store.set_resource_states(m_outcomes); !written) {
      log::warn("oci.state", "oci: could not record teardown outcomes: " + written.error().message +
                                 "; the next down checks again");
    }
    if (m_failures.empty()) return {};
    std::string message = "oci: " + std::to_string(m_failures.size()) + " resource(s) of run " +
                          m_ctx.run.run_id + " not deleted:";
    for (const auto& failure : m_failures) message += "\n    " + failure;
    return fail(m_refused ? ExitCode::refused : ExitCode::provider, message);
  }

  const RunContext& m_ctx;
  const OciClient& m_client;
  std::vector<Doomed> m_targets;
  std::vector<long long> m_untracked;  // rows without an OCID, decided with the whole lab
  std::vector<state::ResourceStateChange> m_outcomes;
  std::vector<std::string> m_failures;
  bool m_refused = false;
};

}  // namespace

Expected<void> teardown_lab(const RunContext& ctx, const std::vector<state::ResourceRecord>& rows,
                            const OciClient& client) {
  return OciLabTeardown(ctx, client).run(rows);
}

}  // namespace labctl::providers::oci
