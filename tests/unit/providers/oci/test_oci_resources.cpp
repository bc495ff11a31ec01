// tests providers/oci/oci_resources.hpp: the kinds table, OCID shapes (hostile ones included),
// freeform tags, the Resource Search query, and search / get_by_id / fenced / confirm_gone
// against the scripted fake transport.
#include "providers/oci/oci_resources.hpp"

#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "providers/oci/private_key.hpp"
#include "providers/secret.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"

namespace labctl::providers::oci {
namespace {

using testing::FakeHttpTransport;

constexpr const char* k_vcn = "ocid1.vcn.oc1.iad.aaaaaaaa0123456789abcdef";
constexpr const char* k_instance = "ocid1.instance.oc1.iad.aaaaaaaa0123456789abcdef";
constexpr const char* k_run = "20261205T101500Z-cloudedge-lab";

TEST(OciKinds, TableCoversTheSixKindsInCreateOrderWithInstancesDeletedFirstAndVcnLast) {
  std::vector<std::string> names;
  std::set<int> orders;
  for (const auto& kind : kinds()) {
    names.emplace_back(kind.kind);
    orders.insert(kind.delete_order);
    EXPECT_EQ(kind_named(kind.kind), &kind);
    EXPECT_EQ(kind_of_search_type(kind.search_type), &kind);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"vcn", "internetGateway", "routeTable", "securityList",
                                             "subnet", "instance"}));
  EXPECT_EQ(kind_named("instance")->delete_order, *orders.begin());
  EXPECT_EQ(kind_named("vcn")->delete_order, *orders.rbegin());
  // The route table's rule targets the internet gateway; subnets use the route table and list.
  EXPECT_LT(kind_named("routeTable")->delete_order, kind_named("internetGateway")->delete_order);
  EXPECT_LT(kind_named("subnet")->delete_order, kind_named("routeTable")->delete_order);
  EXPECT_LT(kind_named("subnet")->delete_order, kind_named("securityList")->delete_order);
  EXPECT_EQ(kind_named("bootVolume"), nullptr);
  EXPECT_EQ(kind_of_search_type("BootVolume"), nullptr);
  EXPECT_EQ(kind_of_search_type("vcn"), nullptr);  // search types are spelt as OCI spells them
}

TEST(OciOcid, WellFormedOcidsOfTheSixKindsAreRecognised) {
  EXPECT_EQ(kind_of_ocid(k_vcn), kind_named("vcn"));
  EXPECT_EQ(kind_of_ocid(k_instance), kind_named("instance"));
  EXPECT_EQ(kind_of_ocid("ocid1.subnet.oc1..aaaa"), kind_named("subnet"));  // no region
  EXPECT_EQ(kind_of_ocid("ocid1.routetable.oc1.iad.future-part.aaaa"), kind_named("routeTable"));
  EXPECT_EQ(kind_of_ocid("ocid1.securitylist.oc1.eu-frankfurt-1.aaaa"), kind_named("securityList"));
  EXPECT_EQ(kind_of_ocid("ocid1.internetgateway.oc1.iad.aaaa"), kind_named("internetGateway"));
  EXPECT_TRUE(is_ocid_of("ocid1.compartment.oc1..aaaaaaaafake", "compartment"));
  EXPECT_TRUE(is_ocid_of("ocid1.vnic.oc1.iad.abc", "vnic"));
}

// Given OCIDs an endpoint or a state file could carry to smuggle a path, a query or another
// type, expect each to be refused: none of them may become a request path segment.
TEST(OciOcid, HostileOrMisshapenOcidsAreRefused) {
  const std::string hostile[] = {
      "",
      "ocid1.vcn.oc1.iad.aaaa/../instances",
      "ocid1.vcn.oc1.iad.aaaa?preserveBootVolume=true",
      "ocid1.vcn.oc1.iad.aa%2Faa",
      "..",
      "ocid1.vcn.oc1.iad..",
      "ocid1.vcn.oc1.iad.aaaa.b.c",  // too many parts
      "ocid1.vcn.oc1",               // too few
      "ocid1..oc1.iad.aaaa",         // no type
      "ocid1.vcn..iad.aaaa",         // no realm
      "ocid2.vcn.oc1.iad.aaaa",      // not version 1
      "OCID1.VCN.OC1.IAD.AAAA",      // upper case
      "ocid1.vcn.oc1.iad.aa aa",     // space
      std::string("ocid1.vcn.oc1.iad.aa\naa"),
      std::string("ocid1.vcn.oc1.iad.aa\0aa", 23),
      "ocid1.vcn.oc1.iad." + std::string(300, 'a'),
      "ocid1.bootvolume.oc1.iad.aaaa",  // not a kind labctl creates
  };
  for (const auto& ocid : hostile) {
    EXPECT_EQ(kind_of_ocid(ocid), nullptr) << ocid;
  }
  EXPECT_FALSE(is_ocid_of("ocid1.vcn.oc1.iad.aaaa", "compartment"));
  EXPECT_FALSE(is_ocid_of("ocid1.compartment.oc1..a/b", "compartment"));
  EXPECT_FALSE(is_ocid_of("ocid1.tenancy.oc1..T", "tenancy"));  // upper case
  EXPECT_FALSE(is_ocid_of("ocid1..oc1..aaaa", ""));
  // 255 bytes is the bound.
  const std::string at_bound = "ocid1.vcn.oc1.iad." + std::string(255 - 18, 'a');
  EXPECT_EQ(kind_of_ocid(at_bound), kind_named("vcn"));
  EXPECT_EQ(kind_of_ocid(at_bound + "a"), nullptr);
}

