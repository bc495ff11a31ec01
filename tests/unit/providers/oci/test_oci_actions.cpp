// tests providers/oci/oci_actions.hpp: the executor's VNIC actions on OCI (assign, seize by
// UpdatePrivateIp, unassign, forwarding with restore-prior) and their hard stops — the tag fence,
// the prior state described before any mutation, ambiguous results never retried, hostile VNIC
// ids and answers — against a small stateful Core behind the scripted fake transport.
#include "providers/oci/oci_actions.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "providers/oci/private_key.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::oci {
namespace {

using testing::FakeHttpTransport;
using Json = nlohmann::json;

constexpr const char* k_endpoint = "https://127.0.0.1:9";
constexpr const char* k_key_id = "ocid1.tenancy.oc1..aaaa/ocid1.user.oc1..bbbb/20:3b:97:13";
constexpr const char* k_run = "20261205T101500Z-cloudedge-lab";
constexpr const char* k_compartment = "ocid1.compartment.oc1..aaaaaaaacompartment";
constexpr const char* k_subnet = "ocid1.subnet.oc1.iad.aaaaaaaasubnet";
constexpr const char* k_router_a = "ocid1.vnic.oc1.iad.aaaaaaaaroutera";
constexpr const char* k_router_b = "ocid1.vnic.oc1.iad.aaaaaaaarouterb";
constexpr const char* k_stranger = "ocid1.vnic.oc1.iad.aaaaaaaastranger";
constexpr const char* k_address = "10.242.1.50";

const PrivateKey& test_key() {
  static const PrivateKey key = [] {
    auto loaded =
        load_private_key(std::string(LABCTL_OCI_TEST_DATA) + "/oracle_docs_example_key.pem",
                         Secret(), "no pass phrase");
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return *loaded;
  }();
  return key;
}

// The path and query of a request URL, without the endpoint and API version.
std::string path_of(const std::string& url) {
  const std::string prefix = std::string(k_endpoint) + "/20160918";
  const std::string rest = url.substr(prefix.size());
  return rest.substr(0, rest.find('?'));
}

std::string query_value(const std::string& url, const std::string& key) {
  const auto at = url.find(key + "=");
  if (at == std::string::npos) return "";
  const auto start = at + key.size() + 1;
  const auto end = url.find('&', start);
  std::string value = url.substr(start, end == std::string::npos ? end : end - start);
  // OCIDs and dotted quads are sent as they are (no reserved characters in either).
  return value;
}

// A stateful slice of OCI Core: VNICs (GET, PUT skipSourceDestCheck) and private IPs (list by
// VNIC or by subnet and address, POST, PUT vnicId, DELETE), answered as Core does. A scripted
// `fail_mutation` answers the next mutation instead (and leaves the state alone unless
// `apply_before_failing`: the change happened, the answer was lost).
class OciActionsTest : public ::testing::Test {
 protected:
  struct Vnic {
    std::string private_ip;
    bool skip = false;
    std::map<std::string, std::string> tags;
  };
  struct PrivateIp {
    std::string id, address, vnic;
    bool primary = false;
  };

  void SetUp() override {
    add_vnic(k_router_a, "10.242.1.2", k_run);
    add_vnic(k_router_b, "10.242.1.3", k_run);
    add_vnic(k_stranger, "10.242.1.4", "");
    m_transport->set_handler([this](const FakeHttpTransport::Request& r) { return serve(r); });
  }

  void add_vnic(const std::string& id, const std::string& address, const std::string& run) {
    Vnic vnic{address, false, {}};
    if (!run.empty()) {
      vnic.tags = {{"routerd.cloudedge.run_id", run}, {"routerd.cloudedge.owner", "tester"}};
    }
    vnics[id] = vnic;
    private_ips.push_back({"ocid1.privateip.oc1.iad.primary" + std::to_string(private_ips.size()),
                           address, id, true});
  }
  void add_secondary(const std::string& vnic, const std::string& address) {
    private_ips.push_back({"ocid1.privateip.oc1.iad.secondary" + std::to_string(private_ips.size()),
                           address, vnic, false});
  }

