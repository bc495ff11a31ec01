// SigV4 and the EC2 Query API encoding (providers/aws/query.hpp, sigv4.hpp). The input is
// "<path>\0<query>\0<header name>\0<header value>\0<body / form value>". Properties:
// - uri_encode emits only unreserved characters and upper-case %XX (and '/' when keeping
//   slashes), and percent-decoding it gives the input back;
// - a form body (QueryParams::form_encode) decodes back to exactly its key/value pairs;
// - canonical_request and sign are deterministic, the Authorization header has the SigV4 shape
//   with a 64-hex signature, and redacted_headers shows neither the signature nor the token.
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "providers/aws/query.hpp"
#include "providers/aws/sigv4.hpp"

namespace {

namespace aws = labctl::providers::aws;
using labctl::providers::find_header;
using labctl::providers::HttpHeaders;
using labctl::fuzz::check;

constexpr const char* k_secret = "CANARY-SECRET-0cc175b9";
constexpr const char* k_token = "CANARY-TOKEN-92eb5ffe";

bool unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' ||
         c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case hex is not what SigV4 wants
}

// Percent-decodes `encoded`, checking it is in the encoder's alphabet; nullopt if not.
std::optional<std::string> decode(std::string_view encoded, bool keep_slash) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      if (i + 2 >= encoded.size()) return std::nullopt;
      const int high = hex_value(encoded[i + 1]);
      const int low = hex_value(encoded[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

void check_encoding(std::string_view text) {
  for (const bool keep_slash : {false, true}) {
    const auto decoded = decode(aws::uri_encode(text, keep_slash), keep_slash);
    check(decoded.has_value(), "uri_encode uses only unreserved characters and %XX");
    check(*decoded == text, "uri_encode decodes back to its input");
  }
}

void check_form(const std::string& key, const std::string& value) {
  aws::QueryParams params{{"Action", "DescribeInstances"}, {"Version", "2016-11-15"}};
  params.add(key, value);
  const std::string body = params.form_encode();
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view rest = body;
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const auto eq = item.find('=');
    check(eq != std::string_view::npos, "every form pair has '='");
    const auto k = decode(item.substr(0, eq), false);
    const auto v = decode(item.substr(eq + 1), false);
    check(k && v, "form pairs are percent-encoded");
    pairs.emplace_back(*k, *v);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  check(pairs == params.entries(), "a form body decodes back to its parameters");
}

void check_signing(const std::string& url, const std::string& header_name,
                   const std::string& header_value, const std::string& body) {
  HttpHeaders headers{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  if (!header_name.empty()) headers.emplace_back(header_name, header_value);
  const aws::SigningRequest request{"POST", url, headers, body};
  const aws::Credentials credentials("AKIATESTKEY00000LAST", k_secret, k_token);
  const aws::SigningScope scope{"us-east-1", "ec2"};
  const labctl::SystemTime when{std::chrono::seconds(1'790'000'000)};

  const auto first = aws::sign(request, credentials, scope, when);
  const auto second = aws::sign(request, credentials, scope, when);
  check(first.has_value() == second.has_value(), "sign is deterministic");
  if (!first) return;
  check(*first == *second, "sign is deterministic");
  const auto authorization = find_header(*first, "Authorization");
  check(authorization.has_value(), "a signed request has an Authorization header");
  const std::string prefix =
      "AWS4-HMAC-SHA256 Credential=AKIATESTKEY00000LAST/" + aws::credential_scope(when, scope);
  check(authorization->starts_with(prefix), "Authorization names the key id and scope");
  const auto at = authorization->rfind(", Signature=");
  check(at != std::string::npos, "Authorization carries a signature");
  const std::string signature = authorization->substr(at + 12);
  check(signature.size() == 64 &&
            signature.find_first_not_of("0123456789abcdef") == std::string::npos,
        "the signature is 64 lower-case hex digits");

  const std::string redacted = aws::redacted_headers(*first);
  check(redacted.find(signature) == std::string::npos, "redaction hides the signature");
  // (Unless the fuzzer put the canary into a header itself.)
  const std::string given = url + header_name + header_value;
  if (given.find(k_token) == std::string::npos) {
    check(redacted.find(k_token) == std::string::npos, "redaction hides the session token");
  }
  if (given.find(k_secret) == std::string::npos) {
    check(redacted.find(k_secret) == std::string::npos, "the secret is never shown");
  }

  const auto canonical = aws::canonical_request("POST", url, *first, body);
  const auto again = aws::canonical_request("POST", url, *first, body);
  check(canonical.has_value() && again.has_value() && *canonical == *again,
        "canonical_request is deterministic on a signable request");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields = labctl::fuzz::split_fields<5>(labctl::fuzz::as_text(data, size));
  check_encoding(fields.parts[4]);
  check_encoding(fields.parts[0]);
  check_form(std::string(fields.parts[2]), std::string(fields.parts[4]));

  std::string url = "https://ec2.us-east-1.amazonaws.com/" + std::string(fields.parts[0]);
  if (!fields.parts[1].empty()) url += "?" + std::string(fields.parts[1]);
  check_signing(url, std::string(fields.parts[2]), std::string(fields.parts[3]),
                std::string(fields.parts[4]));
  (void)aws::host_from_url(fields.parts[0]);
  return 0;
}
