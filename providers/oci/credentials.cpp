#include "providers/oci/credentials.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/text.hpp"
#include "providers/oci/signer.hpp"

namespace labctl::providers::oci {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// `value` quoted for an error when it is short and printable ASCII (OCIDs, fingerprints, region
// names are not secrets); otherwise only its length.
std::string shown(std::string_view value) {
  const bool plain = value.size() <= 120 &&
                     std::ranges::all_of(value, [](char c) { return c >= 0x20 && c < 0x7f; });
  return plain ? "\"" + std::string(value) + "\""
               : "a value of " + std::to_string(value.size()) + " bytes";
}

// One setting the credentials need: its config key, the variable that overrides it.
struct Setting {
  const char* key;
  const char* variable;
};
constexpr std::array<Setting, 6> k_settings = {{{"user", "OCI_CLI_USER"},
                                                {"tenancy", "OCI_CLI_TENANCY"},
                                                {"fingerprint", "OCI_CLI_FINGERPRINT"},
                                                {"key_file", "OCI_CLI_KEY_FILE"},
                                                {"region", "OCI_CLI_REGION"},
                                                {"pass_phrase", "OCI_CLI_PASSPHRASE"}}};

// A resolved setting and where it came from ("OCI_CLI_USER", "user in [DEFAULT] of /x").
struct Resolved {
  std::string value;
  std::string where;
  bool from_env = false;
};

Expected<std::filesystem::path> expand_home(const std::string& path, const EnvLookup& env,
                                            const std::string& where) {
  if (path.empty() || path.front() != '~') return std::filesystem::path(path);
  if (path.size() > 1 && path[1] != '/') {
    return fail(ExitCode::usage, "oci: " + where +
                                     ": \"~user\" paths are not expanded; give "
                                     "the key file's full path");
  }
  const std::string home = env("HOME").value_or("");
  if (home.empty()) {
    return fail(ExitCode::usage, "oci: " + where +
                                     ": starts with \"~\" but HOME is not set; give "
                                     "the key file's full path");
  }
  return std::filesystem::path(home + path.substr(1));
}

}  // namespace

Expected<ConfigFile> parse_config_file(std::string_view text, const std::string& what) {
  if (text.size() > k_max_config_file_bytes) {
    return fail(ExitCode::usage, what + ": larger than " +
                                     std::to_string(k_max_config_file_bytes >> 10U) +
                                     " KiB; this is not an OCI config file");
  }
  return parse_ini(text,
                   IniDialect{.separators = "=:",
                              .lower_case_keys = true,
                              .strict = true,
                              .max_line_bytes = k_max_config_line_bytes},
                   what);
}

ConfigSection profile_settings(const ConfigFile& file, const std::string& name) {
  ConfigSection out;
  if (const auto defaults = file.find("DEFAULT"); defaults != file.end()) out = defaults->second;
  if (const auto own = file.find(name); own != file.end()) {
    for (const auto& [key, value] : own->second) out[key] = value;
  }
  return out;
}