  static Json ip_json(const PrivateIp& ip) {
    return {{"id", ip.id},          {"ipAddress", ip.address},
            {"vnicId", ip.vnic},    {"isPrimary", ip.primary},
            {"subnetId", k_subnet}, {"compartmentId", k_compartment}};
  }
  Json vnic_json(const std::string& id) const {
    const Vnic& vnic = vnics.at(id);
    Json out{{"id", id},
             {"privateIp", vnic.private_ip},
             {"subnetId", k_subnet},
             {"compartmentId", k_compartment},
             {"skipSourceDestCheck", vnic.skip},
             {"isPrimary", true},
             {"lifecycleState", "AVAILABLE"},
             {"freeformTags", vnic.tags}};
    return out;
  }
  static FakeHttpTransport::Result ok(const Json& body) {
    return FakeHttpTransport::respond(200, body.dump());
  }
  static FakeHttpTransport::Result not_found() {
    return FakeHttpTransport::respond(
        404, R"({"code":"NotAuthorizedOrNotFound","message":"not found"})");
  }

  FakeHttpTransport::Result serve(const FakeHttpTransport::Request& request) {
    const std::string path = path_of(request.url);
    const bool mutation = request.method != "GET";
    if (mutation && fail_mutation) {
      auto failure = std::move(*fail_mutation);
      fail_mutation.reset();
      if (!apply_before_failing) return failure;
      (void)apply(request, path);
      return failure;
    }
    return apply(request, path);
  }

  FakeHttpTransport::Result apply(const FakeHttpTransport::Request& request,
                                  const std::string& path) {
    const Json body = request.body.empty() ? Json(nullptr) : Json::parse(request.body);
    if (path.starts_with("/vnics/")) {
      const std::string id = path.substr(7);
      if (!vnics.contains(id)) return not_found();
      if (request.method == "PUT") vnics[id].skip = body.at("skipSourceDestCheck").get<bool>();
      return ok(vnic_override.is_null() ? vnic_json(id) : vnic_override);
    }
    if (path == "/privateIps" && request.method == "GET") {
      const std::string by_vnic = query_value(request.url, "vnicId");
      const std::string address = query_value(request.url, "ipAddress");
      Json list = Json::array();
      for (const auto& ip : private_ips) {
        if ((by_vnic.empty() || ip.vnic == by_vnic) && (address.empty() || ip.address == address)) {
          list.push_back(ip_json(ip));
        }
      }
      if (!extra_private_ip.is_null()) list.push_back(extra_private_ip);
      return ok(list);
    }
    if (path == "/privateIps" && request.method == "POST") {
      add_secondary(body.at("vnicId").get<std::string>(), body.at("ipAddress").get<std::string>());
      return ok(ip_json(private_ips.back()));
    }
    if (path.starts_with("/privateIps/")) {
      const std::string id = path.substr(12);
      auto found = std::ranges::find(private_ips, id, &PrivateIp::id);
      if (found == private_ips.end()) return not_found();
      if (request.method == "DELETE") {
        private_ips.erase(found);
        return FakeHttpTransport::respond(204, "");
      }
      if (request.method == "PUT") found->vnic = body.at("vnicId").get<std::string>();
      return ok(ip_json(*found));
    }
    return FakeHttpTransport::respond(400, R"({"code":"UnsupportedByTest","message":"?"})");
  }

  OciClient make_client(bool live, bool writer) {
    OciClientOptions options;
    options.endpoints = OciEndpoints{k_endpoint, k_endpoint, k_endpoint};
    options.live = live;
    options.retry.max_attempts = 4;
    options.retry.throttling_only = writer;
    OciClientDeps deps{m_transport, OciSigner{k_key_id, test_key()}, m_clock, [] { return 0.5; },
                       nullptr};
    return OciClient(std::move(options), std::move(deps));
  }

