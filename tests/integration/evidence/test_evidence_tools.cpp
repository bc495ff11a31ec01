// Independent checks of real bundles: ajv (draft-07) against the REFERENCE schema, sha256sum on
// the manifest, and headless Chromium rendering report.html with networking disabled.
#include <fstream>

#include <gtest/gtest.h>

#include "core/state_store.hpp"
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

// A live run that went up, deployed, ran its smokes and a measured failover, and was torn down,
// as those commands leave it in the state store (a real lab cannot run here).
void record_torn_down_run(const std::filesystem::path& state_dir, const std::string& run_id) {
  auto store = state::Store::open(state_dir);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  state::RunRecord run;
  run.run_id = run_id;
  run.scenario = "d3-4site-directed-matrix";
  run.providers = {"onprem", "aws", "azure", "oci"};
  run.ttl_seconds = 1800;
  run.status = state::k_run_down;
  run.dry_run = false;
  ASSERT_TRUE((*store)->insert_run(run).has_value());
  for (const auto& [kind, detail] : std::vector<std::pair<std::string, json>>{
           {"up", {{"result", "completed"}, {"infraProvisionSeconds", 6.5}}},
           {"deploy", {{"node", "router-a"}, {"site", "onprem"}, {"result", "pass"}, {"seconds", 2.5}}},
           {"deploy", {{"kind", "summary"}, {"result", "pass"}, {"artifact", "routerd"}}},
           {"smoke", {{"phase", "before"}, {"total", 12}, {"passed", 12}, {"result", "pass"},
                      {"elapsedSeconds", 1.25}}},
           {"failover", {{"provider", "azure"}, {"fault", "stop-active"}, {"result", "injected"},
                         {"timing", passing_timing(12.5)}}},
           {"smoke", {{"phase", "after"}, {"total", 12}, {"passed", 11}, {"result", "fail"},
                      {"elapsedSeconds", 1.5}}},
           {"down", {{"result", "completed"}, {"deleted", 14}, {"discovered", 0}}}}) {
    ASSERT_TRUE((*store)->add_event(run_id, kind, detail).has_value());
  }
}

