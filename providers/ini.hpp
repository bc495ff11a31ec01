#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"

// The INI reader the clouds' profile files share (~/.aws/config and credentials, ~/.oci/config).
// One line grammar; what differs between the dialects is an IniDialect option, and what a cloud
// makes of the sections (AWS's "profile NAME", OCI's DEFAULT inheritance) stays in its folder.
namespace labctl::providers {

// One section's settings, key -> value (both trimmed).
using IniSection = std::map<std::string, std::string>;
// The sections of a file by name (case-sensitive).
using IniFile = std::map<std::string, IniSection>;

struct IniDialect {
  // The bytes that end a key: "=" (botocore) or "=:" (configparser's default).
  std::string_view separators = "=";
  // Keys are lower-cased (configparser's optionxform).
  bool lower_case_keys = false;
  // "[ name ]" is section "name" (botocore) rather than " name ".
  bool trim_section_names = false;
  // A setting on an indented line is skipped: it belongs to a nested block (AWS's "s3 =").
  bool skip_indented_settings = false;
  // Strict (configparser's strict mode, plus byte checks): each of these refuses the file with
  // ExitCode::usage and "<what>:<line>: <why>": a control byte but tab (a CR before LF is part of
  // the line end), a line longer than max_line_bytes (when not 0), a "[" line that is not
  // "[NAME]", a line with no separator, a setting before any section, an empty key, a section or
  // key given twice. Lenient (false): bytes and lengths are not checked, a line of a shape strict
  // mode refuses is skipped, a repeated section continues, a repeated key's last value wins.
  bool strict = false;
  std::size_t max_line_bytes = 0;
};

// Parses `text`: "[NAME]" headers, "key<separator>value" settings, whole-line comments starting
// with '#' or ';' and blank lines; a '#' after a value is part of it. `what` names the file in
// errors; values never appear in them (names and keys do, printable and short). A lenient
// dialect never fails.
[[nodiscard]] Expected<IniFile> parse_ini(std::string_view text, const IniDialect& dialect,
                                          const std::string& what);

}  // namespace labctl::providers
