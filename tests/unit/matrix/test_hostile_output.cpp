// Outside text in matrix results: remote output and runner output that is not UTF-8, holds
// control bytes or is huge must leave the matrix JSON valid, printable and bounded.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "core/text.hpp"
#include "matrix/smoke.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/fakes/env_map.hpp"
#include "tests/unit/matrix/stub_runners.hpp"

namespace labctl::matrix {
namespace {

using nlohmann::json;

// A MATRIX_RUNNER whose answers carry ill-formed UTF-8, a terminal escape, a bell, a NUL-free
// C0 byte and, on stderr, an OSC title sequence: everything a hostile host could print.
constexpr const char* k_hostile_runner = R"(#!/bin/sh
case "$1" in
  ping) printf 'bad \377\376 \033]0;owned\007\001 end\n' >&2; exit 1;;
  ssh) printf 'src_hostname=\377\376\033[31mevil\001\n'
       printf 'dst_hostname=ok\302\n'
       printf 'peer_ip=10.77.60.10\033[2J\n'
       printf 'src_identity_error=\033[1A\377forged\n'
       printf 'no\377\n' >&2; exit 3;;
esac
)";

// A MATRIX_RUNNER printing a 2 MiB hostname line of 0xff bytes.
constexpr const char* k_huge_runner = R"(#!/bin/sh
case "$1" in
  ping) exit 0;;
  ssh) printf 'src_hostname='; head -c 2097152 /dev/zero | tr '\000' '\377'; printf '\n';;
esac
)";

class HostileOutput : public labctl::testing::TempDirTest {
 protected:
  json smoke_with(const char* script) {
    labctl::testing::write_text(tmp.path() / "runner", script);
    ::chmod((tmp.path() / "runner").c_str(), 0755);
    const auto env = labctl::testing::env_map({{"CE_STATE_DIR", (tmp.path() / "state").string()},
                                    {"MATRIX_RUNNER", (tmp.path() / "runner").string()}});
    SmokeOptions options;
    options.sites = "onprem=10.77.60.10,aws=10.77.60.11";
    options.out = (tmp.path() / "m.json").string();
    std::ostringstream out;
    const auto code = smoke(options, env, system_process_runner(), out);
    EXPECT_TRUE(code) << code.error().message;
    const std::string text = out.str();
    EXPECT_TRUE(text::is_valid_utf8(text)) << "stdout is not UTF-8";
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "one line expected";
    EXPECT_EQ(labctl::testing::read_text(options.out), text) << "--out differs from stdout";
    return json::parse(text);  // throws on invalid UTF-8 or a raw control byte
  }
};

// No raw C0 control byte (ESC, BEL, SOH) and no DEL inside any string of the document.
void expect_no_control_bytes(const json& value, const std::string& where) {
  if (value.is_string()) {
    for (const unsigned char c : value.get<std::string>()) {
      EXPECT_FALSE(c < 0x20 || c == 0x7f) << where << " holds byte " << int{c};
    }
  } else if (value.is_structured()) {
    for (const auto& [key, item] : value.items()) expect_no_control_bytes(item, where + "." + key);
  }
}

// Given a runner printing ill-formed UTF-8 and escape sequences, expect a valid matrix JSON on
// stdout and in --out, every string printable (U+FFFD for bad bytes, escapes made visible).
TEST_F(HostileOutput, InvalidUtf8AndControlBytesKeepTheJsonValid) {
  const json matrix = smoke_with(k_hostile_runner);
  ASSERT_EQ(matrix["flows"].size(), 2U);
  expect_no_control_bytes(matrix, "matrix");
  const json& flow = matrix["flows"][0];
  const std::string src = flow["srcHostname"];
  EXPECT_NE(src.find("\xEF\xBF\xBD"), std::string::npos) << src;  // U+FFFD
  EXPECT_NE(src.find("\\x1b[31mevil"), std::string::npos) << src;
  EXPECT_NE(flow["dstHostname"].get<std::string>().find("ok\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(flow["peerIp"], "10.77.60.10\\x1b[2J");
  EXPECT_EQ(flow["result"], "fail");
  EXPECT_NE(flow["error"].get<std::string>().find("\\x1b]0;owned\\x07"), std::string::npos)
      << flow["error"];
  EXPECT_EQ(matrix["summary"]["passed"], 0);
}

// Given a runner printing a 2 MiB hostname, expect it cut to a bounded, printable value.
TEST_F(HostileOutput, HugeOutputIsCut) {
  const json matrix = smoke_with(k_huge_runner);
  const std::string src = matrix["flows"][0]["srcHostname"];
  EXPECT_LE(src.size(), 512U + 3U);  // printable's cap plus "…"
  EXPECT_TRUE(src.ends_with("…")) << src.size();
}

// Given an observation full of outside bytes, expect every field printable and error texts
// cut at k_max_error_bytes.
TEST(MakePrintable, EveryFieldIsMadeSafeAndBounded) {
  Observation seen;
  seen.peer_ip = "\xff";
  seen.path_src_ip = "\x1b";
  seen.default_gw = "\x7f";
  seen.src_hostname = "a\nb";
  seen.dst_hostname = std::string(10000, 'h');
  seen.src_hostkey_sha256 = "\xc3";
  seen.dst_hostkey_sha256 = "\t";
  seen.src_identity_error = "\xfe";
  seen.dst_identity_error = "\r";
  seen.error = std::string(100000, '\x01');
  make_printable(seen);
  for (const std::string* value :
       {&seen.peer_ip, &seen.path_src_ip, &seen.default_gw, &seen.src_hostname,
        &seen.dst_hostname, &seen.src_hostkey_sha256, &seen.dst_hostkey_sha256,
        &seen.src_identity_error, &seen.dst_identity_error, &seen.error}) {
    EXPECT_TRUE(text::is_valid_utf8(*value)) << *value;
    for (const unsigned char c : *value) EXPECT_FALSE(c < 0x20 || c == 0x7f) << *value;
  }
  EXPECT_EQ(seen.src_hostname, "a\\nb");
  EXPECT_LE(seen.dst_hostname.size(), 512U + 3U);
  EXPECT_LE(seen.error.size(), k_max_error_bytes + 3U);
  EXPECT_GT(seen.error.size(), 512U) << "errors keep more than the default cut";
}

}  // namespace
}  // namespace labctl::matrix
