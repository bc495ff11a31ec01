#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

// Small ASCII text helpers shared by the HTTP transport and the clouds' INI and signing code
// (header names, INI keys and cloud identifiers are ASCII; no locale is involved).
namespace labctl::providers::ascii {

[[nodiscard]] inline std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

[[nodiscard]] inline std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// "http://h:1//" -> "http://h:1": endpoints are joined with paths that start with '/'.
[[nodiscard]] inline std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace labctl::providers::ascii
