#include "core/json_io.hpp"

#include "core/text.hpp"

namespace labctl::json_io {
namespace {

// The deepest nesting of arrays/objects outside strings, stopping early past `limit`.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Expected<nlohmann::json> parse(std::string_view text, std::string_view what, Limits limits) {
  const std::string name(what);
  if (text.size() > limits.max_bytes) {
    return fail(ExitCode::usage, name + ": " + std::to_string(text.size()) +
                                     " bytes, more than the limit of " +
                                     std::to_string(limits.max_bytes) + " bytes");
  }
  if (nesting_depth(text, limits.max_depth) > limits.max_depth) {
    return fail(ExitCode::usage, name + ": nested deeper than " +
                                     std::to_string(limits.max_depth) +
                                     " levels of arrays/objects (the limit)");
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return fail(ExitCode::usage, name + ": not valid JSON at byte " + std::to_string(e.byte) +
                                     " (" + text::printable(e.what(), 300) + ")");
  } catch (const nlohmann::json::exception& e) {
    return fail(ExitCode::usage, name + ": not valid JSON (" + std::string(e.what()) + ")");
  }
}

std::string dump(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace labctl::json_io
