#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

// Property checks for the fuzz targets: a violated property is reported as a crash (with the
// input that caused it) by trapping, which libFuzzer and the regression mode both catch.
namespace labctl::fuzz {

inline void check(bool ok, const char* property) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  __builtin_trap();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits one fuzz input into fields at a 0x00 separator (the first `count - 1` of them), so one
// input can drive several arguments; missing fields are empty.
template <std::size_t N>
struct Fields {
  std::string_view parts[N];
};

template <std::size_t N>
Fields<N> split_fields(std::string_view input) {
  Fields<N> fields;
  for (std::size_t i = 0; i + 1 < N; ++i) {
    const auto cut = input.find('\0');
    if (cut == std::string_view::npos) {
      fields.parts[i] = input;
      return fields;
    }
    fields.parts[i] = input.substr(0, cut);
    input.remove_prefix(cut + 1);
  }
  fields.parts[N - 1] = input;
  return fields;
}

}  // namespace labctl::fuzz
