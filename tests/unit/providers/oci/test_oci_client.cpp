// tests providers/oci/oci_client.hpp: signing, retries, errors, pagination, retry tokens and
// dry-run of the OCI REST client, against the scripted fake transport.
#include "providers/oci/oci_client.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/oci/credentials.hpp"
#include "providers/oci/signer.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/fakes/fake_http_transport.hpp"
#include "tests/fakes/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace labctl::providers::oci {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeHttpTransport;

constexpr const char* k_endpoint = "https://127.0.0.1:9";
constexpr const char* k_key_id = "ocid1.tenancy.oc1..aaaa/ocid1.user.oc1..bbbb/20:3b:97:13";
constexpr const char* k_compartment = "ocid1.compartment.oc1..aaaaaaaacompartment";
constexpr const char* k_run = "run-20261205-abcdef";

const PrivateKey& example_key() {
  static const PrivateKey key = [] {
    auto loaded =
        load_private_key(std::string(LABCTL_OCI_TEST_DATA) + "/oracle_docs_example_key.pem",
                         Secret(), "no pass phrase");
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return *loaded;
  }();
  return key;
}

FakeHttpTransport::Result answer(long status, std::string body, HttpHeaders headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

OciRequest create_vcn(std::string token = retry_token(k_run, "vcn")) {
  OciRequest request{OciService::core, "POST", "/vcns"};
  request.body = nlohmann::json{{"compartmentId", k_compartment}, {"cidrBlocks", {"10.0.0.0/16"}}};
  request.retry_token = std::move(token);
  return request;
}

OciRequest list_vcns() {
  return OciRequest{OciService::core, "GET", "/vcns", {{"compartmentId", k_compartment}}};
}

class OciClientTest : public ::testing::Test {
 protected:
  OciClient make_client(bool live, int max_attempts = 5) {
    OciClientOptions options;
    options.endpoints = OciEndpoints{k_endpoint, k_endpoint, k_endpoint};
    options.live = live;
    options.retry.max_attempts = max_attempts;
    OciClientDeps deps{transport, OciSigner{k_key_id, example_key()}, clock, [] { return 0.5; },
                       nullptr};
    return OciClient(std::move(options), std::move(deps));
  }
  std::shared_ptr<FakeHttpTransport> transport = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<testing::ManualClock> clock = std::make_shared<testing::ManualClock>();
};

// The request as the signer saw it: the sent headers without those the signer adds.
HttpHeaders own_headers(const HttpRequest& sent) {
  HttpHeaders own;
  for (const auto& [name, value] : sent.headers) {
    bool signer_owned = false;
    for (const char* added :
         {"date", "host", "content-length", "x-content-sha256", "authorization"}) {
      signer_owned = signer_owned || ascii::lower(name) == added;
    }
    if (!signer_owned) own.emplace_back(name, value);
  }
  return own;
}

// Checks the Authorization of `sent` two ways: the signer recomputes it byte for byte from the
// request as sent (its Date included), and OpenSSL verifies the signature over the signing
// string with the key's public half, as the OCI fake and OCI itself do.
void expect_verifiable(const HttpRequest& sent) {
  const auto date = find_header(sent.headers, "Date");
  ASSERT_TRUE(date.has_value());
  auto again = sign_request({sent.method, sent.url, own_headers(sent), sent.body}, k_key_id,
                            example_key(), *date);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(find_header(*again, "Authorization"), find_header(sent.headers, "Authorization"));

  auto text = signing_string(sent.method, sent.url, sent.headers);
  ASSERT_TRUE(text) << text.error().message;
  const std::string authorization = find_header(sent.headers, "Authorization").value_or("");
  const auto start = authorization.find("signature=\"") + 11;
  const std::string b64 = authorization.substr(start, authorization.size() - start - 1);
  std::string signature(b64.size(), '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(b64.data()),
                                     static_cast<int>(b64.size()));
  ASSERT_GT(length, 0);
  signature.resize(static_cast<std::size_t>(length) - (b64.ends_with("==")  ? 2
                                                       : b64.ends_with("=") ? 1
                                                                            : 0));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, example_key().get()),
            1);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(text->data()),
                             text->size()),
            1);
}

