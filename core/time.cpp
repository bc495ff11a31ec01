#include "core/time.hpp"

#include <cstdio>
#include <ctime>

namespace labctl {
namespace {

std::tm utc_tm(SystemTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string strftime_utc(SystemTime t, const char* format) {
  const std::tm tm = utc_tm(t);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

// Parses exactly `width` digits at text[pos], advancing pos.
bool parse_digits(std::string_view text, std::size_t& pos, int width, int& out) {
  if (pos + static_cast<std::size_t>(width) > text.size()) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    const char c = text[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(width);
  out = value;
  return true;
}

bool expect_char(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339(SystemTime t) { return strftime_utc(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::string format_rfc3339_ms(SystemTime t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms < 0 ? ms + 1000 : ms));
  return strftime_utc(t, "%Y-%m-%dT%H:%M:%S") + frac + "Z";
}

std::string format_compact_utc(SystemTime t) { return strftime_utc(t, "%Y%m%dT%H%M%SZ"); }

std::string format_clock_utc(SystemTime t) { return strftime_utc(t, "%H:%M:%SZ"); }

std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!parse_digits(text, pos, 4, year) || !expect_char(text, pos, '-') ||
      !parse_digits(text, pos, 2, month) || !expect_char(text, pos, '-') ||
      !parse_digits(text, pos, 2, day)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return std::nullopt;
  }
  ++pos;
  if (!parse_digits(text, pos, 2, hour) || !expect_char(text, pos, ':') ||
      !parse_digits(text, pos, 2, minute) || !expect_char(text, pos, ':') ||
      !parse_digits(text, pos, 2, second)) {
    return std::nullopt;
  }
  long long nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!parse_digits(text, pos, 2, oh) || !expect_char(text, pos, ':') ||
        !parse_digits(text, pos, 2, om)) {
      return std::nullopt;
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  // system_clock counts nanoseconds in 64 bits: years 1678..2261 only. A time from outside
  // (a tag read back from a cloud) beyond that is not a time labctl can hold.
  if (year < 1970 || year > 2200) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t secs = timegm(&tm);
  if (secs == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(secs - offset_seconds) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             std::chrono::nanoseconds(nanos));
}

}  // namespace labctl
