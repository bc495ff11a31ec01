#include "providers/oci/signer.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "providers/oci/private_key.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::oci {
namespace {

// The inputs of the example on Oracle's "Request Signatures" page (signingrequests.htm).
constexpr const char* k_example_key_id =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/"
    "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/"
    "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
constexpr const char* k_example_date = "Thu, 05 Jan 2014 21:31:40 GMT";
constexpr const char* k_example_get_url =
    "https://iaas.us-phoenix-1.oraclecloud.com/20160918/instances"
    "?availabilityDomain=Pjwf%3A%20PHX-AD-1"
    "&compartmentId=ocid1.compartment.oc1.."
    "aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa"
    "&displayName=TeamXInstances"
    "&volumeId=ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q";
constexpr const char* k_example_post_url =
    "https://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeAttachments";
constexpr const char* k_example_post_body =
    "{\n"
    "    \"compartmentId\": "
    "\"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n"
    "    \"instanceId\": "
    "\"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n"
    "    \"volumeId\": "
    "\"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n"
    "}";

PrivateKey example_key() {
  auto key = load_private_key(std::string(LABCTL_OCI_TEST_DATA) + "/oracle_docs_example_key.pem",
                              Secret(), "no pass phrase");
  if (!key) throw std::runtime_error(key.error().message);
  return *key;
}

std::string header(const HttpHeaders& headers, const std::string& name) {
  return find_header(headers, name).value_or("<absent>");
}

// Given Oracle's documented GET example, expect its Authorization header byte for byte.
TEST(OciSigner, ReproducesOraclesDocumentedGetExample) {
  const SignableRequest request{"GET", k_example_get_url, {}, ""};
  auto added = sign_request(request, k_example_key_id, example_key(), k_example_date);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(header(*added, "authorization"),
            std::string("Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"") +
                k_example_key_id +
                "\",algorithm=\"rsa-sha256\",signature=\"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/"
                "peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZAHc9r2DmE4pMwOAy/"
                "kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=\"");
  EXPECT_EQ(header(*added, "date"), k_example_date);
  EXPECT_EQ(header(*added, "host"), "iaas.us-phoenix-1.oraclecloud.com");
  EXPECT_EQ(header(*added, "content-length"), "<absent>");
  EXPECT_EQ(header(*added, "x-content-sha256"), "<absent>");
}

// Given Oracle's documented POST example, expect its body hash, length and Authorization header
// byte for byte.
TEST(OciSigner, ReproducesOraclesDocumentedPostExample) {
  const SignableRequest request{"POST", k_example_post_url, {}, k_example_post_body};
  auto added = sign_request(request, k_example_key_id, example_key(), k_example_date);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(header(*added, "content-length"), "316");
  EXPECT_EQ(header(*added, "content-type"), "application/json");
  EXPECT_EQ(header(*added, "x-content-sha256"), "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=");
  EXPECT_EQ(header(*added, "authorization"),
            std::string("Signature version=\"1\",headers=\"date (request-target) host "
                        "content-length content-type x-content-sha256\",keyId=\"") +
                k_example_key_id +
                "\",algorithm=\"rsa-sha256\",signature=\"Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNR"
                "im23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhqlocMwoSXv0fbukP8J5N80LCmzT/"
                "FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=\"");
}

TEST(OciSigner, AddsHeadersInDocumentedOrder) {
  const SignableRequest request{"put", "https://h.example/x", {}, "{}"};
  auto added = sign_request(request, "t/u/f", example_key(), k_example_date);
  ASSERT_TRUE(added) << added.error().message;
  std::vector<std::string> names;
  for (const auto& [name, value] : *added) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"Date", "Host", "Content-Length", "Content-Type",
                                             "x-content-sha256", "Authorization"}));
}

TEST(OciSigner, SigningStringFollowsTheSpecification) {
  const HttpHeaders headers = {{"Date", k_example_date},
                               {"Host", "h.example"},
                               {"Content-Type", "application/json"},
                               {"content-length", "2"},
                               {"X-Content-SHA256", "abc="}};
  auto text = signing_string("PATCH", "https://h.example/20160918/vnics/x?a=%20b", headers);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, std::string("date: ") + k_example_date +
                       "\n(request-target): patch /20160918/vnics/x?a=%20b\nhost: h.example\n"
                       "content-length: 2\ncontent-type: application/json\nx-content-sha256: abc=");
}

