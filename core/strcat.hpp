#pragma once

#include <concepts>
#include <string>
#include <string_view>

// g++ 12 (Debian 12) has no <format>: messages are built by concatenation.
namespace labctl {

inline void append_part(std::string& out, std::string_view part) { out += part; }
inline void append_part(std::string& out, char part) { out += part; }
template <class T>
requires std::integral<T> &&
    (!std::same_as<T, char>)&&(!std::same_as<T, bool>)void append_part(std::string& out, T part) {
  out += std::to_string(part);
}

// cat("a=", 1, ", b=", name) == "a=1, b=" + name
template <class... Parts>
[[nodiscard]] std::string cat(const Parts&... parts) {
  std::string out;
  (append_part(out, parts), ...);
  return out;
}

// Two lower-case hex digits per byte.
[[nodiscard]] inline std::string hex_byte(unsigned char byte) {
  constexpr std::string_view k_digits = "0123456789abcdef";
  return {k_digits[byte >> 4U], k_digits[byte & 0x0fU]};
}

}  // namespace labctl