Expected<void> check_ocid(std::string_view value, std::string_view type, const std::string& where) {
  const auto bad = [&](const std::string& why) {
    return fail(ExitCode::usage, "oci: " + where + ": " + shown(value) + " is not a " +
                                     std::string(type) + " OCID (" + why +
                                     "); copy it from the console, e.g. ocid1." +
                                     std::string(type) + ".oc1..aaaa...");
  };
  if (value.size() > 255) return bad("longer than 255 bytes");
  std::vector<std::string_view> parts;
  for (std::string_view rest = value;;) {
    const auto dot = rest.find('.');
    parts.push_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (parts.size() != 5 && parts.size() != 6) return bad("expected 5 or 6 dot-separated parts");
  if (parts[0] != "ocid1") return bad("does not start with \"ocid1.\"");
  if (parts[1] != type) return bad("its type is not \"" + std::string(type) + "\"");
  for (std::size_t i = 2; i < parts.size(); ++i) {
    const bool may_be_empty = i > 2 && i + 1 < parts.size();  // region and the future-use part
    const bool region = i == 3;
    if (parts[i].empty() && !may_be_empty) return bad("an empty realm or unique part");
    for (const char c : parts[i]) {
      if (!is_lower_alnum(c) && !(region && c == '-')) {
        return bad("only lower-case letters and digits are allowed");
      }
    }
  }
  return {};
}

Expected<void> check_fingerprint(std::string_view value, const std::string& where) {
  bool ok = value.size() == 47;
  for (std::size_t i = 0; ok && i < value.size(); ++i) {
    ok = i % 3 == 2 ? value[i] == ':' : std::isxdigit(static_cast<unsigned char>(value[i])) != 0;
  }
  if (ok) return {};
  return fail(ExitCode::usage, "oci: " + where + ": " + shown(value) +
                                   " is not a key fingerprint (16 hex pairs separated by ':', "
                                   "e.g. 20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34); copy "
                                   "it from the user's API keys in the console");
}

Expected<void> check_region(std::string_view value, const std::string& where) {
  bool ok = !value.empty() && value.size() <= 63 && value.front() >= 'a' && value.front() <= 'z' &&
            value.back() != '-' && value.find("--") == std::string_view::npos;
  for (const char c : value) ok = ok && (is_lower_alnum(c) || c == '-');
  if (ok) return {};
  return fail(ExitCode::usage, "oci: " + where + ": " + shown(value) +
                                   " is not a region identifier (lower-case, e.g. us-ashburn-1)");
}

std::string Credentials::key_id() const { return oci::key_id(tenancy, user, fingerprint); }

std::string Credentials::describe() const {
  return "API key " + fingerprint + " of " + user + " (key file " +
         text::printable(key_file.string()) + ", region " + region + ", from " + source + ")";
}

ConfigLocation config_location(const EnvLookup& env) {
  ConfigLocation location;
  for (const char* variable : {"OCI_CLI_CONFIG_FILE", "OCI_CONFIG_FILE"}) {
    if (const auto value = env(variable); value && !value->empty()) {
      location.file = *value;
      location.file_named = true;
      break;
    }
  }
  if (!location.file_named) {
    if (const auto home = env("HOME"); home && !home->empty()) {
      location.file = std::filesystem::path(*home) / ".oci" / "config";
    }
  }
  if (const auto profile = env("OCI_CLI_PROFILE"); profile && !profile->empty()) {
    location.profile = *profile;
    location.profile_named = true;
  } else {
    location.profile = "DEFAULT";
  }
  return location;
}

Expected<Credentials> resolve_credentials(const EnvLookup& env) {
  const ConfigLocation location = config_location(env);
  const std::string file_name = text::printable(location.file.string());
  const std::string profile_name = text::printable(location.profile, 80);

  ConfigFile file;
  bool have_file = false;
  std::error_code ignored;
  if (location.file_named ||
      (!location.file.empty() && std::filesystem::exists(location.file, ignored))) {
    auto text = read_file(location.file, k_max_config_file_bytes);
    if (!text) {
      return fail(ExitCode::usage, "oci: config file: " + text::printable(text.error().message) +
                                       "; fix OCI_CLI_CONFIG_FILE/OCI_CONFIG_FILE or create the "
                                       "file (oci setup config)");
    }
    TRY_ASSIGN(file, parse_config_file(*text, "oci: config file " + file_name));
    have_file = true;
  }
  if (location.profile_named && !file.contains(location.profile)) {
    std::string known;
    for (const auto& [name, section] : file)
      known += (known.empty() ? "" : ", ") + text::printable(name, 80);
    return fail(ExitCode::usage,
                "oci: OCI_CLI_PROFILE names profile [" + profile_name + "], which " +
                    (have_file ? "the config file " + file_name + " does not have (it has: " +
                                     (known.empty() ? std::string("none") : known) + ")"
                               : std::string("cannot be read: no config file")) +
                    "; unset it or add the profile");
  }
  const ConfigSection settings = profile_settings(file, location.profile);
  const auto own = file.find(location.profile);

  std::map<std::string, Resolved> values;
  bool any_file = false;
  bool any_env = false;
  for (const auto& setting : k_settings) {
    Resolved resolved;
    if (const auto value = env(setting.variable); value && !value->empty()) {
      resolved = Resolved{*value, setting.variable, true};
      any_env = true;
    } else if (const auto found = settings.find(setting.key); found != settings.end()) {
      const bool inherited = own == file.end() || !own->second.contains(setting.key);
      resolved =
          Resolved{found->second,
                   std::string(setting.key) + " in [" +
                       (inherited ? std::string("DEFAULT") : profile_name) + "] of " + file_name,
                   false};
      any_file = true;
    }
    values[setting.key] = std::move(resolved);
  }

  std::string missing;
  for (const auto& setting : k_settings) {
    if (std::string_view(setting.key) == "pass_phrase" || !values[setting.key].value.empty())
      continue;
    missing +=
        std::string(missing.empty() ? "" : ", ") + setting.key + " (" + setting.variable + ")";
  }
  if (!missing.empty()) {
    return fail(ExitCode::usage,
                "oci: no API-key credentials: missing " + missing + " in profile [" + profile_name +
                    "] of " + (file_name.empty() ? std::string("~/.oci/config") : file_name) +
                    (have_file ? "" : " (no such file)") +
                    "; run `oci setup config` or set the variables (instance principals are not "
                    "supported)");
  }
  TRY(check_ocid(values["tenancy"].value, "tenancy", values["tenancy"].where));
  TRY(check_ocid(values["user"].value, "user", values["user"].where));
  TRY(check_fingerprint(values["fingerprint"].value, values["fingerprint"].where));
  TRY(check_region(values["region"].value, values["region"].where));

  std::filesystem::path key_file;
  TRY_ASSIGN(key_file, expand_home(values["key_file"].value, env, values["key_file"].where));
  const Resolved& pass_phrase = values["pass_phrase"];
  const std::string hint = pass_phrase.where.empty() ? "pass_phrase in [" + profile_name +
                                                           "] of the config file, or "
                                                           "OCI_CLI_PASSPHRASE"
                                                     : pass_phrase.where;
  auto key = load_private_key(key_file, Secret(pass_phrase.value), hint);
  if (!key) {
    key.error().message += " (key_file from " + values["key_file"].where + ")";
    return std::unexpected(key.error());
  }

  std::string source =
      any_file ? "config file " + file_name + " profile [" + profile_name + "]" : "";
  if (any_env) source += any_file ? " and environment" : "environment";
  return Credentials{values["tenancy"].value,
                     values["user"].value,
                     values["fingerprint"].value,
                     values["region"].value,
                     key_file,
                     std::move(*key),
                     std::move(source)};
}

}  // namespace labctl::providers::oci