// Given a Content-Type of the caller's, expect it signed and not added a second time.
TEST(OciSigner, KeepsTheCallersContentType) {
  const SignableRequest request{
      "POST", "https://h.example/a", {{"Content-Type", "application/merge-patch+json"}}, "{}"};
  auto added = sign_request(request, "t/u/f", example_key(), k_example_date);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(header(*added, "content-type"), "<absent>");
  HttpHeaders all = request.headers;
  all.insert(all.end(), added->begin(), added->end());
  auto text = signing_string("POST", request.url, all);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("content-type: application/merge-patch+json"), std::string::npos);
}

TEST(OciSigner, EmptyPutBodyIsStillSigned) {
  auto added =
      sign_request({"PUT", "https://h.example/a", {}, ""}, "t/u/f", example_key(), k_example_date);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(header(*added, "content-length"), "0");
  EXPECT_EQ(header(*added, "x-content-sha256"), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(OciSigner, HostKeepsOnlyANonDefaultPort) {
  EXPECT_EQ(host_for("http://127.0.0.1:8443/x").value_or("?"), "127.0.0.1:8443");
  EXPECT_EQ(host_for("https://IAAS.Example:443/x").value_or("?"), "iaas.example");
  EXPECT_EQ(host_for("http://h.example:80").value_or("?"), "h.example");
  EXPECT_EQ(host_for("http://[::1]:9000/").value_or("?"), "[::1]:9000");
  EXPECT_EQ(request_target("GET", "http://h.example?x=1").value_or("?"), "get /?x=1");
  EXPECT_EQ(request_target("DELETE", "http://h.example").value_or("?"), "delete /");
}

TEST(OciSigner, RefusesWhatItCannotSignHonestly) {
  const PrivateKey key = example_key();
  const auto refused = [&](SignableRequest request, std::string_view key_id = "t/u/f",
                           std::string_view date = k_example_date) {
    auto added = sign_request(request, key_id, key, date);
    return !added && added.error().code == ExitCode::usage;
  };
  EXPECT_TRUE(refused({"GET", "https://h.example/a", {{"date", "x"}}, ""}));
  EXPECT_TRUE(refused({"GET", "https://h.example/a", {{"Authorization", "x"}}, ""}));
  EXPECT_TRUE(refused({"POST", "https://h.example/a", {{"X-Content-Sha256", "x"}}, "{}"}));
  EXPECT_TRUE(refused({"GET", "https://h.example/a", {}, "body"}));
  EXPECT_TRUE(refused({"TRACE", "https://h.example/a", {}, ""}));
  EXPECT_TRUE(refused({"GET", "ftp://h.example/a", {}, ""}));
  EXPECT_TRUE(refused({"GET", "https://user@h.example/a", {}, ""}));
  EXPECT_TRUE(refused({"GET", "https://h.example/a b", {}, ""}));
  EXPECT_TRUE(refused({"GET", "https://h.example/a#frag", {}, ""}));
  EXPECT_TRUE(refused({"GET", "/relative", {}, ""}));
  EXPECT_TRUE(refused({"GET", "https://h.example/a", {}, ""}, "t/u\"/f"));
  EXPECT_TRUE(refused({"GET", "https://h.example/a", {}, ""}, "t/u/f", "2014-01-05T21:31:40Z"));
  EXPECT_TRUE(refused({"GET", "https://h.example/a", {}, ""}, "t/u/f",
                      "Thu, 05 Jan 2014 21:31:40 GMT\r\nX: y"));
  EXPECT_FALSE(refused({"GET", "https://h.example/a", {{"opc-request-id", "r"}}, ""}));
}

TEST(OciSigner, FormatsHttpDates) {
  // 2014-01-05T21:31:40Z was a Sunday (Oracle's example says "Thu"; the date is signed as given).
  const SystemTime time{std::chrono::seconds{1388957500}};
  EXPECT_EQ(format_http_date(time), "Sun, 05 Jan 2014 21:31:40 GMT");
}

TEST(OciSigner, RedactedDropsOnlyTheSignature) {
  auto added =
      sign_request({"GET", "https://h.example/a", {}, ""}, "t/u/f", example_key(), k_example_date);
  ASSERT_TRUE(added);
  const HttpHeaders shown = redacted(*added);
  const std::string authorization = header(shown, "authorization");
  EXPECT_EQ(authorization,
            "Signature version=\"1\",headers=\"date (request-target) host\","
            "keyId=\"t/u/f\",algorithm=\"rsa-sha256\",signature=\"<redacted>\"");
  EXPECT_EQ(header(shown, "date"), k_example_date);
}

}  // namespace
}  // namespace labctl::providers::oci
