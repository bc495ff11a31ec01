#include "core/text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace labctl::text {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80"));
}

// Given each class of ill-formed UTF-8, expect it detected and replaced so JSON can hold it.
TEST(Utf8, ReplacesEveryIllFormedClass) {
  const std::string samples[] = {
      "\xFF\xFE",          // bytes that never occur
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong, 3 bytes
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF4\x90\x80\x80",  // past U+10FFFF
      "\xE2\x82",          // truncated sequence at the end
      "\x80",              // lone continuation byte
  };
  for (const auto& sample : samples) {
    const std::string input = "msg " + sample + " end";
    EXPECT_FALSE(is_valid_utf8(input)) << nlohmann::json(to_utf8(input)).dump();
    const std::string fixed = to_utf8(input);
    EXPECT_TRUE(is_valid_utf8(fixed));
    EXPECT_EQ(fixed.rfind("msg ", 0), 0U);
    EXPECT_NE(fixed.find("\xEF\xBF\xBD"), std::string::npos);
    EXPECT_NO_THROW((void)nlohmann::json(fixed).dump());
    EXPECT_EQ(to_utf8(fixed), fixed);  // idempotent
  }
}

TEST(Printable, EscapesControlCharactersAndTerminalSequences) {
  EXPECT_EQ(printable("key\nforged row"), "key\\nforged row");
  EXPECT_EQ(printable("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(printable("a\tb\rc\x7f"), "a\\tb\\rc\\x7f");
  EXPECT_EQ(printable("next\xC2\x85line"), "next\\u0085line");  // C1 NEL
  EXPECT_EQ(printable("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(printable("\xFF"), "\xEF\xBF\xBD");
}

TEST(Printable, CutsLongTextOnACharacterBoundary) {
  const std::string long_text(40000, 'x');
  const std::string cut = printable(long_text, 100);
  EXPECT_LE(cut.size(), 100U + 3U);
  EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6");
  const std::string euros = printable("\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", 7);
  EXPECT_TRUE(is_valid_utf8(euros));
  EXPECT_EQ(euros, "\xE2\x82\xAC\xE2\x82\xAC\xE2\x80\xA6");
}

}  // namespace
}  // namespace labctl::text
