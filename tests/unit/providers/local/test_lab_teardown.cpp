#include <gtest/gtest.h>
#include <unistd.h>

#include "core/time.hpp"
#include "tests/unit/providers/local/local_fixture.hpp"

namespace labctl::providers::local {
namespace {

namespace fs = std::filesystem;
using LocalDiscover = LocalFixture;
using LocalTeardown = LocalFixture;

void write_meta(const fs::path& dir, const std::string& run_id, const std::string& ttl) {
  testing::write_text(dir / (run_id + ".json"),
                      nlohmann::json{{"run_id", run_id},
                                     {"ttl_expires_at", ttl},
                                     {"netns", {"ce-00000000-gone"}},
                                     {"pids", {{{"pid", 999999}, {"match", run_id}}}}}
                          .dump());
}

// Given metadata files of an expired run, a live run and a damaged file, expect discovery to
// report only what exists of the runs asked for (here: just their metadata files).
TEST_F(LocalDiscover, FindsExpiredLabsByTheirMetadataTtl) {
  const fs::path meta = tmp.path() / "meta";
  write_meta(meta, "20261124T080000Z-cloudedge-old", "2026-11-24T09:00:00Z");
  write_meta(meta, "20261124T090000Z-cloudedge-new", "2026-11-24T12:00:00Z");
  testing::write_text(meta / "garbage.json", "{not json");
  const auto now = *parse_rfc3339("2026-11-24T10:00:00Z");

  auto expired = provider_->discover({"", true, now, nullptr, {}});
  ASSERT_TRUE(expired) << expired.error().message;
  ASSERT_EQ(expired->found.size(), 1u);
  EXPECT_EQ(expired->found[0].run_id, "20261124T080000Z-cloudedge-old");
  EXPECT_EQ(expired->found[0].kind, "file");
  EXPECT_EQ(expired->found[0].ttl_expires_at, "2026-11-24T09:00:00Z");

  auto one = provider_->discover({"20261124T090000Z-cloudedge-new", false, now, nullptr, {}});
  ASSERT_TRUE(one);
  ASSERT_EQ(one->found.size(), 1u);
  EXPECT_EQ(one->found[0].cloud_id, (meta / "20261124T090000Z-cloudedge-new.json").string());
}

TEST_F(LocalDiscover, EmptyWithoutMetadataDirectory) {
  auto found = provider_->discover({"", true, system_clock()->now(), nullptr, {}});
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->found.empty());
}

// Given a row whose path does not name the run, expect it refused, the other files removed,
// and the metadata file kept (so the lab stays discoverable) until a later teardown succeeds.
TEST_F(LocalTeardown, NeverDeletesPathsOutsideTheRunAndKeepsMetadataUntilClean) {
  const fs::path run_dir = tmp.path() / "state" / "runs" / run_.run_id / "local";
  const fs::path meta = tmp.path() / "meta" / (run_.run_id + ".json");
  const fs::path outsider = tmp.path() / "not-this-lab.txt";
  testing::write_text(run_dir / "known_hosts", "x");
  testing::write_text(meta, nlohmann::json{{"run_id", run_.run_id}}.dump());
  testing::write_text(outsider, "keep me");
  const auto add = [&](const std::string& kind, const std::string& name, const fs::path& path) {
    state::ResourceRecord row;
    row.run_id = run_.run_id;
    row.provider = "local";
    row.kind = kind;
    row.name = name;
    auto id = store_->record_intent(row);
    EXPECT_TRUE(id);
    EXPECT_TRUE(store_->mark_created(*id, path.string(), nlohmann::json::object()));
    row.id = *id;
    row.cloud_id = path.string();
    return row;
  };
  std::vector<state::ResourceRecord> rows{
      add("dir", "run-dir", run_dir), add("file", "metadata", meta),
      add("file", "known-hosts", run_dir / "known_hosts"), add("file", "bad", outsider)};
  auto first = provider_->teardown(ctx(), rows);
  if (::geteuid() != 0) {
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().code, ExitCode::refused);
    return;
  }
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message.find("refusing to delete"), std::string::npos);
  EXPECT_TRUE(fs::exists(outsider));
  EXPECT_TRUE(fs::exists(meta));
  EXPECT_FALSE(fs::exists(run_dir));
  EXPECT_FALSE(fs::exists(run_dir.parent_path()));  // runs/<run-id> removed once empty

  rows.pop_back();
  auto second = provider_->teardown(ctx(), {rows[1]});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(fs::exists(meta));
}

}  // namespace
}  // namespace labctl::providers::local
