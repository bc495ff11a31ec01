#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "providers/aws/credentials.hpp"

namespace labctl::providers::aws {

using IniSection = std::map<std::string, std::string>;

// The files and profile the shared-config sources use, after env defaults are applied:
// AWS_PROFILE ("default"), AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), AWS_CONFIG_FILE
// (~/.aws/config).
struct SharedFiles {
  std::string profile;
  std::filesystem::path credentials_file;
  std::filesystem::path config_file;
};

[[nodiscard]] SharedFiles shared_files(const EnvLookup& env);

// Parses AWS's INI dialect: `[section]`, `key = value`, `#`/`;` comments; indented lines (nested
// settings such as `s3 =` blocks) are ignored. Returns nullopt if the file cannot be read.
[[nodiscard]] std::optional<std::map<std::string, IniSection>> read_ini(
    const std::filesystem::path& path);

// The profile's section of the credentials file (`[name]`); nullopt if file or section is absent.
[[nodiscard]] std::optional<IniSection> credentials_section(const SharedFiles& files);
// The profile's section of the config file (`[profile name]`, or `[default]` for "default").
[[nodiscard]] std::optional<IniSection> config_section(const SharedFiles& files);

}  // namespace labctl::providers::aws
