#include "evidence/bundle.hpp"

#include <sys/stat.h>
#include <regex>

#include <gtest/gtest.h>

#include "evidence/assemble.hpp"
#include "core/strcat.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/evidence/fixtures.hpp"

namespace labctl::evidence {
namespace {

using labctl::testing::read_text;
using labctl::testing::TempDirTest;
using nlohmann::json;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The first link whose target is not one of the bundle's own files, or "" when there is none.
std::string only_bundle_links(const std::string& html) {
  static const std::regex k_link("href=\"([^\"]*)\"");
  for (std::sregex_iterator it(html.begin(), html.end(), k_link), end; it != end; ++it) {
    const std::string target = (*it)[1].str();
    if (std::ranges::find(k_bundle_files, target) == k_bundle_files.end()) return target;
  }
  return "";
}

BundleContents contents_for(AssemblyRequest request) {
  request.fencing = fencing_assertions(nullptr, request.run_id);
  auto assembly = assemble(request);
  EXPECT_TRUE(assembly.has_value());
  return {.result = assembly->document,
          .fail_reasons = assembly->fail_reasons,
          .inputs = request.inputs,
          .timeline = {{"runId", request.run_id},
                       {"events",
                        {{{"ts", "2026-06-01T00:00:01.000Z"},
                          {"kind", "up"},
                          {"detail", {{"note", "<b>&"}}}}}}},
          .preflight = std::nullopt};
}

AssemblyRequest basic_request() {
  AssemblyRequest request;
  request.run_id = "20260601T000000Z-cloudedge-d3";
  request.scenario = "d3";
  request.commit = "offline";
  request.inputs.matrix =
      testing::doc(testing::make_matrix(testing::k_four_sites, {"onprem->aws"}));
  request.inputs.timing = testing::doc(testing::passing_timing());
  return request;
}

using Bundle = TempDirTest;

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(Bundle, WritesEveryFileAndAManifestThatMatches) {
  const auto out = tmp.path() / "new" / "bundle";
  const auto path = write_bundle(out, contents_for(basic_request()));
  ASSERT_TRUE(path.has_value()) << path.error().message;
  EXPECT_EQ(*path, out / "result.json");
  struct stat st {};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  const std::string manifest = read_text(out / "MANIFEST.sha256");
  EXPECT_NE(manifest.find("# labctl-version: "), std::string::npos);
  EXPECT_NE(manifest.find("# labctl-commit: "), std::string::npos);
  const std::regex line("^([0-9a-f]{64})  (.+)$");
  std::size_t listed = 0;
  std::istringstream lines(manifest);
  for (std::string text; std::getline(lines, text);) {
    if (text.starts_with("#")) continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(text, m, line)) << text;
    EXPECT_EQ(m[1].str(), sha256_hex(read_text(out / m[2].str()))) << m[2].str();
    ++listed;
  }
  // result, summary, report, timeline + the two inputs given (matrix, timing).
  EXPECT_EQ(listed, 6u);
  EXPECT_EQ(read_text(out / "connectivity-matrix.json"), basic_request().inputs.matrix->text);
  EXPECT_FALSE(std::filesystem::exists(out / "protocol-probe.json"));
  EXPECT_EQ(json::parse(read_text(out / "timeline.json"))["events"][0]["kind"], "up");
}

TEST_F(Bundle, ReportHasAnNxNGridAndNoExternalResources) {
  ASSERT_TRUE(write_bundle(tmp.path(), contents_for(basic_request())).has_value());
  const std::string html = read_text(tmp.path() / "report.html");
  EXPECT_EQ(count(html, "<td class=\"cell "), 16u);
  EXPECT_EQ(count(html, "data-result=\"fail\""), 1u);
  EXPECT_EQ(count(html, "data-result=\"self\""), 4u);
  EXPECT_NE(html.find("data-from=\"onprem\" data-to=\"aws\" data-result=\"fail\""),
            std::string::npos);
  for (const char* external :
       {"<script", "<link", "<img", " src=", "url(", "@import", "http://", "https://"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  EXPECT_EQ(only_bundle_links(html), "");
  EXPECT_NE(html.find("note=&lt;b&gt;&amp;"), std::string::npos);  // the timeline detail, escaped
}

TEST_F(Bundle, HostileStringsAreEscapedInEveryView) {
  auto request = basic_request();
  request.scenario = "x\"</td><script>alert(1)</script>\n# Heading | pipe";
  request.commit = "`rm -rf` *bold* [link](http://evil.example)";
  ASSERT_TRUE(write_bundle(tmp.path(), contents_for(request)).has_value());
  const std::string html = read_text(tmp.path() / "report.html");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(only_bundle_links(html), "");  // a URL in the input stays text
  const std::string md = read_text(tmp.path() / "summary.md");
  EXPECT_EQ(md.find("\n# Heading"), std::string::npos);
  EXPECT_NE(md.find("x\"\\</td>\\<script>alert(1)\\</script>\\n# Heading \\| pipe"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("\\`rm -rf\\` \\*bold\\* \\[link\\](http://evil.example)"),
            std::string::npos)
      << md;
  EXPECT_EQ(json::parse(read_text(tmp.path() / "result.json"))["scenario"], request.scenario);
}

TEST_F(Bundle, SummaryHasTheMatrixTruthTable) {
  ASSERT_TRUE(write_bundle(tmp.path(), contents_for(basic_request())).has_value());
  const std::string md = read_text(tmp.path() / "summary.md");
  EXPECT_TRUE(md.starts_with("# CloudEdge lab evidence: 20260601T000000Z-cloudedge-d3\n"));
  EXPECT_NE(md.find("| src → dst | onprem | aws | azure | oci |"), std::string::npos) << md;
  EXPECT_NE(md.find("| onprem | · | **FAIL** | pass | pass |"), std::string::npos) << md;
  EXPECT_NE(md.find("- Result: **FAIL**"), std::string::npos);
  EXPECT_NE(md.find("\nWhy the result is fail:\n\n- "), std::string::npos);
  EXPECT_NE(md.find("| provider convergence | not measured |"), std::string::npos) << md;
  EXPECT_NE(md.find("| normal matrix | 11/12 flows passed, result fail, phase matrix"), std::string::npos);
}

// A before matrix that passes and an after matrix whose onprem->aws flow failed for want of
// the client's SSH host, with latencies; a measured failover; a live run's events to down.
BundleContents before_and_after_contents() {
  AssemblyRequest request = basic_request();
  json after = testing::make_matrix(testing::k_four_sites, {"onprem->aws"});
  for (json& flow : after["flows"]) {
    flow["pingMs"] = 0.4;
    flow["sshMs"] = 12.3;
    if (flow["result"] == "fail") {
      flow["pingMs"] = nullptr;
      flow["error"] = "no CE_ONPREM_CLIENT_SSH_HOST";
    }
  }
  request.inputs.matrix = testing::doc(after);
  request.inputs.matrix_before =
      testing::doc(testing::make_matrix(testing::k_four_sites, {}, "before"));
  BundleContents contents = contents_for(request);
  contents.timeline["events"] = json::array(
      {{{"ts", "2026-06-01T00:00:06.000Z"},
        {"kind", "up"},
        {"detail", {{"result", "completed"}, {"infraProvisionSeconds", 6.5}}}},
       {{"ts", "2026-06-01T00:00:40.000Z"},
        {"kind", "down"},
        {"detail", {{"result", "completed"}, {"deleted", 14}}}}});
  return contents;
}

// Given before and after matrices, a measured failover and a run's events, expect every section
// of report.html with its numbers: the failover chart's bars, both grids, each flow's latency and
// the failing flow's reason, the lifecycle steps and links to every file of the bundle.
TEST_F(Bundle, ReportShowsFailoverBothMatricesLifecycleAndFiles) {
  ASSERT_TRUE(write_bundle(tmp.path(), before_and_after_contents()).has_value());
  const std::string html = read_text(tmp.path() / "report.html");
  for (const char* section : {"verdict", "failover", "matrices", "lifecycle", "qualification",
                              "providers", "assertions", "timeline", "files"}) {
    EXPECT_NE(html.find(cat("<section id=\"", section, "\">")), std::string::npos) << section;
  }
  // passing_timing(): detection 2.0, switchover 3.5, recovery 12.5 against 60.
  EXPECT_NE(html.find("data-stage=\"detection\" data-seconds=\"2.000\""), std::string::npos);
  EXPECT_NE(html.find("data-stage=\"switchover\" data-seconds=\"3.500\""), std::string::npos);
  EXPECT_NE(html.find("data-stage=\"recovery\" data-seconds=\"12.500\""), std::string::npos);
  EXPECT_NE(html.find("threshold 60.0 s"), std::string::npos);
  EXPECT_EQ(count(html, "<td class=\"cell "), 32u);
  EXPECT_NE(html.find("<div class=\"matrix-col\" data-phase=\"before\">"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"matrix-col\" data-phase=\"after\">"), std::string::npos);
  EXPECT_EQ(count(html, "data-result=\"fail\""), 1u);  // only the after matrix fails
  EXPECT_NE(html.find("<td class=\"reason\">failed ping: no CE_ONPREM_CLIENT_SSH_HOST</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">12.3 ms</td>"), std::string::npos);
  EXPECT_NE(html.find("lab up: every resource ready in 6.50 s"), std::string::npos);
  EXPECT_NE(html.find("teardown completed: 14 resource(s) confirmed deleted"), std::string::npos);
  for (const char* file : {"result.json", "connectivity-matrix-before.json",
                           "connectivity-matrix.json", "failover-timing.json", "MANIFEST.sha256"}) {
    EXPECT_NE(html.find(cat("<a href=\"", file, "\">")), std::string::npos) << file;
  }
  EXPECT_EQ(only_bundle_links(html), "");
  EXPECT_TRUE(std::filesystem::exists(tmp.path() / "connectivity-matrix-before.json"));
}

// The same content in summary.md, readable as written: names with underscores and the reason
// appear without backslashes.
TEST_F(Bundle, SummaryHasTheSameSectionsAsPlainMarkdown) {
  ASSERT_TRUE(write_bundle(tmp.path(), before_and_after_contents()).has_value());
  const std::string md = read_text(tmp.path() / "summary.md");
  for (const char* heading :
       {"## Verdict: FAIL", "## Failover timing", "### before (connectivity-matrix-before.json)",
        "### after (connectivity-matrix.json)", "## Lifecycle", "## Timeline", "## Files"}) {
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  }
  EXPECT_NE(md.find("| azure | stop-active | 2.00 s | 3.50 s | 12.5 s | pass |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| onprem | aws | **fail** | – | 12.3 ms | failed ping: no "
                    "CE_ONPREM_CLIENT_SSH_HOST |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- directed_ping_ssh_matrix: summary.result=fail"), std::string::npos) << md;
  EXPECT_NE(md.find("| down | 2026-06-01T00:00:40.000Z | not recorded | pass | teardown "
                    "completed: 14 resource(s) confirmed deleted |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- connectivity-matrix-before.json\n"), std::string::npos);
}

TEST_F(Bundle, AnEarlierCollectsInputCopiesAreRemoved) {
  auto request = basic_request();
  request.inputs.protocol = testing::doc(testing::passing_protocol());
  ASSERT_TRUE(write_bundle(tmp.path(), contents_for(request)).has_value());
  ASSERT_TRUE(std::filesystem::exists(tmp.path() / "protocol-probe.json"));
  ASSERT_TRUE(write_bundle(tmp.path(), contents_for(basic_request())).has_value());
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "protocol-probe.json"));
  EXPECT_EQ(read_text(tmp.path() / "MANIFEST.sha256").find("protocol-probe.json"),
            std::string::npos);
}

// Given a preflight, expect preflight.json copied verbatim, listed in the manifest, and a short
// Preflight section in summary.md; a later bundle without one removes the copy.
TEST_F(Bundle, PreflightIsCopiedListedAndSummarised) {
  BundleContents contents = contents_for(basic_request());
  contents.preflight = testing::doc(testing::preflight_document("pass"));
  ASSERT_TRUE(write_bundle(tmp.path(), contents).has_value());
  EXPECT_EQ(read_text(tmp.path() / "preflight.json"), contents.preflight->text);
  const std::string manifest = read_text(tmp.path() / "MANIFEST.sha256");
  EXPECT_NE(manifest.find(sha256_hex(contents.preflight->text) + "  preflight.json\n"),
            std::string::npos)
      << manifest;
  const std::string md = read_text(tmp.path() / "summary.md");
  EXPECT_NE(md.find("## Preflight (read-only, before any mutation)"), std::string::npos) << md;
  EXPECT_NE(md.find("- Result: pass (collected 2026-06-01T00:00:00Z)"), std::string::npos) << md;
  EXPECT_NE(md.find("- ENI: eni-0a1b2c3d, sourceDestCheck: true"), std::string::npos) << md;
  EXPECT_NE(md.find("- Address: 198.18.0.50, addressAlreadyAssigned: no"), std::string::npos);
  EXPECT_NE(md.find("| address-not-assigned | pass | 198.18.0.50 is not on eni-0a1b2c3d |"),
            std::string::npos)
      << md;
  EXPECT_LT(md.find("## Preflight"), md.find("## Assertions"));
  // The result document does not change shape.
  EXPECT_FALSE(json::parse(read_text(tmp.path() / "result.json")).contains("preflight"));

  ASSERT_TRUE(write_bundle(tmp.path(), contents_for(basic_request())).has_value());
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "preflight.json"));
  EXPECT_EQ(read_text(tmp.path() / "MANIFEST.sha256").find("preflight.json"), std::string::npos);
  EXPECT_EQ(read_text(tmp.path() / "summary.md").find("## Preflight"), std::string::npos);
}

// Given a dirty lab (the address already on the ENI, a failing check), expect both shown.
TEST_F(Bundle, PreflightOfADirtyLabShowsTheFailure) {
  json preflight = testing::preflight_document("fail");
  preflight["eni"]["privateIps"].push_back("198.18.0.50");
  preflight["eni"]["sourceDestCheck"] = false;
  preflight["checks"][0] = {{"name", "address-not-assigned"},
                            {"status", "fail"},
                            {"detail", "198.18.0.50 is already on eni-0a1b2c3d | <b>"}};
  BundleContents contents = contents_for(basic_request());
  contents.preflight = testing::doc(preflight);
  ASSERT_TRUE(write_bundle(tmp.path(), contents).has_value());
  const std::string md = read_text(tmp.path() / "summary.md");
  EXPECT_NE(md.find("- Address: 198.18.0.50, addressAlreadyAssigned: yes"), std::string::npos);
  EXPECT_NE(md.find("sourceDestCheck: false"), std::string::npos);
  EXPECT_NE(md.find("| address-not-assigned | **fail** | 198.18.0.50 is already on eni-0a1b2c3d "
                    "\\| \\<b> |"),
            std::string::npos)
      << md;
}

// Given the address as the ENI's primary IP, expect it reported as already assigned too.
TEST_F(Bundle, PreflightCountsThePrimaryIpAsAssigned) {
  json preflight = testing::preflight_document("fail");
  preflight["address"] = "198.18.0.9";
  BundleContents contents = contents_for(basic_request());
  contents.preflight = testing::doc(preflight);
  ASSERT_TRUE(write_bundle(tmp.path(), contents).has_value());
  EXPECT_NE(read_text(tmp.path() / "summary.md")
                .find("- Address: 198.18.0.9, addressAlreadyAssigned: yes"),
            std::string::npos);
}

TEST_F(Bundle, UnwritableOutIsAUsageError) {
  labctl::testing::write_text(tmp.path() / "file", "x");
  const auto path = write_bundle(tmp.path() / "file" / "sub", contents_for(basic_request()));
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error().code, ExitCode::usage);
}

}  // namespace
}  // namespace labctl::evidence