  Outcome run(const ActionRequest& request, const std::string& run_id = k_run) {
    const bool live = request.mode == k_mode_execute;
    const OciClient reader = make_client(live, false);
    const OciClient writer = make_client(live, true);
    return perform_oci({reader, writer}, request, run_id);
  }

  static ActionRequest request(const std::string& action, const std::string& vnic,
                               const std::string& address = k_address,
                               const std::string& mode = k_mode_execute) {
    ActionRequest out;
    out.action = action;
    out.provider = "oci";
    out.target = {vnic, action == k_assign || action == k_unassign ? address : "", "us-ashburn-1"};
    out.mode = mode;
    out.idempotency_key = "key/" + action + "/" + vnic + "/" + address;
    if (action == k_assign) out.parameters = {{"ownershipEpoch", 1}};
    return out;
  }
  static ActionRequest seize(const std::string& to, const std::string& from) {
    ActionRequest out = request(k_assign, to);
    out.parameters = {{"ownershipEpoch", 2}, {"allowReassignment", true}, {"previousHolder", from}};
    return out;
  }

  std::vector<FakeHttpTransport::Request> sent(const std::string& method) const {
    std::vector<FakeHttpTransport::Request> out;
    for (const auto& r : m_transport->requests()) {
      if (r.method == method) out.push_back(r);
    }
    return out;
  }
  std::vector<FakeHttpTransport::Request> all_requests() const { return m_transport->requests(); }
  std::size_t mutations() const {
    return sent("POST").size() + sent("PUT").size() + sent("DELETE").size();
  }
  bool holds(const std::string& vnic, const std::string& address) const {
    return std::ranges::any_of(
        private_ips, [&](const PrivateIp& ip) { return ip.vnic == vnic && ip.address == address; });
  }
  static std::string header(const FakeHttpTransport::Request& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
      if (key == name) return value;
    }
    return "";
  }

  std::map<std::string, Vnic> vnics;
  std::vector<PrivateIp> private_ips;
  std::optional<FakeHttpTransport::Result> fail_mutation;
  bool apply_before_failing = false;
  Json vnic_override;     // non-null: every VNIC GET answers this
  Json extra_private_ip;  // non-null: every private IP list carries it too

 private:
  std::shared_ptr<FakeHttpTransport> m_transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> m_clock = std::make_shared<testing::ManualClock>();
};

// Given a tagged router VNIC, expect assign to POST one private IP (vnicId, ipAddress, the run's
// tags from the VNIC) with an opc-retry-token, and to report the prior and the new secondaries.
TEST_F(OciActionsTest, AssignCreatesThePrivateIpWithRetryTokenAndRunTags) {
  const auto out = run(request(k_assign, k_router_a));
  ASSERT_EQ(out.code, ExitCode::ok) << out.result.message;
  EXPECT_EQ(out.result.status, "succeeded");
  EXPECT_TRUE(out.result.undo_available);
  EXPECT_TRUE(holds(k_router_a, k_address));
  const auto posts = sent("POST");
  ASSERT_EQ(posts.size(), 1u);
  const Json body = Json::parse(posts[0].body);
  EXPECT_EQ(body["vnicId"], k_router_a);
  EXPECT_EQ(body["ipAddress"], k_address);
  EXPECT_EQ(body["freeformTags"]["routerd.cloudedge.run_id"], k_run);
  EXPECT_EQ(body.size(), 3u) << body.dump();
  EXPECT_EQ(header(posts[0], "opc-retry-token"),
            retry_token(k_run, "privateIp/" + request(k_assign, k_router_a).idempotency_key));
  EXPECT_EQ(out.result.observed["priorSecondaryIps"], Json::array());
  EXPECT_EQ(out.result.observed["secondaryIps"], Json::array({k_address}));
}

