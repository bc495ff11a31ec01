#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "providers/secret.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; kept out of this header

// The RSA private key of an OCI API signing key, loaded by OpenSSL.
namespace labctl::providers::oci {

// A PEM key file is a few KiB (a 4096-bit key, encrypted, is about 3.3 KiB); anything past this
// is not one and is refused before it is parsed.
inline constexpr std::size_t k_max_key_file_bytes = std::size_t{16} << 10U;
// Smaller keys are refused; Oracle's published signing example uses a 1024-bit key, real API
// keys are 2048 bits.
inline constexpr int k_min_rsa_bits = 1024;

// An RSA private key with no printable form (no to_string, operator<< deleted). Copies share one
// OpenSSL key, which is read-only after loading, so a copy may sign from any thread.
class PrivateKey {
 public:
  [[nodiscard]] evp_pkey_st* get() const { return m_key.get(); }
  [[nodiscard]] int bits() const;

  friend std::ostream& operator<<(std::ostream& out, const PrivateKey& key) = delete;

 private:
  friend Expected<PrivateKey> parse_private_key_pem(std::string_view pem, const Secret& pass_phrase,
                                                    const std::string& what,
                                                    const std::string& pass_phrase_hint);
  explicit PrivateKey(std::shared_ptr<evp_pkey_st> key) : m_key(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> m_key;
};

// The key in PEM text (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY" / "ENCRYPTED PRIVATE
// KEY", or a legacy Proc-Type encrypted PKCS#1 block), decrypted with `pass_phrase` when it is
// encrypted. OpenSSL never prompts on a terminal. Errors (ExitCode::usage) start with `what`
// (e.g. "oci: key file /x/key.pem") and say what to do; an encrypted key without a pass phrase
// and a pass phrase that does not decrypt it name `pass_phrase_hint` (where a pass phrase is
// set: "pass_phrase in [DEFAULT] of ~/.oci/config or OCI_CLI_PASSPHRASE"). No error carries the
// key or the pass phrase. Only RSA keys of at least k_min_rsa_bits are accepted.
[[nodiscard]] Expected<PrivateKey> parse_private_key_pem(std::string_view pem,
                                                         const Secret& pass_phrase,
                                                         const std::string& what,
                                                         const std::string& pass_phrase_hint);

// parse_private_key_pem of the file `path` (a regular file of at most k_max_key_file_bytes,
// read through core's bounded read_file); a missing or unreadable file is an error naming it.
// The file's bytes are wiped from memory once parsed.
[[nodiscard]] Expected<PrivateKey> load_private_key(const std::filesystem::path& path,
                                                    const Secret& pass_phrase,
                                                    const std::string& pass_phrase_hint);

}  // namespace labctl::providers::oci
