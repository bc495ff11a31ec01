// Independent checks of real bundles: ajv (draft-07) against the REFERENCE schema, sha256sum on
// the manifest, and headless Chromium rendering report.html with networking disabled.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/integration/evidence/cli_fixture.hpp"

namespace labctl::evidence::testing {
namespace {

using labctl::testing::read_text;
using labctl::testing::run_command;
using nlohmann::json;

// ajv-cli: $LABCTL_AJV, else <build>/npm/node_modules/.bin/ajv (tests/integration/evidence/
// setup-tools.sh installs it there), else `ajv` on PATH.
std::optional<std::string> ajv() {
  if (const char* configured = std::getenv("LABCTL_AJV")) return find_program(configured);
  if (auto local = find_program(LABCTL_NPM_BIN "/ajv")) return local;
  return find_program("ajv");
}

class EvidenceTools : public EvidenceCli {
 protected:
  // Three real bundles: a pass, a one-ping failure, and a fail with every probe input and
  // hostile strings.
  void make_bundles() {
    ASSERT_EQ(collect("pass", {"--run-id", k_d3_run, "--commit", "offline", "--matrix-json",
                               input("m.json", make_matrix(k_four_sites))})
                  .code,
              0);
    ASSERT_EQ(collect("fail", {"--run-id", k_d3_run, "--commit", "offline", "--matrix-json",
                               input("r6.json", make_matrix(k_four_sites, {"onprem->aws"}))})
                  .code,
              1);
    ASSERT_EQ(collect("full", {"--scenario", "q\"\\\n\u2603", "--commit", "c\"\\", "--matrix-json",
                               input("m.json", make_matrix(k_four_sites)), "--timing-json",
                               input("t.json", passing_timing(75)), "--protocol-json",
                               input("p.json", passing_protocol()), "--l2-loop-json",
                               input("l.json", passing_l2()), "--cloud-ingress-matrix-json",
                               input("c.json", make_matrix(k_four_sites, {}, "cloud-ingress", 2))})
                  .code,
              1);
  }
};

TEST_F(EvidenceTools, AjvValidatesBundlesAgainstTheReferenceSchema) {
  const auto tool = ajv();
  if (!tool)
    GTEST_SKIP() << "ajv-cli not installed (run tests/integration/evidence/setup-tools.sh)";
  if (!std::filesystem::exists(LABCTL_REFERENCE_SCHEMA))
    GTEST_SKIP() << "reference schema not found";
  make_bundles();
  const auto validate = [&](const std::filesystem::path& document) {
    return run_command({*tool, "validate", "--spec=draft7", "--strict=false", "-s",
                        LABCTL_REFERENCE_SCHEMA, "-d", document.string()},
                       {}, tmp.path());
  };
  for (const char* out : {"pass", "fail", "full"}) {
    const auto r = validate(bundle(out) / "result.json");
    EXPECT_EQ(r.code, 0) << out << ": " << r.out << r.err;
  }
  // The validator can fail: a tampered copy (bad runId, unknown key) is rejected.
  json tampered = result_of("pass");
  tampered["runId"] = "not-a-run";
  tampered["extra"] = 1;
  labctl::testing::write_text(tmp.path() / "tampered.json", tampered.dump());
  EXPECT_NE(validate(tmp.path() / "tampered.json").code, 0);
}

TEST_F(EvidenceTools, ManifestChecksWithSha256sum) {
  const auto tool = find_program("sha256sum");
  if (!tool) GTEST_SKIP() << "sha256sum not installed";
  make_bundles();
  for (const char* out : {"pass", "full"}) {
    const auto r = run_command({"/bin/sh", "-c", "cd \"$0\" && \"$1\" -c --strict MANIFEST.sha256",
                                bundle(out).string(), *tool},
                               {}, tmp.path());
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("result.json: OK"), std::string::npos) << r.out;
  }
  // Tampering is detected.
  std::ofstream(bundle("pass") / "summary.md", std::ios::app) << "edited\n";
  const auto r = run_command(
      {"/bin/sh", "-c", "cd \"$0\" && \"$1\" -c MANIFEST.sha256", bundle("pass").string(), *tool},
      {}, tmp.path());
  EXPECT_NE(r.code, 0);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Chromium with networking cut off (every host unresolvable) and a net log.
std::vector<std::string> chromium_args(const std::string& chromium,
                                       const std::filesystem::path& profile,
                                       const std::filesystem::path& net_log) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--host-resolver-rules=MAP * ~NOTFOUND",
          "--user-data-dir=" + profile.string(),
          "--log-net-log=" + net_log.string()};
}

