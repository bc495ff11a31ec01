// The OCI config file and API signing key (providers/oci/credentials.hpp, private_key.hpp), as
// resolve_credentials reads them. The input is "<config file>\0<pass phrase>\0<PEM key>".
// Properties: no crash; a parsed file has only lower-case, non-empty keys and no control byte
// but tab in any name or value; every parse error starts with the file's name; the pass phrase
// (when it is secret-like: 12+ bytes with letters and digits) never appears in a key error; a
// key that loads is RSA of at least k_min_rsa_bits and signs a request.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "providers/oci/credentials.hpp"
#include "providers/oci/private_key.hpp"
#include "providers/oci/signer.hpp"

namespace {

namespace oci = labctl::providers::oci;
using labctl::fuzz::check;

bool clean(std::string_view text) {
  return std::ranges::none_of(text, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

bool secret_like(std::string_view value) {
  return value.size() >= 12 &&
         std::ranges::any_of(value, [](char c) { return c >= '0' && c <= '9'; }) &&
         std::ranges::any_of(
             value, [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields = labctl::fuzz::split_fields<3>(labctl::fuzz::as_text(data, size));
  const std::string_view config = fields.parts[0];
  const std::string pass(fields.parts[1]);
  const std::string_view pem = fields.parts[2];

  const auto file = oci::parse_config_file(config, "cfg");
  if (file) {
    for (const auto& [name, section] : *file) {
      check(clean(name), "a section name has no control byte");
      for (const auto& [key, value] : section) {
        check(!key.empty() && clean(key) && clean(value), "settings are clean");
        check(std::ranges::none_of(
                  key, [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }),
              "keys are lower-case");
      }
    }
    for (const auto& [name, section] : *file) {
      const auto settings = oci::profile_settings(*file, name);
      check(settings.size() >= section.size(), "a profile keeps its own settings");
    }
  } else {
    check(file.error().message.starts_with("cfg:"), "a parse error names the file");
  }

  const auto key = oci::parse_private_key_pem(pem, labctl::providers::Secret(pass), "key", "hint");
  if (!key) {
    check(key.error().message.starts_with("key: "), "a key error names the key");
    if (secret_like(pass)) {
      check(key.error().message.find(pass) == std::string::npos, "the pass phrase never shows");
    }
    return 0;
  }
  check(key->bits() >= oci::k_min_rsa_bits, "a loaded key is big enough");
  const auto signed_headers = oci::sign_request({"GET", "https://h.example/a", {}, ""}, "t/u/f",
                                                *key, "Thu, 05 Jan 2014 21:31:40 GMT");
  check(signed_headers.has_value(), "a loaded key signs");
  return 0;
}
