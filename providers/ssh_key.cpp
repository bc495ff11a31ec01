#include "providers/ssh_key.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace labctl::providers {
namespace {

using Bytes = std::vector<unsigned char>;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// RFC 4251 "string": a 32-bit big-endian length, then the bytes.
void put_string(Bytes& out, const unsigned char* data, std::size_t size) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<unsigned char>((size >> shift) & 0xff));
  }
  out.insert(out.end(), data, data + size);
}

void put_string(Bytes& out, std::string_view text) {
  put_string(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

// RFC 4251 "mpint" of a non-negative number: big-endian, a leading zero byte when the top bit
// is set.
void put_mpint(Bytes& out, const BIGNUM* bn) {
  Bytes value(static_cast<std::size_t>(BN_num_bytes(bn)) + 1, 0);
  BN_bn2bin(bn, value.data() + 1);
  const bool pad = value.size() > 1 && (value[1] & 0x80) != 0;
  put_string(out, value.data() + (pad ? 0 : 1), value.size() - (pad ? 0 : 1));
}

std::string base64(const Bytes& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The OpenSSH wire blob of a public key, "" for a key type Azure cannot take.
std::string openssh_public(EVP_PKEY* key) {
  Bytes blob;
  if (EVP_PKEY_is_a(key, "RSA")) {
    BIGNUM* n_raw = nullptr;
    BIGNUM* e_raw = nullptr;
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw);
    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw);
    const Bn n(n_raw), e(e_raw);
    if (!n || !e) return "";
    put_string(blob, "ssh-rsa");
    put_mpint(blob, e.get());
    put_mpint(blob, n.get());
    return "ssh-rsa " + base64(blob);
  }
  if (EVP_PKEY_is_a(key, "ED25519")) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != sizeof raw) return "";
    put_string(blob, "ssh-ed25519");
    put_string(blob, raw, size);
    return "ssh-ed25519 " + base64(blob);
  }
  return "";
}

// Reads one RFC 4251 string at `at` of `data`; nullopt past the end.
std::optional<std::string_view> read_string(std::string_view data, std::size_t& at) {
  if (at > data.size() || data.size() - at < 4) return std::nullopt;
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size = (size << 8) | static_cast<unsigned char>(data[at + i]);
  at += 4;
  if (data.size() - at < size) return std::nullopt;
  const auto out = data.substr(at, size);
  at += size;
  return out;
}

// The public key an OpenSSH-format private key carries in clear (PROTOCOL.key).
std::string from_openssh_format(std::string_view text) {
  constexpr std::string_view begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr std::string_view end = "-----END OPENSSH PRIVATE KEY-----";
  const auto from = text.find(begin);
  const auto to = text.find(end);
  if (from == std::string_view::npos || to == std::string_view::npos || to < from) return "";
  std::string encoded;
  for (const char c : text.substr(from + begin.size(), to - from - begin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') encoded += c;
  }
  if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > 64 * 1024) return "";
  std::string decoded(encoded.size() / 4 * 3, '\0');
  if (EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                      reinterpret_cast<const unsigned char*>(encoded.data()),
                      static_cast<int>(encoded.size())) < 0) {
    return "";
  }
  constexpr std::string_view magic("openssh-key-v1\0", 15);
  if (!std::string_view(decoded).starts_with(magic)) return "";
  std::size_t at = magic.size();
  for (int skip = 0; skip < 3; ++skip) {  // ciphername, kdfname, kdfoptions
    if (!read_string(decoded, at)) return "";
  }
  if (at > decoded.size() || decoded.size() - at < 4) return "";
  at += 4;  // number of keys; the first public key follows
  const auto blob = read_string(decoded, at);
  if (!blob) return "";
  std::size_t inner = 0;
  const auto type = read_string(*blob, inner);
  if (!type || (*type != "ssh-rsa" && *type != "ssh-ed25519")) return "";
  return std::string(*type) + " " + base64(Bytes(blob->begin(), blob->end()));
}

}  // namespace

Expected<SshKeyPair> generate_ssh_key(const std::string& comment) {
  const Pkey key(EVP_RSA_gen(3072));
  if (!key) return fail(ExitCode::provider, "azure: could not generate the run's RSA key pair");
  const Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0,
                                                   nullptr, nullptr) != 1) {
    return fail(ExitCode::provider, "azure: could not encode the run's private key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  SshKeyPair pair;
  pair.private_pem.assign(data, static_cast<std::size_t>(size));
  pair.public_openssh = openssh_public(key.get());
  if (pair.public_openssh.empty()) {
    return fail(ExitCode::provider, "azure: could not encode the run's public key");
  }
  if (!comment.empty()) pair.public_openssh += " " + comment;
  return pair;
}

Expected<std::string> public_key_of(std::string_view private_key, const std::string& what) {
  if (auto line = from_openssh_format(private_key); !line.empty()) return line;
  const Bio bio(BIO_new_mem_buf(private_key.data(), static_cast<int>(private_key.size())));
  if (bio) {
    // A null password callback with an empty passphrase: an encrypted key fails to load.
    const Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                           [](char*, int, int, void*) { return 0; }, nullptr));
    if (key) {
      if (auto line = openssh_public(key.get()); !line.empty()) return line;
    }
  }
  return fail(ExitCode::usage, "azure: " + what +
                                   " is not an unencrypted RSA or Ed25519 private key, so its "
                                   "public half cannot be given to the Azure VMs");
}

}  // namespace labctl::providers