TEST(OciTags, FreeformTagsKeepStringValuesOnly) {
  const auto tags = freeform_tags(nlohmann::json::parse(
      R"({"freeformTags":{"routerd.cloudedge.run_id":"r","n":1,"o":{"x":"y"},"Name":"lab"}})"));
  EXPECT_EQ(tags, (std::map<std::string, std::string>{{"routerd.cloudedge.run_id", "r"},
                                                      {"Name", "lab"}}));
  EXPECT_TRUE(freeform_tags(nlohmann::json::parse(R"({"freeformTags":["a"]})")).empty());
  EXPECT_TRUE(freeform_tags(nlohmann::json::parse(R"("text")")).empty());
}

TEST(OciQuery, TaggedQueryBindsKeyAndValueToOneTagAndSkipsTerminated) {
  auto one = tagged_query(k_run);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(*one,
            "query all resources where (freeformTags.key = 'routerd.cloudedge.run_id' && "
            "freeformTags.value = '20261205T101500Z-cloudedge-lab') && lifecycleState != "
            "'TERMINATED'");
  auto any = tagged_query("");
  ASSERT_TRUE(any);
  EXPECT_EQ(*any,
            "query all resources where (freeformTags.key = 'routerd.cloudedge.run_id') && "
            "lifecycleState != 'TERMINATED'");
}

// Given run ids that would end the quoted literal or are not labctl's, expect a usage error.
TEST(OciQuery, TaggedQueryRefusesWhatIsNotALabctlRunId) {
  for (const char* bad :
       {"20261205T101500Z-cloudedge-a'b", "20261205T101500Z-cloudedge-a') || (x = 'y",
        "20261205T101500Z-cloudedge-a\\", "x' || identifier != '", "not-a-run-id"}) {
    auto query = tagged_query(bad);
    ASSERT_FALSE(query) << bad;
    EXPECT_EQ(query.error().code, ExitCode::usage);
  }
}

FakeHttpTransport::Result answer(long status, const nlohmann::json& body) {
  return HttpResponse{status, {}, body.dump()};
}

nlohmann::json vcn_body(const std::string& run, const std::string& state = "AVAILABLE") {
  nlohmann::json body = {{"id", k_vcn}, {"lifecycleState", state}};
  if (!run.empty()) body["freeformTags"] = {{"routerd.cloudedge.run_id", run}};
  return body;
}

class OciResourcesTest : public ::testing::Test {
 protected:
  OciResourcesTest() {
    auto key = load_private_key(std::string(LABCTL_OCI_TEST_DATA) + "/oracle_docs_example_key.pem",
                                Secret(), "no pass phrase");
    if (!key) throw std::runtime_error(key.error().message);
    OciClientOptions options;
    options.endpoints =
        OciEndpoints{"https://127.0.0.1:9", "https://127.0.0.1:9", "https://127.0.0.1:9"};
    options.retry.max_attempts = 1;
    client = std::make_unique<OciClient>(
        std::move(options), OciClientDeps{transport, OciSigner{"t/u/f", std::move(*key)}, clock,
                                          [] { return 0.5; }, nullptr});
  }

  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<labctl::testing::ManualClock> clock =
      std::make_shared<labctl::testing::ManualClock>();
  std::unique_ptr<OciClient> client;
};

// Given a two-page search answer from a dry client, expect one read-only POST per page with the
// structured body and every item collected.
TEST_F(OciResourcesTest, SearchPostsTheStructuredQueryInDryRunAndCollectsEveryPage) {
  transport->push(HttpResponse{
      200, {{"opc-next-page", "p2"}}, R"({"items":[{"identifier":"a","resourceType":"Vcn"}]})"});
  transport->push(answer(200, {{"items", {{{"identifier", "b"}, {"resourceType", "Instance"}}}}}));
  auto items = search(*client, "query all resources");
  ASSERT_TRUE(items) << items.error().describe();
  ASSERT_EQ(items->size(), 2U);
  const auto sent = transport->requests();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, "https://127.0.0.1:9/20180409/resources");
  EXPECT_EQ(nlohmann::json::parse(sent[0].body), (nlohmann::json{{"type", "Structured"},
                                                                 {"query", "query all resources"},
                                                                 {"matchingContextType", "NONE"}}));
  EXPECT_NE(sent[1].url.find("page=p2"), std::string::npos);
}

