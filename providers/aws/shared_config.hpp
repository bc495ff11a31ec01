#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/aws/credentials.hpp"
#include "providers/ini.hpp"

namespace labctl::providers::aws {

// The files and profile the shared-config sources use, after env defaults are applied:
// AWS_PROFILE ("default"), AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), AWS_CONFIG_FILE
// (~/.aws/config).
struct SharedFiles {
  std::string profile;
  std::filesystem::path credentials_file;
  std::filesystem::path config_file;
};

[[nodiscard]] SharedFiles shared_files(const EnvLookup& env);

// Reads AWS's INI dialect with the shared reader (providers/ini.hpp), leniently as botocore does:
// `[ section ]` (name trimmed), `key = value`, `#`/`;` comments; indented lines (nested settings
// such as `s3 =` blocks) and lines that are no setting are skipped, a repeated key's last value
// wins. Returns nullopt if the file cannot be read.
[[nodiscard]] std::optional<IniFile> read_ini(const std::filesystem::path& path);

// The profile's section of the credentials file (`[name]`); nullopt if file or section is absent.
[[nodiscard]] std::optional<IniSection> credentials_section(const SharedFiles& files);
// The profile's section of the config file (`[profile name]`, or `[default]` for "default").
[[nodiscard]] std::optional<IniSection> config_section(const SharedFiles& files);

// The settings of profile `name` as botocore reads a profile: its config-file section overlaid
// by its credentials-file section (role_arn, source_profile, credential_source,
// credential_process, web_identity_token_file, ... may sit in either). nullopt when neither file
// has the profile.
[[nodiscard]] std::optional<IniSection> profile_settings(const SharedFiles& files,
                                                         const std::string& name);

// The value of `key` in `section`; "" when absent.
[[nodiscard]] std::string setting(const IniSection& section, const std::string& key);

// Splits a `credential_process` command line into argv the way a POSIX shell splits words
// (botocore uses shlex.split): blanks separate words, '...' is literal, "..." keeps blanks and
// honours \ \" \$ \` escapes, a backslash outside quotes escapes the next character. No
// expansion of any kind. An unterminated quote or an empty command is a usage error.
[[nodiscard]] Expected<std::vector<std::string>> split_command_line(std::string_view line);

}  // namespace labctl::providers::aws
