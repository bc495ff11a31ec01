#include "providers/aws/sigv4.hpp"

#include <gtest/gtest.h>

namespace labctl::providers::aws {
namespace {

// The AWS SigV4 test suite's fixed inputs: 2015-08-30T12:36:00Z, us-east-1, service "service".
const Credentials k_suite_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
const SigningScope k_suite_scope{"us-east-1", "service"};
const SystemTime k_suite_time = SystemTime(std::chrono::seconds(1440938160));

std::string authorization(const SigningRequest& request, const Credentials& credentials) {
  auto headers = sign(request, credentials, k_suite_scope, k_suite_time);
  EXPECT_TRUE(headers.has_value());
  return find_header(*headers, "authorization").value_or("");
}

// Given the suite's get-vanilla request, expect its published canonical request and signature.
TEST(Sigv4, GetVanillaMatchesTheTestSuite) {
  const HttpHeaders headers = {{"Host", "example.amazonaws.com"},
                               {"X-Amz-Date", "20150830T123600Z"}};
  const auto canonical = canonical_request("GET", "https://example.amazonaws.com/", headers, "");
  ASSERT_TRUE(canonical.has_value());
  EXPECT_EQ(*canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(string_to_sign(k_suite_time, k_suite_scope, *canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(authorization({"GET", "https://example.amazonaws.com/", {}, ""}, k_suite_credentials),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(Sigv4, QueryParametersAreSortedByKey) {
  EXPECT_EQ(
      authorization({"GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", {}, ""},
                    k_suite_credentials),
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(Sigv4, FormPostSignsContentTypeAndBody) {
  const SigningRequest request{"POST",
                               "https://example.amazonaws.com/",
                               {{"Content-Type", "application/x-www-form-urlencoded"}},
                               "Param1=value1"};
  EXPECT_EQ(authorization(request, k_suite_credentials),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

// Given the IAM documentation's example secret and scope, expect its published signing key.
TEST(Sigv4, SigningKeyMatchesTheDocumentedExample) {
  const auto key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                               SigningScope{"us-east-1", "iam"});
  EXPECT_EQ(hex(key.data(), key.size()),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sigv4, SessionTokenIsSentAndSigned) {
  const Credentials with_token("AKIDEXAMPLE", "secret", "TOKEN-VALUE");
  const auto headers = sign({"POST", "https://ec2.us-east-1.amazonaws.com/", {}, "Action=X"},
                            with_token, {"us-east-1", "ec2"}, k_suite_time);
  ASSERT_TRUE(headers.has_value());
  EXPECT_EQ(find_header(*headers, "X-Amz-Security-Token"), "TOKEN-VALUE");
  EXPECT_NE(find_header(*headers, "Authorization")
                ->find("SignedHeaders=host;x-amz-date;x-amz-security-token"),
            std::string::npos);
}

TEST(Sigv4, HeaderValuesAreTrimmedAndUnsignedHeadersSkipped) {
  const HttpHeaders headers = {{"Host", "h"},
                               {"X-Amz-Date", "d"},
                               {"My-Header", "  a   b  c "},
                               {"User-Agent", "x"},
                               {"Expect", "100-continue"}};
  const auto canonical = canonical_request("GET", "https://h/a$b/c", headers, "");
  ASSERT_TRUE(canonical.has_value());
  EXPECT_NE(canonical->find("\nmy-header:a b c\n"), std::string::npos);
  EXPECT_NE(canonical->find("\n/a%24b/c\n"), std::string::npos);
  // A raw space is no URL (curl would not send it): refused (providers/url.hpp), not encoded.
  EXPECT_FALSE(canonical_request("GET", "https://h/a b/c", headers, "").has_value());
  EXPECT_EQ(signed_header_names(headers), "host;my-header;x-amz-date");
}

TEST(Sigv4, HostOmitsDefaultPortsOnly) {
  EXPECT_EQ(host_from_url("https://EC2.us-east-1.amazonaws.com/"), "ec2.us-east-1.amazonaws.com");
  EXPECT_EQ(host_from_url("https://h:443/"), "h");
  EXPECT_EQ(host_from_url("http://127.0.0.1:8080/"), "127.0.0.1:8080");
  EXPECT_EQ(host_from_url("http://[::1]:9/"), "[::1]:9");
  EXPECT_FALSE(host_from_url("not a url").has_value());
}

// Given signed headers with a canary secret and token, expect the debug rendering to hold
// neither, nor the signature, nor the full key id.
TEST(Sigv4, DebugRenderingDropsSignatureAndToken) {
  const Credentials canary("AKIACANARYKEYID0WXYZ", "CANARY-SECRET-7f3a", "CANARY-TOKEN-91bc");
  const auto headers = sign({"POST", "https://ec2.us-east-1.amazonaws.com/", {}, "Action=X"},
                            canary, {"us-east-1", "ec2"}, k_suite_time);
  ASSERT_TRUE(headers.has_value());
  const std::string signature =
      find_header(*headers, "Authorization")
          ->substr(find_header(*headers, "Authorization")->find("Signature=") + 10);
  const std::string rendered = redacted_headers(*headers);
  EXPECT_EQ(rendered.find("CANARY-SECRET"), std::string::npos);
  EXPECT_EQ(rendered.find("CANARY-TOKEN"), std::string::npos);
  EXPECT_EQ(rendered.find(signature), std::string::npos);
  EXPECT_EQ(rendered.find("AKIACANARYKEYID0"), std::string::npos);
  EXPECT_NE(rendered.find("...WXYZ/"), std::string::npos);
  EXPECT_NE(rendered.find("Signature=<redacted>"), std::string::npos);
}

}  // namespace
}  // namespace labctl::providers::aws