// Given a GET with a query and a create with a body, expect each sent to the service's version
// path with the query encoded, signed (Date from the Clock, Host, body headers for the POST) and
// verifiable with the key's public half.
TEST_F(OciClientTest, SignsEveryRequestVerifiably) {
  transport->push(answer(200, "[]"));
  transport->push(answer(200, R"({"id":"ocid1.vcn.oc1..v"})"));
  OciRequest get = list_vcns();
  get.query.emplace_back("displayName", "a b/c");
  const auto client = make_client(true);
  ASSERT_TRUE(client.send(get).has_value());
  const auto created = client.send(create_vcn());
  ASSERT_TRUE(created.has_value()) << created.error().describe();
  EXPECT_EQ(created->body["id"], "ocid1.vcn.oc1..v");

  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].url, std::string(k_endpoint) + "/20160918/vcns?compartmentId=" +
                                 k_compartment + "&displayName=a%20b%2Fc");
  EXPECT_EQ(find_header(requests[0].headers, "Date"), format_http_date(clock->now()));
  EXPECT_EQ(find_header(requests[0].headers, "Host"), "127.0.0.1:9");
  EXPECT_NE(find_header(requests[0].headers, "Authorization")
                .value_or("")
                .find("headers=\"date (request-target) host\",keyId=\"" + std::string(k_key_id)),
            std::string::npos);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(find_header(requests[1].headers, "Content-Type"), "application/json");
  EXPECT_EQ(find_header(requests[1].headers, "x-content-sha256"),
            body_sha256_base64(requests[1].body));
  for (const auto& request : requests) expect_verifiable(request);
}

// Given the three services, expect each on its own version path.
TEST_F(OciClientTest, ServicesUseTheirVersions) {
  transport->set_handler([](const HttpRequest&) { return answer(200, "{}"); });
  const auto client = make_client(false);
  ASSERT_TRUE(client.send({OciService::identity, "GET", "/availabilityDomains"}).has_value());
  OciRequest search{OciService::search, "POST", "/resources"};
  search.body = nlohmann::json{{"type", "Structured"}, {"query", "query all resources"}};
  search.read_only_post = true;
  ASSERT_TRUE(client.send(search).has_value());
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].url, std::string(k_endpoint) + "/20160918/availabilityDomains");
  EXPECT_EQ(requests[1].url, std::string(k_endpoint) + "/20180409/resources");
  EXPECT_FALSE(find_header(requests[1].headers, "opc-retry-token").has_value());
}

// Given a region, expect Oracle's regional hosts; given CE_OCI_ENDPOINT, that origin for all;
// a hostile region or a non-https override is a usage error.
TEST(OciEndpoints, RegionalHostsAndOverride) {
  auto regional = resolve_endpoints(testing::env_map({}), "us-ashburn-1");
  ASSERT_TRUE(regional) << regional.error().message;
  EXPECT_EQ(regional->core, "https://iaas.us-ashburn-1.oraclecloud.com");
  EXPECT_EQ(regional->identity, "https://identity.us-ashburn-1.oraclecloud.com");
  EXPECT_EQ(regional->search, "https://query.us-ashburn-1.oraclecloud.com");
  auto fake = resolve_endpoints(testing::env_map({{"CE_OCI_ENDPOINT", "https://127.0.0.1:4443/"}}),
                                "bad region");
  ASSERT_TRUE(fake) << fake.error().message;
  EXPECT_EQ(fake->of(OciService::search), "https://127.0.0.1:4443");
  for (const char* region : {"evil.com/x", "us-ashburn-1.attacker.net", "", "US-ASHBURN-1"}) {
    auto bad = resolve_endpoints(testing::env_map({}), region);
    ASSERT_FALSE(bad) << region;
    EXPECT_EQ(bad.error().code, ExitCode::usage);
  }
  for (const char* value : {"http://127.0.0.1:1", "https://h/x", "https://u@h", "https://h?a"}) {
    auto bad = resolve_endpoints(testing::env_map({{"CE_OCI_ENDPOINT", value}}), "phx");
    ASSERT_FALSE(bad) << value;
    EXPECT_NE(bad.error().message.find("CE_OCI_ENDPOINT"), std::string::npos);
  }
}