TEST_F(OciActionsTest, AssignRefusesAnAddressTheVnicAlreadyHolds) {
  add_secondary(k_router_a, k_address);
  const auto out = run(request(k_assign, k_router_a));
  EXPECT_EQ(out.code, ExitCode::refused);
  EXPECT_NE(out.result.message.find("already assigned"), std::string::npos);
  EXPECT_EQ(mutations(), 0u);
}

// Given the address on router B, expect a seize to A to move it with one PUT /privateIps/<id>
// {vnicId: A} (no create, no delete), and observed to say B no longer has it.
TEST_F(OciActionsTest, SeizeMovesThePrivateIpWithOneUpdate) {
  add_secondary(k_router_b, k_address);
  const std::string moved = private_ips.back().id;
  const auto out = run(seize(k_router_a, k_router_b));
  ASSERT_EQ(out.code, ExitCode::ok) << out.result.message;
  ASSERT_EQ(sent("PUT").size(), 1u);
  EXPECT_EQ(path_of(sent("PUT")[0].url), "/privateIps/" + moved);
  EXPECT_EQ(Json::parse(sent("PUT")[0].body), Json({{"vnicId", k_router_a}}));
  EXPECT_EQ(sent("POST").size() + sent("DELETE").size(), 0u);
  EXPECT_TRUE(holds(k_router_a, k_address));
  EXPECT_FALSE(holds(k_router_b, k_address));
  EXPECT_EQ(out.result.observed["previousHolderHasAddress"], false);
  EXPECT_EQ(out.result.observed["previousHolderPriorSecondaryIps"], Json::array({k_address}));
}

// Given a seize whose address nobody holds, expect a plain create (the holder already lost it).
TEST_F(OciActionsTest, SeizeOfAFreeAddressCreatesIt) {
  const auto out = run(seize(k_router_a, k_router_b));
  ASSERT_EQ(out.code, ExitCode::ok) << out.result.message;
  EXPECT_EQ(sent("POST").size(), 1u);
  EXPECT_EQ(sent("PUT").size(), 0u);
  EXPECT_EQ(out.result.observed["previousHolderHasAddress"], false);
}

// Given seizes that must not move anything — the address on a third VNIC (drift), the holder
// untagged, the holder's primary address, no previousHolder, previousHolder the target — expect
// each refused (exit 4) with nothing sent.
TEST_F(OciActionsTest, SeizeHardStopsSendNothing) {
  add_secondary(k_router_b, "10.242.1.60");
  {
    private_ips.push_back({"ocid1.privateip.oc1.iad.third", k_address, k_stranger, false});
    const auto out = run(seize(k_router_a, k_router_b));
    EXPECT_EQ(out.code, ExitCode::refused);
    EXPECT_NE(out.result.message.find("drift"), std::string::npos) << out.result.message;
    const auto untagged = run(seize(k_router_a, k_stranger));
    EXPECT_EQ(untagged.code, ExitCode::refused);
    EXPECT_NE(untagged.result.message.find("routerd.cloudedge.run_id"), std::string::npos)
        << untagged.result.message;
    private_ips.pop_back();
  }
  const auto primary = run([] {
    auto r = seize(k_router_a, k_router_b);
    r.target.address = "10.242.1.3";
    return r;
  }());
  EXPECT_EQ(primary.code, ExitCode::refused);
  EXPECT_NE(primary.result.message.find("primary"), std::string::npos) << primary.result.message;
  auto no_holder = seize(k_router_a, k_router_b);
  no_holder.parameters.erase("previousHolder");
  EXPECT_EQ(run(no_holder).code, ExitCode::refused);
  EXPECT_EQ(run(seize(k_router_a, k_router_a)).code, ExitCode::refused);
  EXPECT_EQ(mutations(), 0u);
}

