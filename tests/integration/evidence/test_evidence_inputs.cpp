// `labctl evidence collect` on hostile inputs and flags (issue 17, classes 3 and 7): every input
// file is bounded in size and depth and answered in well under a second; scenario and commit
// are bounded; a number beyond a double is bad input (exit 2), not a provider error.
#include <chrono>

#include "tests/integration/evidence/cli_fixture.hpp"

namespace labctl::evidence::testing {
namespace {

using labctl::testing::write_text;

const std::vector<std::string> k_input_flags{
    "--matrix-json",   "--cloud-ingress-matrix-json", "--provider-state-json",
    "--timing-json",   "--protocol-json",             "--l2-loop-json",
};

class EvidenceInputs : public EvidenceCli {
 protected:
  // Writes raw `text` as an input file.
  std::string raw_input(const std::string& name, const std::string& text) {
    const auto path = tmp.path() / "inputs" / name;
    write_text(path, text);
    return path.string();
  }

  // Runs collect and expects exit 2 within `limit`, nothing written; returns stderr. The bound
  // tells a refusal from runaway work (a quadratic scan or a parse of the whole document), not a
  // performance target: it holds under ASan on a loaded 2-core CI machine, where one start of
  // the binary alone took up to 1 s.
  std::string expect_refused_fast(std::vector<std::string> args,
                                  std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = collect("E", std::move(args));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_LT(took, limit) << r.err;
    EXPECT_FALSE(std::filesystem::exists(bundle("E") / "result.json"));
    return r.err;
  }
};

// Given 100,000 nested "[" (and "{") in each input file, expect exit 2 at once naming the depth
// limit — the flag's document never reaches a recursive parser or shape check.
TEST_F(EvidenceInputs, DeepInputIsRefusedAtOnce) {
  const std::string brackets(100000, '[');
  std::string objects;
  for (int i = 0; i < 50000; ++i) objects += "{\"a\":";
  for (const auto& flag : k_input_flags) {
    for (const auto& [name, text] :
         std::vector<std::pair<std::string, std::string>>{{"brackets", brackets},
                                                          {"objects", objects}}) {
      const auto file = raw_input(name + ".json", text);
      const auto err = expect_refused_fast({"--commit", "x", flag, file});
      EXPECT_NE(err.find("nested deeper than"), std::string::npos) << flag << ": " << err;
      EXPECT_NE(err.find(flag), std::string::npos) << err;
    }
  }
}

// Given numbers beyond a double (1e400, -1e400) in a matrix or a timing file, expect exit 2
// (bad input), not 3.
TEST_F(EvidenceInputs, OutOfRangeNumbersAreBadInput) {
  for (const std::string number : {"1e400", "-1e400", "123e999999"}) {
    const auto matrix = raw_input("m.json", "{\"summary\":{\"result\":\"pass\",\"total\":" +
                                                number + "},\"flows\":[]}");
    (void)expect_refused_fast({"--commit", "x", "--matrix-json", matrix});
    const auto timing = raw_input("t.json", "{\"events\":[{\"recoverySeconds\":" + number + "}]}");
    (void)expect_refused_fast({"--commit", "x", "--timing-json", timing});
  }
}

// Given other malformed input files (bad UTF-8, a second document, a cut document), expect
// exit 2 naming the flag.
TEST_F(EvidenceInputs, MalformedDocumentsAreBadInput) {
  const std::vector<std::string> bad{
      "{\"status\":\"\xff\xfe\"}",  // not UTF-8
      "{} {}",                      // two documents
      "{\"status\":",               // cut
  };
  for (const auto& text : bad) {
    const auto file = raw_input("bad.json", text);
    const auto err = expect_refused_fast({"--commit", "x", "--protocol-json", file});
    EXPECT_NE(err.find("--protocol-json"), std::string::npos) << err;
  }
}

// Given a 30,000-character --scenario, or a --commit past 255 bytes, expect exit 2 at once; a
// scenario at the limit (128 bytes) is taken.
TEST_F(EvidenceInputs, ScenarioAndCommitAreBounded) {
  auto err = expect_refused_fast({"--scenario", std::string(30000, 's'), "--commit", "x"});
  EXPECT_NE(err.find("--scenario"), std::string::npos) << err;
  err = expect_refused_fast({"--scenario", std::string(129, 's'), "--commit", "x"});
  EXPECT_NE(err.find("--scenario"), std::string::npos) << err;
  err = expect_refused_fast({"--commit", std::string(256, 'c')});
  EXPECT_NE(err.find("--commit"), std::string::npos) << err;
  err = expect_refused_fast({"--commit", std::string(30000, 'c')});
  EXPECT_NE(err.find("--commit"), std::string::npos) << err;
  err = expect_refused_fast({"--scenario", "bad\xff", "--commit", "x"});
  EXPECT_NE(err.find("UTF-8"), std::string::npos) << err;

  const std::string longest(128, 's');
  const auto r = collect("OK", {"--scenario", longest, "--commit", std::string(255, 'c')});
  ASSERT_TRUE(r.code == 0 || r.code == 1) << r.err;
  EXPECT_EQ(result_of("OK")["scenario"], longest);
}

// Given a --run-id far past the limit, expect exit 2 at once (it would otherwise reach the
// schema's pattern).
TEST_F(EvidenceInputs, LongRunIdIsRefusedAtOnce) {
  const auto err = expect_refused_fast(
      {"--run-id", "20260601T000000Z-cloudedge-" + std::string(40000, 'a'), "--commit", "x"});
  EXPECT_NE(err.find("--run-id"), std::string::npos) << err;
}

}  // namespace
}  // namespace labctl::evidence::testing
