#include "core/tags.hpp"

#include <gtest/gtest.h>

namespace labctl {
namespace {

// Given values that cannot be a tag value (ill-formed UTF-8, newlines, escape sequences, C1
// controls, more than 256 characters), expect a usage error naming the source.
TEST(CheckTagValue, RefusesWhatCannotBeATag) {
  for (const std::string& bad :
       {std::string("a\nb"), std::string("\x1b[2J"), std::string("tab\there"),
        std::string("\xff\xfe"), std::string("c1\xc2\x85"), std::string("del\x7f"),
        std::string(257, 'a')}) {
    const auto checked = check_tag_value(bad, "CE_OWNER");
    ASSERT_FALSE(checked) << bad;
    EXPECT_EQ(checked.error().code, ExitCode::usage);
    EXPECT_EQ(checked.error().message.rfind("CE_OWNER: \"", 0), 0u) << checked.error().message;
    EXPECT_EQ(checked.error().message.find('\n'), std::string::npos);
  }
}

TEST(CheckTagValue, AcceptsPlainTextUpToTheLimitInCharacters) {
  EXPECT_TRUE(check_tag_value("alice@example.com", "CE_OWNER"));
  EXPECT_TRUE(check_tag_value("", "CE_OWNER"));
  EXPECT_TRUE(check_tag_value("équipe réseau ☃", "CE_PURPOSE"));
  std::string snowmen;
  for (int i = 0; i < 256; ++i) snowmen += "\xe2\x98\x83";  // 256 characters, 768 bytes
  EXPECT_TRUE(check_tag_value(snowmen, "CE_PURPOSE"));
  EXPECT_FALSE(check_tag_value(snowmen + "x", "CE_PURPOSE"));
  EXPECT_FALSE(check_tag_value("abcd", "--by", 3));
}

}  // namespace
}  // namespace labctl
