#include "providers/ini.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/text.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers {

namespace {

bool has_control_byte(std::string_view line) {
  return std::ranges::any_of(line, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

}  // namespace

Expected<IniFile> parse_ini(std::string_view text, const IniDialect& dialect,
                            const std::string& what) {
  IniFile file;
  IniSection* current = nullptr;
  std::size_t number = 0;
  // A line strict mode refuses: an error naming the line, or (lenient) nothing and the line is
  // skipped.
  const auto refused = [&](const std::string& why) -> std::optional<Error> {
    if (!dialect.strict) return std::nullopt;
    return Error{ExitCode::usage, what + ":" + std::to_string(number) + ": " + why};
  };
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (dialect.strict && dialect.max_line_bytes != 0 && raw.size() > dialect.max_line_bytes) {
      return std::unexpected(
          *refused("line longer than " + std::to_string(dialect.max_line_bytes) + " bytes"));
    }
    if (dialect.strict && has_control_byte(raw)) {
      return std::unexpected(*refused("a control byte in the line"));
    }
    const std::string_view line = ascii::trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        if (auto error = refused("a section header is \"[NAME]\"")) return std::unexpected(*error);
        current = nullptr;  // its settings belong to no section we know
        continue;
      }
      std::string_view name = line.substr(1, line.size() - 2);
      if (dialect.trim_section_names) name = ascii::trim(name);
      if (file.contains(std::string(name))) {
        if (auto error = refused("section [" + text::printable(name, 80) + "] given twice")) {
          return std::unexpected(*error);
        }
      }
      current = &file[std::string(name)];
      continue;
    }
    const auto separator = line.find_first_of(dialect.separators);
    if (separator == std::string_view::npos) {
      if (auto error = refused(
              "neither \"[PROFILE]\" nor \"key=value\" (multi-line values are not read)")) {
        return std::unexpected(*error);
      }
      continue;
    }
    if (current == nullptr) {
      if (auto error = refused("a setting before any [PROFILE] header")) {
        return std::unexpected(*error);
      }
      continue;
    }
    if (dialect.skip_indented_settings && std::isspace(static_cast<unsigned char>(raw.front()))) {
      continue;
    }
    const std::string_view written_key = ascii::trim(line.substr(0, separator));
    const std::string key =
        dialect.lower_case_keys ? ascii::lower(written_key) : std::string(written_key);
    if (key.empty()) {
      if (auto error = refused("a setting with no key")) return std::unexpected(*error);
      continue;
    }
    if (current->contains(key)) {
      if (auto error = refused("key \"" + text::printable(key, 80) + "\" given twice")) {
        return std::unexpected(*error);
      }
    }
    (*current)[key] = std::string(ascii::trim(line.substr(separator + 1)));
  }
  return file;
}

}  // namespace labctl::providers
