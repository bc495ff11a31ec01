#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/env.hpp"
#include "core/error.hpp"
#include "providers/ini.hpp"
#include "providers/oci/private_key.hpp"
#include "providers/secret.hpp"

// OCI API-key credentials, read the way Oracle's SDKs and CLI read them. Instance principals,
// resource principals, session tokens and OCI_CLI_KEY_CONTENT are not built: only an API signing
// key named by a file.
namespace labctl::providers::oci {

// The config file is a few lines per profile; anything larger is not one.
inline constexpr std::size_t k_max_config_file_bytes = std::size_t{64} << 10U;
inline constexpr std::size_t k_max_config_line_bytes = 4096;

// One profile's settings: lower-case key -> value (trimmed).
using ConfigSection = IniSection;
// The sections of a config file by name ("DEFAULT", "ADMIN", ...; names are case-sensitive).
using ConfigFile = IniFile;

// Parses the OCI config file dialect (Python configparser as the SDK uses it) with the shared
// INI reader (providers/ini.hpp): "key=value" or "key: value" lines (keys lower-cased,
// indentation ignored), strict: a line longer than k_max_config_line_bytes, a control byte, a
// key before any section, a line that is neither (a multi-line value), a section or key given
// twice are refused (ExitCode::usage, naming the line), and so is a text of more than
// k_max_config_file_bytes. `what` names the file in errors; values never appear in them.
// Exposed for tests and fuzzing.
[[nodiscard]] Expected<ConfigFile> parse_config_file(std::string_view text,
                                                     const std::string& what);

// The settings of profile `name`: the DEFAULT section overlaid by the profile's own (DEFAULT
// values are inherited by every profile, as configparser does). An absent profile is empty.
[[nodiscard]] ConfigSection profile_settings(const ConfigFile& file, const std::string& name);

// Shape checks; each error (ExitCode::usage) starts with `where` ("OCI_CLI_USER", "user in
// [DEFAULT] of /root/.oci/config") and shows the value only when it is printable and short.
// An OCID: "ocid1.<type>.<realm>.[region][.future].<unique>", all lower-case letters, digits
// ("-" in the region), at most 255 bytes, with <type> == `type` ("tenancy", "user").
[[nodiscard]] Expected<void> check_ocid(std::string_view value, std::string_view type,
                                        const std::string& where);
// A key fingerprint: 16 pairs of hex digits separated by ':' ("20:3b:97:...:34").
[[nodiscard]] Expected<void> check_fingerprint(std::string_view value, const std::string& where);
// A region identifier, which becomes part of an endpoint host name: lower-case letters, digits
// and inner single '-', starting with a letter, at most 63 bytes ("us-ashburn-1", "phx").
[[nodiscard]] Expected<void> check_region(std::string_view value, const std::string& where);

// The credentials a signer needs: who signs (tenancy, user, fingerprint: the keyId), with which
// key, and the region the endpoints are in. The key has no printable form; describe() names
// the user, the fingerprint, the key file and where the settings came from, never the key or
// the pass phrase.
struct Credentials {
  std::string tenancy;
  std::string user;
  std::string fingerprint;
  std::string region;
  std::filesystem::path key_file;
  PrivateKey key;
  std::string source;  // "/root/.oci/config profile [DEFAULT]", "... and environment"

  // "<tenancy>/<user>/<fingerprint>", the signature's keyId.
  [[nodiscard]] std::string key_id() const;
  [[nodiscard]] std::string describe() const;
};

// Where the settings are read, with the environment's defaults applied: the file is
// OCI_CLI_CONFIG_FILE, else OCI_CONFIG_FILE, else $HOME/.oci/config (none without HOME); the
// profile OCI_CLI_PROFILE, else "DEFAULT". `file_named` is true when a variable named the file.
struct ConfigLocation {
  std::filesystem::path file;
  bool file_named = false;
  std::string profile;
  bool profile_named = false;
};
[[nodiscard]] ConfigLocation config_location(const EnvLookup& env);

// Resolves API-key credentials as the OCI CLI does:
//   1. the config file (ConfigLocation), profile settings with DEFAULT inherited; a file named by
//      a variable must exist, the default one may be absent; a profile named by OCI_CLI_PROFILE
//      must be in the file;
//   2. each setting overridden by its environment variable when that is set and non-empty:
//      user OCI_CLI_USER, tenancy OCI_CLI_TENANCY, fingerprint OCI_CLI_FINGERPRINT, key_file
//      OCI_CLI_KEY_FILE, region OCI_CLI_REGION, pass_phrase OCI_CLI_PASSPHRASE;
//   3. user, tenancy, fingerprint, key_file and region required (one error lists every missing
//      one with the key and the variable that would set it), each shape-checked;
//   4. key_file: "~" or "~/..." expanded with HOME; the PEM loaded (RSA only), decrypted with
//      pass_phrase when encrypted.
// Every error is ExitCode::usage, says where the bad value came from and how to fix it, and
// never carries the key or the pass phrase. Reads the files on every call.
[[nodiscard]] Expected<Credentials> resolve_credentials(const EnvLookup& env);

}  // namespace labctl::providers::oci
