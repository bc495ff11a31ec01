#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

// Lookups into documents whose inner shape is someone else's (probe inputs, state events, a
// cloud's answers): a missing key or a value of the wrong type reads as absent, so no input can
// crash the reader.
namespace labctl::fields {

// object[key], or null when `object` is not an object or has no such key.
[[nodiscard]] inline const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json k_null;
  if (!object.is_object()) return k_null;
  const auto it = object.find(key);
  return it == object.end() ? k_null : *it;
}

[[nodiscard]] inline std::optional<std::string> string_at(const nlohmann::json& object,
                                                          const char* key) {
  const nlohmann::json& value = member(object, key);
  if (!value.is_string()) return std::nullopt;
  return value.get<std::string>();
}

// The string at `key`, or "" when absent.
[[nodiscard]] inline std::string text_at(const nlohmann::json& object, const char* key) {
  return string_at(object, key).value_or("");
}

// The string at JSON pointer `pointer` ("/properties/ipAddress"), or "" when the path is absent,
// malformed or leads to something other than a string.
[[nodiscard]] inline std::string text_at_pointer(const nlohmann::json& document,
                                                 const std::string& pointer) {
  try {
    const auto& value = document.at(nlohmann::json::json_pointer(pointer));
    return value.is_string() ? value.get<std::string>() : "";
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

[[nodiscard]] inline std::optional<double> number_at(const nlohmann::json& object,
                                                     const char* key) {
  const nlohmann::json& value = member(object, key);
  if (!value.is_number()) return std::nullopt;
  return value.get<double>();
}

}  // namespace labctl::fields