// Given 429 with retry-after 3, then 503, then 200, expect three sends, a 3 s wait, then the
// shared backoff (0.5 * 400 ms), and every attempt signed afresh with the Clock's later Date.
TEST_F(OciClientTest, ThrottlingAndServerErrorsRetried) {
  transport->push(
      answer(429, R"({"code":"TooManyRequests","message":"slow"})", {{"retry-after", "3"}}));
  transport->push(answer(503, "{}"));
  transport->push(answer(200, "[]"));
  const auto response = make_client(false).send(list_vcns());
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(clock->sleeps(), (std::vector<milliseconds>{seconds(3), milliseconds(200)}));
  EXPECT_NE(find_header(requests[0].headers, "Date"), find_header(requests[1].headers, "Date"));
  for (const auto& request : requests) expect_verifiable(request);
}

// Given a reset and a timeout then 200, expect both retried; given timeouts forever and 3
// attempts, a timeout error naming the bounds after 3 attempts.
TEST_F(OciClientTest, TimeoutsAndResetsRetried) {
  transport->push(FakeHttpTransport::transport_failure(TransportErrorKind::connection_reset));
  transport->push(FakeHttpTransport::transport_failure(TransportErrorKind::timeout));
  transport->push(answer(200, "[]"));
  ASSERT_TRUE(make_client(false).send(list_vcns()).has_value());
  EXPECT_EQ(transport->requests().size(), 3U);

  transport->set_handler([](const HttpRequest&) {
    return FakeHttpTransport::transport_failure(TransportErrorKind::timeout);
  });
  const auto failed = make_client(false, 3).send(list_vcns());
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, OciErrorKind::timeout);
  EXPECT_EQ(failed.error().attempts, 3);
  EXPECT_NE(failed.error().describe().find("CE_OCI_REQUEST_TIMEOUT"), std::string::npos);
  EXPECT_EQ(transport->requests().size(), 6U);
}

// Given 409, 401 and 403 answers, expect each returned after one send (never retried here).
TEST_F(OciClientTest, ConflictAndAuthNotRetried) {
  for (const long status : {409L, 401L, 403L}) {
    transport = std::make_shared<FakeHttpTransport>();
    transport->set_handler(
        [status](const HttpRequest&) { return answer(status, R"({"code":"X","message":"no"})"); });
    const auto failed = make_client(true).send(create_vcn());
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().kind, status == 409 ? OciErrorKind::conflict : OciErrorKind::auth);
    EXPECT_EQ(transport->requests().size(), 1U) << status;
  }
  EXPECT_TRUE(clock->sleeps().empty());
}

// Given an OCI error answer, expect status, code, message, opc-request-id and the operation in
// the error and its description, exit code 3.
TEST_F(OciClientTest, ErrorFieldsParsed) {
  transport->push(answer(409, R"({"code":"Conflict","message":"The Vcn has dependent resources"})",
                         {{"opc-request-id", "REQ/1234"}}));
  OciRequest remove{OciService::core, "DELETE", "/vcns/ocid1.vcn.oc1..v"};
  const auto failed = make_client(true).send(remove);
  ASSERT_FALSE(failed.has_value());
  const OciError& e = failed.error();
  EXPECT_EQ(e.http_status, 409);
  EXPECT_EQ(e.code, "Conflict");
  EXPECT_EQ(e.message, "The Vcn has dependent resources");
  EXPECT_EQ(e.request_id, "REQ/1234");
  EXPECT_EQ(e.operation, "DELETE core /vcns/ocid1.vcn.oc1..v");
  EXPECT_EQ(e.describe(),
            "oci DELETE core /vcns/ocid1.vcn.oc1..v (HTTP 409 Conflict): The Vcn has dependent "
            "resources (opc-request-id REQ/1234)");
  EXPECT_EQ(e.to_error().code, ExitCode::provider);
}