// The network requests a page made, from a Chromium net log: URL_REQUEST_START_JOB events whose
// initiator is an origin. Chromium's own background fetches (updater, sign-in) carry the
// initiator "not an origin" (and never resolve: every host is unresolvable); file:// loads do
// not go through the network stack at all.
std::vector<std::string> page_requests(const std::filesystem::path& net_log) {
  const json log = json::parse(read_text(net_log), nullptr, false);
  EXPECT_FALSE(log.is_discarded()) << net_log;
  if (log.is_discarded()) return {"<unreadable net log>"};
  const int start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].get<int>();
  std::vector<std::string> urls;
  for (const json& event : log["events"]) {
    if (event["type"] != start_job || !event.contains("params")) continue;
    const json& params = event["params"];
    if (!params.contains("url")) continue;  // the job's end event carries only net_error
    if (params.value("initiator", "") == "not an origin") continue;
    const std::string url = params.value("url", "");
    if (!url.starts_with("file://")) urls.push_back(url);
  }
  return urls;
}

// Loads `page` with --dump-dom and returns (DOM, page-initiated network requests).
std::pair<std::string, std::vector<std::string>> load_page(const std::string& chromium,
                                                           const std::filesystem::path& dir,
                                                           const std::string& name,
                                                           const std::string& page) {
  auto args = chromium_args(chromium, dir / ("profile-" + name), dir / (name + "-net.json"));
  args.insert(args.end(), {"--dump-dom", page});
  const auto r = run_command(args, {{"HOME", dir.string()}}, dir);
  EXPECT_EQ(r.code, 0) << r.err;
  return {r.out, page_requests(dir / (name + "-net.json"))};
}

// Given a real 4-site bundle, expect Chromium to render report.html to a non-trivial PNG, its
// DOM to hold a 4x4 grid of cells, and the page to make no network request.
TEST_F(EvidenceTools, ChromiumRendersTheReportOffline) {
  const auto chromium = find_program("chromium");
  if (!chromium) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  make_bundles();
  const std::string page = "file://" + (bundle("fail") / "report.html").string();

  auto args = chromium_args(*chromium, tmp.path() / "profile-shot", tmp.path() / "shot-net.json");
  const auto png = tmp.path() / "report.png";
  args.insert(args.end(), {"--screenshot=" + png.string(), "--window-size=1200,1600", page});
  const auto shot = run_command(args, {{"HOME", tmp.path().string()}}, tmp.path());
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
  const std::string image = read_text(png);
  EXPECT_TRUE(image.starts_with("\x89PNG\r\n\x1a\n"));
  EXPECT_GT(image.size(), 20000u) << "a blank page compresses to a few KB";
  EXPECT_TRUE(page_requests(tmp.path() / "shot-net.json").empty());

  const auto [dom, requests] = load_page(*chromium, tmp.path(), "report", page);
  EXPECT_EQ(count(dom, "class=\"cell "), 16u);
  EXPECT_EQ(count(dom, "data-result=\"fail\""), 1u);
  EXPECT_EQ(count(dom, "data-result=\"self\""), 4u);
  EXPECT_TRUE(requests.empty()) << requests.front();

  // The check can fail: a page with one external image is caught.
  labctl::testing::write_text(
      tmp.path() / "control.html",
      "<!DOCTYPE html><p>x</p><img src=\"http://evidence-canary.invalid/x.png\">");
  const auto control = load_page(*chromium, tmp.path(), "control",
                                 "file://" + (tmp.path() / "control.html").string());
  ASSERT_EQ(control.second.size(), 1u);
  EXPECT_EQ(control.second[0], "http://evidence-canary.invalid/x.png");

  // And statically: the page references nothing outside itself.
  const std::string html = read_text(bundle("fail") / "report.html");
  for (const char* external :
       {"<script", "<link", "<img", "<iframe", " src=", " href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
}

}  // namespace
}  // namespace labctl::evidence::testing
