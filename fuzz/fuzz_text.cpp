// The outside-text primitives (core/text.hpp) and the one JSON reader/writer
// (core/json_io.hpp). Properties:
// - to_utf8 always yields valid UTF-8, is idempotent, and leaves valid UTF-8 unchanged;
// - printable yields valid UTF-8 with no C0/C1 control character or DEL, within its cut;
// - json_io::parse never throws; what it accepts dumps to valid UTF-8 that parses back equal,
//   and a document accepted under a tighter depth limit is accepted under the default one.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "core/json_io.hpp"
#include "core/text.hpp"

namespace {

using labctl::fuzz::check;
namespace text = labctl::text;
namespace json_io = labctl::json_io;

bool has_control(std::string_view utf8) {
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto byte = static_cast<unsigned char>(utf8[i]);
    if (byte < 0x20 || byte == 0x7F) return true;
    if (byte == 0xC2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) < 0xA0) {
      return true;
    }
  }
  return false;
}

void check_text(std::string_view input) {
  const bool valid = text::is_valid_utf8(input);
  const std::string utf8 = text::to_utf8(input);
  check(text::is_valid_utf8(utf8), "to_utf8 yields valid UTF-8");
  check(text::to_utf8(utf8) == utf8, "to_utf8 is idempotent");
  check(!valid || utf8 == input, "to_utf8 leaves valid UTF-8 unchanged");

  for (const std::size_t max : {std::size_t{0}, std::size_t{7}, std::size_t{512}}) {
    const std::string shown = text::printable(input, max);
    check(text::is_valid_utf8(shown), "printable yields valid UTF-8");
    check(!has_control(shown), "printable shows no control character");
    check(shown.size() <= max + 3, "printable stays within max_bytes plus the ellipsis");
  }
}

void check_json(std::string_view input) {
  const auto parsed = json_io::parse(input, "fuzz input");
  if (!parsed) {
    check(!parsed.error().message.empty(), "a refused document says why");
    check(text::is_valid_utf8(text::printable(parsed.error().message)), "error is printable");
    return;
  }
  for (const int indent : {-1, 2}) {
    const std::string out = json_io::dump(*parsed, indent);
    check(text::is_valid_utf8(out), "dump yields valid UTF-8");
    const auto again = json_io::parse(out, "dumped");
    check(again.has_value(), "dump output parses");
    check(*again == *parsed, "dump/parse round-trips");
  }
  const auto shallow = json_io::parse(input, "fuzz input", {.max_depth = 3});
  check(!shallow || *shallow == *parsed, "a tighter depth limit accepts the same value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = labctl::fuzz::as_text(data, size);
  check_text(input);
  check_json(input);
  return 0;
}
