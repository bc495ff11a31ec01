#include "ssh/session.hpp"

#include <gtest/gtest.h>

#include <string>

namespace labctl::ssh {
namespace {

// Given chunks that together pass k_max_output_bytes, expect exactly the cap kept and the
// truncation flagged; below the cap nothing is flagged.
TEST(SshSession, AppendCappedKeepsAtMostTheCapAndFlagsTheRest) {
  std::string sink;
  bool truncated = false;
  const std::string chunk(300 * 1024, 'x');
  for (int i = 0; i < 3; ++i) append_capped(sink, chunk, truncated);
  EXPECT_EQ(sink.size(), 900U * 1024U);
  EXPECT_FALSE(truncated);
  append_capped(sink, chunk, truncated);
  EXPECT_EQ(sink.size(), k_max_output_bytes);
  EXPECT_TRUE(truncated);
  append_capped(sink, "more", truncated);
  EXPECT_EQ(sink.size(), k_max_output_bytes);
}

}  // namespace
}  // namespace labctl::ssh
