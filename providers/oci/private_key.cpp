#include "providers/oci/private_key.hpp"

#include <cstring>
#include <string>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/atomic_file.hpp"
#include "core/text.hpp"

namespace labctl::providers::oci {

namespace {

// What OpenSSL's pass-phrase callback learns and answers. The callback is always ours, so
// OpenSSL never falls back to prompting on the terminal.
struct PassPhraseState {
  const Secret* pass_phrase = nullptr;
  bool asked = false;  // the PEM block is encrypted
};

int pass_phrase_callback(char* buffer, int size, int /*rwflag*/, void* user) {
  auto* state = static_cast<PassPhraseState*>(user);
  state->asked = true;
  if (state->pass_phrase == nullptr || state->pass_phrase->empty()) return -1;
  const std::string& value = state->pass_phrase->reveal();
  if (size < 0 || value.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, value.data(), value.size());
  return static_cast<int>(value.size());
}

}  // namespace

int PrivateKey::bits() const { return m_key ? EVP_PKEY_get_bits(m_key.get()) : 0; }

Expected<PrivateKey> parse_private_key_pem(std::string_view pem, const Secret& pass_phrase,
                                           const std::string& what,
                                           const std::string& pass_phrase_hint) {
  if (pem.size() > k_max_key_file_bytes) {
    return fail(ExitCode::usage, what + ": larger than " +
                                     std::to_string(k_max_key_file_bytes >> 10U) +
                                     " KiB, not a PEM private key; point key_file at the API "
                                     "signing key's private PEM file");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return fail(ExitCode::provider, what + ": out of memory reading the key");
  PassPhraseState state{&pass_phrase, false};
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, &pass_phrase_callback, &state);
  // OpenSSL's queued reasons name only its own parsing steps; they are dropped, never shown.
  ERR_clear_error();
  if (raw == nullptr) {
    if (state.asked && pass_phrase.empty()) {
      return fail(ExitCode::usage, what + ": the key is encrypted and no pass phrase is set; set " +
                                       pass_phrase_hint);
    }
    if (state.asked) {
      return fail(ExitCode::usage, what +
                                       ": the pass phrase does not decrypt the key (wrong pass "
                                       "phrase, or a damaged file); check " +
                                       pass_phrase_hint);
    }
    return fail(ExitCode::usage,
                what +
                    ": not a PEM private key (expected a \"-----BEGIN RSA PRIVATE KEY-----\" or "
                    "\"-----BEGIN PRIVATE KEY-----\" block); point key_file at the API signing "
                    "key's private PEM file, not the public key or the fingerprint");
  }
  std::shared_ptr<evp_pkey_st> key(raw, &EVP_PKEY_free);
  if (EVP_PKEY_get_base_id(raw) != EVP_PKEY_RSA) {
    return fail(ExitCode::usage, what +
                                     ": not an RSA key; OCI API signing keys are RSA "
                                     "(openssl genrsa -out key.pem 2048)");
  }
  if (EVP_PKEY_get_bits(raw) < k_min_rsa_bits) {
    return fail(ExitCode::usage, what + ": an RSA key of " +
                                     std::to_string(EVP_PKEY_get_bits(raw)) +
                                     " bits is too small; use a 2048-bit key");
  }
  return PrivateKey(std::move(key));
}

Expected<PrivateKey> load_private_key(const std::filesystem::path& path, const Secret& pass_phrase,
                                      const std::string& pass_phrase_hint) {
  const std::string what = "oci: key file " + text::printable(path.string());
  auto pem = read_file(path, k_max_key_file_bytes);
  if (!pem) {
    return fail(ExitCode::usage, "oci: key file: " + text::printable(pem.error().message) +
                                     "; set key_file (or OCI_CLI_KEY_FILE) to the API signing "
                                     "key's private PEM file");
  }
  auto key = parse_private_key_pem(*pem, pass_phrase, what, pass_phrase_hint);
  OPENSSL_cleanse(pem->data(), pem->size());
  return key;
}

}  // namespace labctl::providers::oci
