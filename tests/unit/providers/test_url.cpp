#include "providers/url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace labctl::providers {
namespace {

TEST(Url, SplitsWhereARequestGoes) {
  const auto parts = split_url("HTTPS://EC2.Example.com:8443/a/B?x=1&y=%2F#frag");
  ASSERT_TRUE(parts) << parts.error().message;
  EXPECT_EQ(parts->scheme, "https");
  EXPECT_EQ(parts->host, "ec2.example.com");
  EXPECT_EQ(parts->port, 8443);
  EXPECT_EQ(parts->path_and_query, "/a/B?x=1&y=%2F");
  EXPECT_EQ(parts->path(), "/a/B");
  EXPECT_EQ(parts->query(), "x=1&y=%2F");
  EXPECT_TRUE(parts->fragment);
  EXPECT_EQ(parts->host_header(), "ec2.example.com:8443");
}

// Given default, explicit-default, empty and IPv6 ports, expect the Host header to carry a port
// only when it is not the scheme's default, and the effective port to fill it in.
TEST(Url, HostHeaderKeepsOnlyANonDefaultPort) {
  const auto host = [](std::string_view url) {
    const auto parts = split_url(url);
    return parts ? parts->host_header() + " " + std::to_string(parts->effective_port())
                 : parts.error().message;
  };
  EXPECT_EQ(host("https://h"), "h 443");
  EXPECT_EQ(host("https://h:443/"), "h 443");
  EXPECT_EQ(host("http://h:80?q"), "h 80");
  EXPECT_EQ(host("http://h:/"), "h 80");
  EXPECT_EQ(host("http://h:443/"), "h:443 443");
  EXPECT_EQ(host("http://[::1]:9/"), "[::1]:9 9");
  EXPECT_EQ(host("https://[::1]"), "[::1] 443");
  EXPECT_EQ(split_url("http://h?x")->path(), "");
  EXPECT_EQ(split_url("http://h")->path_and_query, "");
}

// Given each thing the split refuses, expect a usage error that quotes the URL printable.
TEST(Url, RefusesWhatCouldMisdirectARequest) {
  const std::vector<std::string> urls = {
      "not a url", "/relative", "ftp://h/", "https://user@h/", "https://u:p@h/", "https:///x",
        "https://h/a b", "https://h/\r\nX: y", "https://h/\x80", "https://h:0/", "https://h:65536/",
        "https://h:8x/", "https://h:-1/", "https://h<x>/", "https://::1/", "https://[::1%25e]/",
        "https://[]/", "https://h/" + std::string(k_max_url_bytes, 'a')};
  for (const std::string& url : urls) {
    const auto parts = split_url(url);
    ASSERT_FALSE(parts) << url;
    EXPECT_EQ(parts.error().code, ExitCode::usage);
    EXPECT_TRUE(parts.error().message.starts_with("\"")) << parts.error().message;
    EXPECT_EQ(parts.error().message.find('\n'), std::string::npos) << parts.error().message;
  }
}

TEST(Url, PercentEncodesAllButUnreservedAndKept) {
  EXPECT_EQ(percent_encode("aZ09-._~ /?&=$\xff"), "aZ09-._~%20%2F%3F%26%3D%24%FF");
  EXPECT_EQ(percent_encode("$filter=a b", "$="), "$filter=a%20b");
}

}  // namespace
}  // namespace labctl::providers
