#include "evidence/inputs.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace labctl::evidence {
namespace {

using labctl::testing::TempDirTest;
using labctl::testing::write_text;

using Inputs_ = TempDirTest;

TEST_F(Inputs_, KeepsTheExactTextForTheCopy) {
  const auto path = tmp.path() / "m.json";
  write_text(path, "{ \"flows\": [], \"summary\": {\"result\": \"pass\"} }\n");
  const auto doc = load_input(path, InputKind::matrix, "--matrix-json");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->text, "{ \"flows\": [], \"summary\": {\"result\": \"pass\"} }\n");
  EXPECT_EQ(doc->value["summary"]["result"], "pass");
}

// Given malformed or wrongly shaped files, expect a usage error naming the flag and the file.
TEST_F(Inputs_, MalformedFilesAreUsageErrors) {
  const auto path = tmp.path() / "bad.json";
  const std::pair<InputKind, const char*> cases[] = {
      {InputKind::matrix, "{\"flows\": [1, 2"},
      {InputKind::matrix, ""},
      {InputKind::matrix, "[1,2]"},
      {InputKind::matrix, R"({"flows": {"a": 1}})"},
      {InputKind::matrix, R"({"flows": [1]})"},
      {InputKind::matrix, R"({"summary": "pass"})"},
      {InputKind::timing, R"({"events": "none"})"},
      {InputKind::protocol, "\"pass\""},
  };
  for (const auto& [kind, text] : cases) {
    write_text(path, text);
    const auto doc = load_input(path, kind, "--some-json");
    ASSERT_FALSE(doc.has_value()) << text;
    EXPECT_EQ(doc.error().code, ExitCode::usage);
    EXPECT_NE(doc.error().message.find("--some-json"), std::string::npos) << doc.error().message;
    EXPECT_NE(doc.error().message.find(path.string()), std::string::npos) << doc.error().message;
  }
  const auto missing = load_input(tmp.path() / "absent.json", InputKind::timing, "--timing-json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ExitCode::usage);
}

TEST(InputsFromState, ShapeCheckedAndPrettyPrinted) {
  const auto ok = input_from_json({{"flows", nlohmann::json::array()}}, InputKind::matrix,
                                  "state:matrix.latest");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->origin, "state:matrix.latest");
  EXPECT_EQ(nlohmann::json::parse(ok->text), ok->value);
  const auto bad =
      input_from_json(nlohmann::json::array(), InputKind::timing, "state:failover.timing");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("state:failover.timing"), std::string::npos);
}

// Given documents past the input limits — 100,000 nested "[", numbers beyond a double, bad
// UTF-8 — expect a usage error naming the flag, at once, for every kind of input.
TEST_F(Inputs_, HostileDocumentsAreUsageErrorsAtOnce) {
  const auto path = tmp.path() / "hostile.json";
  const std::vector<std::string> texts{
      std::string(100000, '['),
      "{\"a\":" + std::string(65, '[') + std::string(65, ']') + "}",
      R"({"summary": {"total": 1e400}})",
      R"({"events": [{"recoverySeconds": -1e400}]})",
      "{\"status\": \"\xff\"}",
  };
  for (const auto kind : {InputKind::matrix, InputKind::provider_state, InputKind::timing,
                          InputKind::protocol, InputKind::l2_loop}) {
    for (const auto& text : texts) {
      write_text(path, text);
      const auto started = std::chrono::steady_clock::now();
      const auto doc = load_input(path, kind, "--some-json");
      EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
      ASSERT_FALSE(doc.has_value()) << text.substr(0, 40);
      EXPECT_EQ(doc.error().code, ExitCode::usage);
      EXPECT_NE(doc.error().message.find("--some-json"), std::string::npos) << doc.error().message;
    }
  }
  // 64 levels is the limit, not past it.
  write_text(path, "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}");
  EXPECT_TRUE(load_input(path, InputKind::protocol, "--some-json").has_value());
}

}  // namespace
}  // namespace labctl::evidence