// Given hostile error answers (ill-formed UTF-8 and ESC in the fields, a megabyte message, a
// body that is not JSON, an ESC in opc-request-id), expect the fields still parsed, made
// printable and bounded.
TEST(OciErrorParse, HostileBodiesArePrintableAndBounded) {
  // Raw ill-formed bytes, and ESC as JSON spells it (\u001b).
  const std::string bad_utf8 = "{\"code\":\"Bad\xff\",\"message\":\"m\xc3\x28 \\u001b[31mred\"}";
  OciError e = parse_oci_error("GET core /vcns", 500, {{"opc-request-id", "id\x1b]0;x"}}, bad_utf8);
  EXPECT_EQ(e.kind, OciErrorKind::service);
  EXPECT_NE(e.code.find("Bad"), std::string::npos);
  EXPECT_NE(e.message.find("red"), std::string::npos) << e.message;
  for (const auto& text : {e.code, e.message, e.request_id, e.describe()}) {
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_TRUE(::labctl::text::is_valid_utf8(text)) << text;
  }

  const std::string huge = R"({"code":")" + std::string(100000, 'C') + R"(","message":")" +
                           std::string(1 << 20, 'M') + "\"}";
  e = parse_oci_error("GET core /vcns", 400, {{"opc-request-id", std::string(5000, 'r')}}, huge);
  EXPECT_LE(e.code.size(), 140U);
  EXPECT_LE(e.message.size(), 1040U);
  EXPECT_LE(e.request_id.size(), 140U);
  EXPECT_LE(e.describe().size(), 2048U);

  e = parse_oci_error("GET core /vcns", 502, {}, "<html>\x1b[2J bad gateway</html>");
  EXPECT_EQ(e.http_status, 502);
  EXPECT_EQ(e.code, "");
  EXPECT_NE(e.message.find("no error message"), std::string::npos);
}

// Given pages linked by opc-next-page (arrays for Core, "items" objects for Search), expect
// every item, and each later request carrying page=<token> (encoded) instead of the last one.
TEST_F(OciClientTest, PaginationFollowsOpcNextPage) {
  transport->push(answer(200, R"([{"id":"a"},{"id":"b"}])", {{"opc-next-page", "tok 1"}}));
  transport->push(answer(200, R"({"items":[{"id":"c"}]})", {{"opc-next-page", "tok2"}}));
  transport->push(answer(200, R"([{"id":"d"}])"));
  const auto items = make_client(false).list(list_vcns());
  ASSERT_TRUE(items.has_value()) << items.error().describe();
  ASSERT_EQ(items->size(), 4U);
  EXPECT_EQ(items->at(3)["id"], "d");
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 3U);
  const std::string base =
      std::string(k_endpoint) + "/20160918/vcns?compartmentId=" + k_compartment;
  EXPECT_EQ(requests[0].url, base);
  EXPECT_EQ(requests[1].url, base + "&page=tok%201");
  EXPECT_EQ(requests[2].url, base + "&page=tok2");
}

// Given an endpoint that always has another page, expect the listing to stop after 1000 pages
// with bad_answer; given a repeated token, expect it to stop at once.
TEST_F(OciClientTest, PaginationStopsAtTheCapAndOnLoops) {
  int served = 0;
  transport->set_handler([&served](const HttpRequest&) {
    ++served;
    return answer(200, "[]", {{"opc-next-page", "p" + std::to_string(served)}});
  });
  const auto endless = make_client(false).list(list_vcns());
  ASSERT_FALSE(endless.has_value());
  EXPECT_EQ(endless.error().kind, OciErrorKind::bad_answer);
  EXPECT_EQ(served, 1000);

  transport = std::make_shared<FakeHttpTransport>();
  transport->set_handler([](const HttpRequest&) {
    return answer(200, "[]", {{"opc-next-page", "same"}});
  });
  const auto looping = make_client(false).list(list_vcns());
  ASSERT_FALSE(looping.has_value());
  EXPECT_NE(looping.error().message.find("repeats"), std::string::npos);
  EXPECT_EQ(transport->requests().size(), 2U);

  transport->push(answer(200, R"({"not":"a list"})"));
  EXPECT_EQ(make_client(false).list(list_vcns()).error().kind, OciErrorKind::bad_answer);
}

