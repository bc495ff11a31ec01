#include "providers/aws/shared_config.hpp"

#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>


namespace labctl::providers::aws {

namespace {

std::filesystem::path home_file(const EnvLookup& env, const char* variable, const char* name) {
  if (const auto value = env(variable); value && !value->empty()) return *value;
  const std::string home = env("HOME").value_or("");
  return std::filesystem::path(home) / ".aws" / name;
}

std::optional<IniSection> section(const std::filesystem::path& path, const std::string& name) {
  const auto ini = read_ini(path);
  if (!ini) return std::nullopt;
  const auto found = ini->find(name);
  if (found == ini->end()) return std::nullopt;
  return found->second;
}

}  // namespace

SharedFiles shared_files(const EnvLookup& env) {
  std::string profile = env("AWS_PROFILE").value_or("");
  if (profile.empty()) profile = "default";
  return SharedFiles{profile, home_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                     home_file(env, "AWS_CONFIG_FILE", "config")};
}

std::optional<IniFile> read_ini(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // Lenient, so it never fails: botocore reads what it can of these files.
  return parse_ini(text, IniDialect{.trim_section_names = true, .skip_indented_settings = true},
                   path.string())
      .value_or(IniFile{});
}

std::optional<IniSection> credentials_section(const SharedFiles& files) {
  return section(files.credentials_file, files.profile);
}

std::optional<IniSection> profile_settings(const SharedFiles& files, const std::string& name) {
  SharedFiles named = files;
  named.profile = name;
  auto merged = config_section(named);
  if (auto credentials = credentials_section(named)) {
    if (!merged) merged.emplace();
    for (auto& [key, value] : *credentials) (*merged)[key] = std::move(value);
  }
  return merged;
}

std::string setting(const IniSection& section, const std::string& key) {
  const auto found = section.find(key);
  return found == section.end() ? std::string() : found->second;
}

Expected<std::vector<std::string>> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i < line.size()) word += line[i];
    } else if (c == '\'') {
      const auto end = line.find('\'', i + 1);
      if (end == std::string_view::npos) {
        return fail(ExitCode::usage, "credential_process: unterminated ' quote");
      }
      word += line.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) {
          return fail(ExitCode::usage, "credential_process: unterminated \" quote");
        }
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() &&
            std::string_view("\\\"$`").find(line[i + 1]) != std::string_view::npos) {
          ++i;
        }
        word += line[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return fail(ExitCode::usage, "credential_process: the command is empty");
  return words;
}

std::optional<IniSection> config_section(const SharedFiles& files) {
  if (auto named = section(files.config_file, "profile " + files.profile)) return named;
  if (files.profile == "default") return section(files.config_file, "default");
  return std::nullopt;
}

}  // namespace labctl::providers::aws