// Given a torn-down run with before and after matrices (the after one failing a flow for want
// of its SSH host) and a measured failover, expect Chromium, offline, to render report.html to
// a non-trivial PNG, and its DOM to hold every section with its numbers: the failover bars
// against the threshold, both 4x4 grids, the failing flow's reason, the step durations and the
// teardown; and the page to make no network request.
TEST_F(EvidenceTools, ChromiumRendersTheReportOffline) {
  const auto chromium = find_program("chromium");
  if (!chromium) GTEST_SKIP() << "chromium not installed (apt-get install chromium)";
  record_torn_down_run(tmp.path() / "state", k_d3_run);
  json after = make_matrix(k_four_sites, {"onprem->aws"}, "after");
  for (json& flow : after["flows"]) {
    flow["pingMs"] = 0.4;
    flow["sshMs"] = 12.3;
    if (flow["result"] == "fail") flow["error"] = "no CE_ONPREM_CLIENT_SSH_HOST";
  }
  ASSERT_EQ(collect("story", {"--run-id", k_d3_run, "--commit", "offline", "--matrix-json",
                              input("before.json", make_matrix(k_four_sites, {}, "before")),
                              "--matrix-json", input("after.json", after), "--timing-json",
                              input("t.json", passing_timing(12.5))})
                .code,
            1);
  const std::string page = "file://" + (bundle("story") / "report.html").string();

  auto args = chromium_args(*chromium, tmp.path() / "profile-shot", tmp.path() / "shot-net.json");
  const auto png = tmp.path() / "report.png";
  args.insert(args.end(), {"--screenshot=" + png.string(), "--window-size=1280,2400", page});
  const auto shot = run_command(args, {{"HOME", tmp.path().string()}}, tmp.path());
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
  const std::string image = read_text(png);
  EXPECT_TRUE(image.starts_with("\x89PNG\r\n\x1a\n"));
  EXPECT_GT(image.size(), 20000u) << "a blank page compresses to a few KB";
  EXPECT_TRUE(page_requests(tmp.path() / "shot-net.json").empty());

  const auto [dom, requests] = load_page(*chromium, tmp.path(), "report", page);
  EXPECT_TRUE(requests.empty()) << requests.front();
  for (const char* section : {"verdict", "failover", "matrices", "lifecycle", "qualification",
                              "providers", "assertions", "timeline", "files"}) {
    EXPECT_EQ(count(dom, "<section id=\"" + std::string(section) + "\">"), 1u) << section;
  }
  // The failover: passing_timing(12.5) is detection 2.0 s, switchover 3.5 s, recovery 12.5 s.
  EXPECT_EQ(count(dom, "data-stage=\"detection\" data-seconds=\"2.000\""), 1u);
  EXPECT_EQ(count(dom, "data-stage=\"switchover\" data-seconds=\"3.500\""), 1u);
  EXPECT_EQ(count(dom, "data-stage=\"recovery\" data-seconds=\"12.500\""), 1u);
  EXPECT_EQ(count(dom, ">threshold 60.0 s</text>"), 1u);  // the chart's threshold line
  // Both matrices, side by side, one failing cell in the after one.
  EXPECT_EQ(count(dom, "class=\"cell "), 32u);
  EXPECT_EQ(count(dom, "data-result=\"self\""), 8u);
  EXPECT_EQ(count(dom, "data-result=\"fail\""), 1u);
  EXPECT_EQ(count(dom, "<div class=\"matrix-col\" data-phase=\"before\">"), 1u);
  EXPECT_EQ(count(dom, "<div class=\"matrix-col\" data-phase=\"after\">"), 1u);
  EXPECT_EQ(count(dom, "failed ping: no CE_ONPREM_CLIENT_SSH_HOST"), 1u);
  EXPECT_EQ(count(dom, "<td class=\"num\">12.3 ms</td>"), 12u);  // every after flow's SSH time
  // The lifecycle's step durations and the teardown.
  EXPECT_NE(dom.find("lab up: every resource ready in 6.50 s"), std::string::npos);
  EXPECT_NE(dom.find("<td class=\"num\">2.50 s</td>"), std::string::npos);  // deploy
  EXPECT_NE(dom.find("smoke before: 12/12 flows passed in 1.25 s (pass)"), std::string::npos);
  EXPECT_NE(dom.find("teardown completed: 14 resource(s) confirmed deleted"), std::string::npos);
  EXPECT_NE(dom.find("<tr><th>infrastructure provisioning</th><td>6.5 s</td></tr>"),
            std::string::npos);
  EXPECT_NE(dom.find("<tr><th>teardown</th><td>completed</td></tr>"), std::string::npos);
  EXPECT_NE(dom.find("<a href=\"connectivity-matrix-before.json\">"), std::string::npos);

  // The check can fail: a page with one external image is caught.
  labctl::testing::write_text(
      tmp.path() / "control.html",
      "<!DOCTYPE html><p>x</p><img src=\"http://evidence-canary.invalid/x.png\">");
  const auto control = load_page(*chromium, tmp.path(), "control",
                                 "file://" + (tmp.path() / "control.html").string());
  ASSERT_EQ(control.second.size(), 1u);
  EXPECT_EQ(control.second[0], "http://evidence-canary.invalid/x.png");

  // And statically: the page loads nothing outside itself; its only links are to the bundle's
  // own files.
  const std::string html = read_text(bundle("story") / "report.html");
  for (const char* external :
       {"<script", "<link", "<img", "<iframe", " src=", "url(", "@import", "http:", "https:"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  EXPECT_EQ(count(html, " href=\""), count(html, "<li><a href=\""));
}

}  // namespace
}  // namespace labctl::evidence::testing