// Given a create answered 500 then 200, expect both attempts to carry the same opc-retry-token,
// which is retry_token(run, resource): the same in any process, distinct per run and resource;
// a mutating POST without a token is refused unsent.
TEST_F(OciClientTest, RetryTokenOnCreatesStableAcrossRetries) {
  transport->push(answer(500, R"({"code":"InternalError","message":"try again"})"));
  transport->push(answer(200, R"({"id":"ocid1.vcn.oc1..v"})"));
  ASSERT_TRUE(make_client(true).send(create_vcn()).has_value());
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2U);
  const std::string token = retry_token(k_run, "vcn");
  EXPECT_EQ(find_header(requests[0].headers, "opc-retry-token"), token);
  EXPECT_EQ(find_header(requests[1].headers, "opc-retry-token"), token);
  EXPECT_EQ(token.size(), 47U);
  EXPECT_TRUE(token.starts_with("labctl-"));
  EXPECT_EQ(retry_token(k_run, "vcn"), token);
  EXPECT_NE(retry_token(k_run, "subnet/public"), token);
  EXPECT_NE(retry_token("run-other", "vcn"), token);
  EXPECT_NE(retry_token("ab", "c"), retry_token("a", "bc"));

  for (const char* bad : {"", "has space", "x\ny"}) {
    const auto refused = make_client(true).send(create_vcn(bad));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().kind, OciErrorKind::refused);
    EXPECT_NE(refused.error().message.find("opc-retry-token"), std::string::npos);
  }
  EXPECT_EQ(transport->requests().size(), 2U);
}

// Given a dry-run client, expect POST (create or action), PUT and DELETE refused (exit 4)
// without anything sent, reads and read-only searches sent, and plan_text showing method, path,
// query and body with no signature.
TEST_F(OciClientTest, DryRunRefusesMutationsUnsent) {
  const auto client = make_client(false);
  OciRequest update{OciService::core, "PUT", "/vnics/ocid1.vnic.oc1..n"};
  update.body = nlohmann::json{{"skipSourceDestCheck", true}};
  OciRequest action{
      OciService::core, "POST", "/instances/ocid1.instance.oc1..i", {{"action", "STOP"}}};
  action.retry_token = retry_token(k_run, "stop/r1");
  for (const auto& request : {create_vcn(), update, action,
                              OciRequest{OciService::core, "DELETE", "/vcns/ocid1.vcn.oc1..v"}}) {
    const auto refused = client.send(request);
    ASSERT_FALSE(refused.has_value()) << request.method;
    EXPECT_EQ(refused.error().kind, OciErrorKind::refused);
    EXPECT_EQ(refused.error().to_error().code, ExitCode::refused);
    EXPECT_NE(refused.error().message.find("dry-run"), std::string::npos);
  }
  EXPECT_TRUE(transport->requests().empty());
  EXPECT_EQ(client.plan_text(create_vcn()),
            "POST /20160918/vcns\n"
            R"({"cidrBlocks":["10.0.0.0/16"],"compartmentId":")" +
                std::string(k_compartment) + "\"}");
  EXPECT_EQ(client.plan_text(action), "POST /20160918/instances/ocid1.instance.oc1..i?action=STOP");

  transport->set_handler([](const HttpRequest&) { return answer(200, "[]"); });
  EXPECT_TRUE(client.send(list_vcns()).has_value());
  EXPECT_EQ(transport->requests().size(), 1U);
}

// Given paths that are not ours ("..", a query, escapes), expect refusal before signing.
TEST_F(OciClientTest, ForeignPathsRefused) {
  for (const char* path :
       {"vcns", "/vcns/../x", "/vcns/.", "/..", "/vcns?x=1", "/a%2Fb", "/a b", "/a\r\nX: y"}) {
    const auto refused = make_client(true).send({OciService::core, "GET", path});
    ASSERT_FALSE(refused.has_value()) << path;
    EXPECT_EQ(refused.error().kind, OciErrorKind::refused);
  }
  EXPECT_TRUE(transport->requests().empty());
}

