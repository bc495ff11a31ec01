#include "core/shield.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace labctl {
namespace {

TEST(Shielded, PassesValuesAndErrorsThrough) {
  const auto value = shielded("where", [] { return Expected<int>(7); });
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 7);
  const auto error =
      shielded("where", []() -> Expected<void> { return fail(ExitCode::refused, "fenced"); });
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().code, ExitCode::refused);
  EXPECT_EQ(error.error().message, "fenced");
}

// Given bodies that throw each kind of exception (one from nlohmann on invalid UTF-8, one with
// raw bytes in its text, one of no std type), expect an Error that names the place, never a throw.
TEST(Shielded, TurnsEveryExceptionIntoAnError) {
  const auto from_json = shielded("down: run r1", []() -> Expected<void> {
    (void)nlohmann::json("bad \xff").dump();
    return {};
  });
  ASSERT_FALSE(from_json);
  EXPECT_EQ(from_json.error().code, ExitCode::provider);
  EXPECT_EQ(from_json.error().message.rfind("down: run r1: unexpected failure: ", 0), 0U)
      << from_json.error().message;
  EXPECT_NE(from_json.error().message.find("316"), std::string::npos);

  const auto raw = shielded("x", []() -> Expected<int> {
    throw std::runtime_error("bytes \xff\xfe and \x1b[2J");
  });
  ASSERT_FALSE(raw);
  EXPECT_TRUE(text::is_valid_utf8(raw.error().message));
  EXPECT_EQ(raw.error().message.find('\x1b'), std::string::npos);

  const auto odd = shielded("x", []() -> Expected<int> { throw 42; });
  ASSERT_FALSE(odd);
  EXPECT_NE(odd.error().message.find("unknown type"), std::string::npos);

  const auto coded = shielded("x", []() -> Expected<int> {
    throw ErrorException(Error{ExitCode::usage, "bad flag"});
  });
  ASSERT_FALSE(coded);
  EXPECT_EQ(coded.error().code, ExitCode::usage);
}

}  // namespace
}  // namespace labctl
