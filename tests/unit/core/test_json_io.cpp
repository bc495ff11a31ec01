#include "core/json_io.hpp"

#include <gtest/gtest.h>

#include "core/text.hpp"

namespace labctl::json_io {
namespace {

TEST(JsonParse, ReadsAWellFormedDocument) {
  const auto value = parse(R"({"a":[1,2,{"b":"c"}],"n":1.5})", "test input");
  ASSERT_TRUE(value) << value.error().message;
  EXPECT_EQ((*value)["a"][2]["b"], "c");
}

// Given documents nested past the limit (even 100,000 deep), expect a quick usage error.
TEST(JsonParse, RefusesDeepNestingBeforeParsing) {
  for (const std::size_t depth : {65UL, 10'000UL, 100'000UL}) {
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    const auto value = parse(deep, "timing.json");
    ASSERT_FALSE(value) << depth;
    EXPECT_EQ(value.error().code, ExitCode::usage);
    EXPECT_NE(value.error().message.find("timing.json: nested deeper than 64"), std::string::npos)
        << value.error().message;
  }
  const std::string at_limit = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parse(at_limit, "x"));
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse(R"({"s":")" + std::string(1000, '[') + R"("})", "x"));
}

TEST(JsonParse, RefusesOversizedDocuments) {
  const auto value = parse(std::string(200, ' ') + "1", "plan.json", Limits{.max_bytes = 100});
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code, ExitCode::usage);
  EXPECT_NE(value.error().message.find("more than the limit of 100 bytes"), std::string::npos);
}

// Given malformed input of each kind, expect exit 2 and a message that is itself valid UTF-8.
TEST(JsonParse, MalformedInputIsAUsageErrorWithPrintableMessage) {
  const std::string samples[] = {"1e400", "-1e400", "{\"a\":", "[1,2]x", "\"\xFF\xFE\"",
                                 "{\"k\":\"\x1b[2J\"\x01}", "", "nul"};
  for (const auto& sample : samples) {
    const auto value = parse(sample, "matrix.json");
    ASSERT_FALSE(value) << sample;
    EXPECT_EQ(value.error().code, ExitCode::usage) << sample;
    EXPECT_TRUE(text::is_valid_utf8(value.error().message)) << sample;
    EXPECT_EQ(value.error().message.find('\x1b'), std::string::npos) << sample;
    EXPECT_EQ(value.error().message.rfind("matrix.json: ", 0), 0U) << value.error().message;
  }
}

TEST(JsonDump, ReplacesInvalidUtf8InsteadOfThrowing) {
  nlohmann::json value = {{"message", "denied \xFF\xFE by policy"}};
  std::string out;
  ASSERT_NO_THROW(out = dump(value));
  EXPECT_TRUE(text::is_valid_utf8(out));
  EXPECT_NE(out.find("denied \xEF\xBF\xBD\xEF\xBF\xBD by policy"), std::string::npos);
  nlohmann::ordered_json ordered = {{"m", "\xC0"}};
  ASSERT_NO_THROW(out = dump(ordered, 2));
  EXPECT_TRUE(text::is_valid_utf8(out));
}

}  // namespace
}  // namespace labctl::json_io