// Given a mutation without a clear answer (a 503, a reset, a timeout) — applied or not — expect
// an ambiguous hard stop (exit 4), the call sent exactly once (never retried), and a 409 to be a
// clear failure (exit 3).
TEST_F(OciActionsTest, AmbiguousMutationIsAHardStopSentOnce) {
  for (auto failure :
       {FakeHttpTransport::respond(503, R"({"code":"InternalError"})"),
        FakeHttpTransport::transport_failure(providers::TransportErrorKind::connection_reset),
        FakeHttpTransport::transport_failure(providers::TransportErrorKind::timeout)}) {
    const std::size_t before = mutations();
    fail_mutation = failure;
    apply_before_failing = before == 0;
    const auto out = run(request(k_forwarding_on, k_router_b));
    EXPECT_EQ(out.code, ExitCode::refused) << out.result.message;
    EXPECT_NE(out.result.message.find("ambiguous"), std::string::npos) << out.result.message;
    EXPECT_EQ(mutations(), before + 1);
    vnics[k_router_b].skip = false;
  }
  fail_mutation = FakeHttpTransport::respond(409, R"({"code":"Conflict","message":"in use"})");
  const auto conflict = run(request(k_assign, k_router_a));
  EXPECT_EQ(conflict.code, ExitCode::provider) << conflict.result.message;
  EXPECT_NE(conflict.result.message.find("not retried"), std::string::npos);
}

// Given unassign: the secondary is deleted by its private IP OCID; the primary address and an
// address the VNIC no longer holds are refused with nothing sent.
TEST_F(OciActionsTest, UnassignDeletesTheSecondaryNeverThePrimary) {
  add_secondary(k_router_a, k_address);
  const std::string id = private_ips.back().id;
  const auto out = run(request(k_unassign, k_router_a));
  ASSERT_EQ(out.code, ExitCode::ok) << out.result.message;
  ASSERT_EQ(sent("DELETE").size(), 1u);
  EXPECT_EQ(path_of(sent("DELETE")[0].url), "/privateIps/" + id);
  EXPECT_FALSE(holds(k_router_a, k_address));

  const auto drift = run(request(k_unassign, k_router_a));
  EXPECT_EQ(drift.code, ExitCode::refused);
  EXPECT_NE(drift.result.message.find("drift"), std::string::npos);
  const auto primary = run(request(k_unassign, k_router_a, "10.242.1.2"));
  EXPECT_EQ(primary.code, ExitCode::refused);
  EXPECT_NE(primary.result.message.find("primary"), std::string::npos);
  EXPECT_EQ(sent("DELETE").size(), 1u);
}

// Given forwarding on then off with the recorded prior: skipSourceDestCheck goes true, then back
// to false; a prior of false skips the undo; a VNIC that shows false already is drift (refused).
TEST_F(OciActionsTest, ForwardingRestoresThePriorValueAndRefusesDrift) {
  const auto on = run(request(k_forwarding_on, k_router_a));
  ASSERT_EQ(on.code, ExitCode::ok) << on.result.message;
  EXPECT_EQ(on.result.observed["priorSourceDestCheck"], true);
  EXPECT_TRUE(vnics[k_router_a].skip);
  EXPECT_EQ(Json::parse(sent("PUT")[0].body), Json({{"skipSourceDestCheck", true}}));

  auto off = request(k_forwarding_off, k_router_a);
  off.parameters = {{"priorSourceDestCheck", false}};
  EXPECT_EQ(run(off).result.status, "skipped");
  EXPECT_TRUE(vnics[k_router_a].skip);
  off.parameters = {{"priorSourceDestCheck", true}};
  ASSERT_EQ(run(off).code, ExitCode::ok);
  EXPECT_FALSE(vnics[k_router_a].skip);
  const auto drift = run(off);
  EXPECT_EQ(drift.code, ExitCode::refused);
  EXPECT_NE(drift.result.message.find("drift"), std::string::npos);
  off.parameters = Json::object();
  EXPECT_EQ(run(off).code, ExitCode::refused);  // no recorded prior: never blindly
  EXPECT_EQ(sent("PUT").size(), 2u);
}