// Writes an RSA key encrypted with `pass` as PEM.
std::string encrypted_pem(const std::string& pass) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(1024), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(pass.data()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), bytes,
                               static_cast<int>(pass.size()), nullptr, nullptr) != 1) {
    throw std::runtime_error("cannot make a test key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

class OciClientCanary : public testing::TempDirTest {};

// Given credentials from OCI_CLI_* with a key encrypted by a canary pass phrase and an endpoint
// that echoes every request (headers and body) into its errors, times out, or answers garbage,
// expect no error text to hold the pass phrase, a line of the key, or the request's signature.
TEST_F(OciClientCanary, KeyPassPhraseAndSignatureNeverInErrors) {
  const std::string pass = "canary-oci-pass-9d2c71";
  const std::string pem = encrypted_pem(pass);
  testing::write_text(tmp.path() / "key.pem", pem);
  const auto env =
      testing::env_map({{"OCI_CLI_USER", "ocid1.user.oc1..aaaaaaaauser"},
                        {"OCI_CLI_TENANCY", "ocid1.tenancy.oc1..aaaaaaaatenancy"},
                        {"OCI_CLI_FINGERPRINT", "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"},
                        {"OCI_CLI_KEY_FILE", (tmp.path() / "key.pem").string()},
                        {"OCI_CLI_PASSPHRASE", pass},
                        {"OCI_CLI_REGION", "us-phoenix-1"},
                        {"CE_OCI_ENDPOINT", k_endpoint},
                        {"CE_OCI_MAX_ATTEMPTS", "2"}});
  auto transport = std::make_shared<FakeHttpTransport>();
  std::vector<std::string> signatures;
  int call = 0;
  transport->set_handler([&](const HttpRequest& request) -> FakeHttpTransport::Result {
    std::string echo;
    for (const auto& [name, value] : request.headers) echo += name + ": " + value + "\n";
    echo += request.body;
    const std::string authorization = find_header(request.headers, "Authorization").value_or("");
    signatures.push_back(authorization.substr(authorization.find("signature=\"") + 11, 40));
    switch (call++ % 4) {
      case 0:
        return answer(401, nlohmann::json{{"code", "NotAuthenticated"}, {"message", echo}}.dump());
      case 1:
        return std::unexpected(TransportError{TransportErrorKind::transport, echo});
      case 2:
        return answer(409, nlohmann::json{{"code", echo}, {"message", echo}}.dump(),
                      {{"opc-request-id", echo}});
      default:
        return answer(200, "{" + echo);
    }
  });
  auto factory =
      OciClientFactory::from_env(env, std::make_shared<testing::ManualClock>(), transport);
  auto client = factory->client(true);
  ASSERT_TRUE(client) << client.error().message;
  std::vector<std::string> texts;
  for (int i = 0; i < 4; ++i) {
    const auto failed = (*client)->send(create_vcn());
    ASSERT_FALSE(failed.has_value());
    texts.push_back(failed.error().describe());
  }
  ASSERT_EQ(signatures.size(), 4U);
  const std::string key_line = pem.substr(pem.find('\n') + 1, 40);
  for (const auto& text : texts) {
    EXPECT_EQ(text.find(pass), std::string::npos) << text;
    EXPECT_EQ(text.find(key_line), std::string::npos) << text;
    for (const auto& signature : signatures)
      EXPECT_EQ(text.find(signature), std::string::npos) << text;
  }
}

// Given no credentials, expect the factory's usage error (naming what is missing), again on the
// next call; given a bad CE_OCI_MAX_ATTEMPTS, an error naming it.
TEST(OciClientFactoryTest, ErrorsAreUsageAndSticky) {
  auto factory =
      OciClientFactory::from_env(testing::env_map({}), std::make_shared<testing::ManualClock>(),
                                 std::make_shared<FakeHttpTransport>());
  auto first = factory->client(false);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ExitCode::usage);
  EXPECT_EQ(factory->client(true).error().message, first.error().message);
  auto bad = OciClientFactory::from_env(testing::env_map({{"CE_OCI_MAX_ATTEMPTS", "lots"}}),
                                        std::make_shared<testing::ManualClock>(),
                                        std::make_shared<FakeHttpTransport>());
  EXPECT_NE(bad->client(false).error().message.find("CE_OCI_MAX_ATTEMPTS"), std::string::npos);
}

}  // namespace
}  // namespace labctl::providers::oci