TEST_F(OciResourcesTest, SearchItemWithoutIdentifierIsABadAnswer) {
  transport->push(answer(200, {{"items", {{{"identifier", 7}, {"resourceType", "Vcn"}}}}}));
  auto items = search(*client, "query all resources");
  ASSERT_FALSE(items);
  EXPECT_EQ(items.error().kind, OciErrorKind::bad_answer);
}

// Given 404, TERMINATED and (for instances) TERMINATING answers, expect "gone"; a live one is
// returned; an answer about another OCID is bad_answer.
TEST_F(OciResourcesTest, GetByIdReadsGoneStatesAndRefusesAnAnswerForAnotherId) {
  const OciKind& vcn = *kind_named("vcn");
  const OciKind& instance = *kind_named("instance");
  transport->push(answer(404, {{"code", "NotAuthorizedOrNotFound"}, {"message", "x"}}));
  auto missing = get_by_id(*client, vcn, k_vcn);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  EXPECT_EQ(transport->requests().back().url,
            std::string("https://127.0.0.1:9/20160918/vcns/") + k_vcn);

  transport->push(answer(200, vcn_body(k_run, "TERMINATED")));
  EXPECT_FALSE(get_by_id(*client, vcn, k_vcn).value());
  transport->push(answer(200, vcn_body(k_run, "TERMINATING")));
  EXPECT_TRUE(get_by_id(*client, vcn, k_vcn).value());  // a network resource still going
  transport->push(answer(200, {{"id", k_instance}, {"lifecycleState", "TERMINATING"}}));
  EXPECT_FALSE(get_by_id(*client, instance, k_instance).value());

  transport->push(
      answer(200, {{"id", "ocid1.vcn.oc1.iad.other"}, {"lifecycleState", "AVAILABLE"}}));
  auto other = get_by_id(*client, vcn, k_vcn);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, OciErrorKind::bad_answer);
}

TEST_F(OciResourcesTest, GetByIdSendsNothingForAnOcidOfAnotherKindOrShape) {
  const OciKind& vcn = *kind_named("vcn");
  for (const std::string& bad :
       {std::string(k_instance), std::string("ocid1.vcn.oc1.iad.a/../b")}) {
    auto got = get_by_id(*client, vcn, bad);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().kind, OciErrorKind::refused);
  }
  EXPECT_TRUE(transport->requests().empty());
}

// Given a resource of another run, an untagged one, a gone one and one of this run, expect the
// fence to refuse (exit 4) the first two, answer nullopt for the gone one and the body else.
TEST_F(OciResourcesTest, FenceRefusesAnotherRunsOrUntaggedResource) {
  const OciKind& vcn = *kind_named("vcn");
  transport->push(answer(200, vcn_body("20261205T101500Z-cloudedge-other")));
  auto other = fenced(*client, vcn, k_vcn, k_run);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ExitCode::refused);
  EXPECT_NE(other.error().message.find("cloudedge-other"), std::string::npos);

  transport->push(answer(200, vcn_body("")));
  auto untagged = fenced(*client, vcn, k_vcn, k_run);
  ASSERT_FALSE(untagged);
  EXPECT_EQ(untagged.error().code, ExitCode::refused);

  transport->push(answer(404, {{"code", "NotAuthorizedOrNotFound"}}));
  auto gone = fenced(*client, vcn, k_vcn, k_run);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);

  transport->push(answer(200, vcn_body(k_run)));
  auto ours = fenced(*client, vcn, k_vcn, k_run);
  ASSERT_TRUE(ours);
  EXPECT_TRUE(*ours);
}

TEST_F(OciResourcesTest, ConfirmGoneAsksAgainUntilGoneOrTheBound) {
  const OciKind& vcn = *kind_named("vcn");
  transport->push(answer(200, vcn_body(k_run, "TERMINATING")));
  transport->push(answer(503, {{"code", "InternalServerError"}}));
  transport->push(answer(404, {{"code", "NotAuthorizedOrNotFound"}}));
  auto gone = confirm_gone(*client, vcn, k_vcn);
  ASSERT_TRUE(gone) << gone.error().describe();
  EXPECT_TRUE(*gone);
  EXPECT_EQ(transport->requests().size(), 3U);

  transport->set_handler([](const HttpRequest&) { return answer(200, vcn_body(k_run)); });
  const auto before = clock->steady_now();
  auto present = confirm_gone(*client, vcn, k_vcn);
  ASSERT_TRUE(present);
  EXPECT_FALSE(*present);
  EXPECT_LE(clock->steady_now() - before, k_confirm_bound);
}

TEST_F(OciResourcesTest, ConfirmGoneStopsAtOnceOnAnAuthFailure) {
  transport->set_handler([](const HttpRequest&) {
    return answer(401, {{"code", "NotAuthenticated"}});
  });
  auto result = confirm_gone(*client, *kind_named("vcn"), k_vcn);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, OciErrorKind::auth);
  EXPECT_EQ(transport->requests().size(), 1U);
}

}  // namespace
}  // namespace labctl::providers::oci