// Given a VNIC tagged with another run or not at all, expect the tag fence (exit 4) before
// anything is sent.
TEST_F(OciActionsTest, TagFenceRefusesAnotherRunsVnic) {
  EXPECT_EQ(run(request(k_assign, k_stranger)).code, ExitCode::refused);
  EXPECT_EQ(run(request(k_forwarding_on, k_router_a), "20261205T101500Z-cloudedge-other").code,
            ExitCode::refused);
  EXPECT_EQ(mutations(), 0u);
}

// Given hostile target ids — a path, a query, an encoded slash, another type, upper case, an
// ARM or ENI id — expect a usage error and no request at all.
TEST_F(OciActionsTest, HostileVnicIdsAreRefusedUnsent) {
  for (const std::string& bad :
       {std::string("ocid1.vnic.oc1.iad.a/../../instances/x"),
        std::string("ocid1.vnic.oc1.iad.a?x=1"), std::string("ocid1.vnic.oc1.iad.a%2f"),
        std::string("ocid1.instance.oc1.iad.aaaa"), std::string("ocid1.vnic.oc1.iad.AAAA"),
        std::string("eni-0a1b2c3d"), std::string(""), std::string("ocid1.vnic.oc1.iad.a\nb"),
        "ocid1.vnic.oc1.iad." + std::string(300, 'a')}) {
    const auto out = run(request(k_forwarding_on, bad));
    EXPECT_EQ(out.code, ExitCode::usage) << bad.substr(0, 60);
    EXPECT_NE(out.result.message.find("VNIC OCID"), std::string::npos);
    EXPECT_EQ(run(seize(k_router_a, bad)).code, ExitCode::refused) << bad.substr(0, 60);
  }
  EXPECT_EQ(mutations(), 0u);
  for (const auto& r : all_requests()) {
    EXPECT_EQ(path_of(r.url).find(".."), std::string::npos) << r.url;
  }
}

// Given hostile answers — a VNIC answer for another id, a private IP whose OCID holds a path —
// expect a hard stop before any mutation.
TEST_F(OciActionsTest, HostileAnswersStopBeforeAnyMutation) {
  vnic_override = vnic_json(k_router_b);
  auto other = run(request(k_forwarding_on, k_router_a));
  EXPECT_EQ(other.code, ExitCode::refused);
  EXPECT_NE(other.result.message.find("not the one asked for"), std::string::npos);
  vnic_override = nullptr;
  extra_private_ip = {{"id", "ocid1.privateip.oc1.iad.a/../../vnics/x"},
                      {"ipAddress", "10.242.1.99"},
                      {"vnicId", k_router_a},
                      {"isPrimary", false}};
  EXPECT_EQ(run(request(k_unassign, k_router_a, "10.242.1.99")).code, ExitCode::refused);
  EXPECT_EQ(mutations(), 0u);
}

// Given dry-run mode (a dry client), expect the facts read and nothing mutated.
TEST_F(OciActionsTest, DryRunReadsOnly) {
  add_secondary(k_router_b, k_address);
  for (const auto& r : {request(k_assign, k_router_a, k_address, k_mode_dry_run),
                        request(k_forwarding_on, k_router_a, "", k_mode_dry_run)}) {
    const auto out = run(r);
    EXPECT_EQ(out.code, ExitCode::ok) << out.result.message;
    EXPECT_NE(out.result.message.find("dry-run"), std::string::npos);
  }
  auto s = seize(k_router_a, k_router_b);
  s.mode = k_mode_dry_run;
  EXPECT_EQ(run(s).code, ExitCode::ok);
  EXPECT_EQ(mutations(), 0u);
}

}  // namespace
}  // namespace labctl::providers::oci
