// parse_arm_error and ArmError::describe (providers/azure/arm_error.cpp): what an ARM error
// answer becomes, whatever bytes the endpoint sent.
#include <gtest/gtest.h>

#include "core/text.hpp"
#include "providers/azure/arm_client.hpp"

namespace labctl::providers::azure {
namespace {

void expect_printable(const std::string& text) {
  EXPECT_TRUE(::labctl::text::is_valid_utf8(text)) << text;
  for (const char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20U) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

// Given error answers with ill-formed UTF-8, control characters and a megabyte message,
// expect printable, bounded code, message and request id.
TEST(ArmError, HostileErrorTextComesOutPrintableAndBounded) {
  const std::string huge(1 << 20, 'm');
  const std::string hostile =
      "{\"error\":{\"code\":\"Bad\xff\\u001b[31mCode\",\"message\":\"line1\\nline2\xc3\x28" + huge +
      "\"}}";
  const auto error =
      parse_arm_error("GET resourceGroups/rg", 400,
                      {{"x-ms-request-id", std::string("id\r\nX-Injected: 1")}}, hostile);
  EXPECT_EQ(error.kind, ArmErrorKind::service);
  EXPECT_LE(error.code.size(), 128U + 3);
  EXPECT_LE(error.message.size(), 1024U + 3);
  EXPECT_NE(error.message.find("line1\\nline2"), std::string::npos);
  expect_printable(error.describe());

  const auto oauth = parse_arm_error(
      "POST token", 401, {}, R"({"error":"invalid_client","error_description":"AADSTS7000215"})");
  EXPECT_EQ(oauth.kind, ArmErrorKind::auth);
  EXPECT_EQ(oauth.code, "invalid_client");
  EXPECT_EQ(oauth.message, "AADSTS7000215");

  const auto garbage = parse_arm_error("GET x", 502, {}, "<html>\xff</html>");
  EXPECT_EQ(garbage.http_status, 502);
  EXPECT_NE(garbage.message.find("no error message"), std::string::npos);
}

// Given an ARM error body that is not valid UTF-8 (bytes 0xff 0xfe in the message) with an ESC
// (JSON-escaped, as a JSON encoder writes it) in the message, expect the code kept as sent and
// the message kept, the bad bytes as U+FFFD and the ESC as a visible \x1b: the body is repaired
// before it is parsed, not dropped as "no error message".
TEST(ArmError, InvalidUtf8BodyKeepsCodeAndPrintableMessage) {
  const std::string body =
      "{\"error\":{\"code\":\"InvalidResourceName\","
      "\"message\":\"Resource name 'vm\xff\xfe' is invalid \\u001b[31mhere\\u001b[0m.\"}}";
  ASSERT_FALSE(::labctl::text::is_valid_utf8(body));
  const auto error = parse_arm_error("PUT virtualMachines/vm", 400, {}, body);
  EXPECT_EQ(error.kind, ArmErrorKind::service);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.code, "InvalidResourceName");
  EXPECT_EQ(error.message,
            "Resource name 'vm\xEF\xBF\xBD\xEF\xBF\xBD' is invalid \\x1b[31mhere\\x1b[0m.");
  expect_printable(error.message);
  const std::string text = error.describe();
  EXPECT_NE(text.find("(HTTP 400 InvalidResourceName)"), std::string::npos) << text;
  expect_printable(text);
}

}  // namespace
}  // namespace labctl::providers::azure
