#include "providers/ini.hpp"

#include <gtest/gtest.h>

namespace labctl::providers {
namespace {

const IniDialect k_lenient{.trim_section_names = true, .skip_indented_settings = true};
const IniDialect k_strict{
    .separators = "=:", .lower_case_keys = true, .strict = true, .max_line_bytes = 64};

// Given botocore-style text with nesting, repeats and junk, expect the lenient dialect to keep
// every top-level setting (last value wins) and skip what is not one, never failing.
TEST(Ini, LenientSkipsWhatIsNoSetting) {
  const auto file = parse_ini(
      "top=0\n[ a ]\nKey = 1\ns3 =\n  nested = x\nno separator\nKey = 2\n=v\n[a]\nother=3\n"
      "[b\nlost=4\n[c]\r\nv = with # hash\r\n",
      k_lenient, "f");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->size(), 2U);
  const IniSection& a = file->at("a");
  EXPECT_EQ(a.at("Key"), "2");
  EXPECT_EQ(a.at("s3"), "");
  EXPECT_EQ(a.at("other"), "3");
  EXPECT_FALSE(a.contains("nested"));
  EXPECT_FALSE(a.contains(""));
  EXPECT_FALSE(a.contains("lost"));
  EXPECT_EQ(file->at("c").at("v"), "with # hash");
}

// Given the configparser dialect, expect ':' separators, lower-case keys, untrimmed section
// names and indented settings read as settings.
TEST(Ini, StrictReadsTheConfigparserDialect) {
  const auto file = parse_ini("; c\n[ A ]\n  User : u\nk=v=w\n", k_strict, "f");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->at(" A ").at("user"), "u");
  EXPECT_EQ(file->at(" A ").at("k"), "v=w");
}

// Given each shape strict mode refuses, expect a usage error naming the file and line, and never
// the value.
TEST(Ini, StrictRefusesNamingTheLine) {
  const auto refused = [](std::string_view text, std::string_view expected) {
    const auto file = parse_ini(text, k_strict, "cfg");
    ASSERT_FALSE(file) << text;
    EXPECT_EQ(file.error().code, ExitCode::usage);
    EXPECT_NE(file.error().message.find(expected), std::string::npos) << file.error().message;
    EXPECT_EQ(file.error().message.find("secret"), std::string::npos) << file.error().message;
  };
  refused("[A]\nk=secret" + std::string(64, 'x') + "\n", "cfg:2: line longer than 64 bytes");
  refused("[A]\nk=secret\x01\n", "cfg:2: a control byte");
  refused("[A\n", "cfg:1: a section header");
  refused("[A]\nsecret\n", "cfg:2: neither");
  refused("k=secret\n", "cfg:1: a setting before any [PROFILE] header");
  refused("[A]\n = secret\n", "cfg:2: a setting with no key");
  refused("[A]\n[A]\n", "cfg:2: section [A] given twice");
  refused("[A]\nK=secret\nk=secret\n", "cfg:3: key \"k\" given twice");
}

}  // namespace
}  // namespace labctl::providers
