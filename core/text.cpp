#include "core/text.hpp"

#include <array>
#include <cstdint>

namespace labctl::text {
namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `bytes`, or 0 if there is none
// (Unicode 15, table 3-7).
std::size_t sequence_length(std::string_view bytes) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (bytes.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

void append_escape(std::string& out, std::uint32_t code) {
  switch (code) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  constexpr std::string_view k_hex = "0123456789abcdef";
  if (code < 0x80) {
    out += "\\x";
    out += k_hex[(code >> 4U) & 0xFU];
    out += k_hex[code & 0xFU];
    return;
  }
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += k_hex[(code >> shift) & 0xFU];
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t n = sequence_length(bytes);
    if (n == 0) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

std::string to_utf8(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  while (!bytes.empty()) {
    const std::size_t n = sequence_length(bytes);
    if (n == 0) {
      out += k_replacement;
      bytes.remove_prefix(1);
    } else {
      out.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
    }
  }
  return out;
}

std::string printable(std::string_view bytes, std::size_t max_bytes) {
  const std::string valid = to_utf8(bytes);
  std::string out;
  out.reserve(valid.size() < max_bytes ? valid.size() : max_bytes);
  std::string_view rest = valid;
  while (!rest.empty()) {
    const std::size_t n = sequence_length(rest);
    const auto lead = static_cast<unsigned char>(rest[0]);
    std::string piece;
    if (n == 1 && (lead < 0x20 || lead == 0x7F)) {
      append_escape(piece, lead);
    } else if (n == 2 && lead == 0xC2 && static_cast<unsigned char>(rest[1]) < 0xA0) {
      append_escape(piece, static_cast<unsigned char>(rest[1]));  // C1 controls U+0080..U+009F
    } else {
      piece.assign(rest.substr(0, n));
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "\xE2\x80\xA6";  // …
      return out;
    }
    out += piece;
    rest.remove_prefix(n);
  }
  return out;
}

}  // namespace labctl::text
