#include "core/duration.hpp"

#include <cctype>
#include <string>

namespace labctl {
namespace {

constexpr long long k_max_seconds = 100LL * 365 * 86400;

Expected<std::chrono::seconds> bad(std::string_view text) {
  return fail(ExitCode::usage, "bad duration: '" + std::string(text) +
                                   "' (want e.g. 90m, 4h, 2d or 1h30m)");
}

long long unit_seconds(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    default: return 0;
  }
}

}  // namespace

Expected<std::chrono::seconds> parse_duration(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  const std::string_view body = text.substr(begin, end - begin);
  if (body.empty()) return bad(text);
  if (body.front() == '-') {
    return fail(ExitCode::usage, "invalid duration '" + std::string(text) +
                                     "': negative (want a positive duration like 90m, 4h, 2d)");
  }
  long long total = 0;
  std::string seen_units;
  std::size_t pos = 0;
  while (pos < body.size()) {
    if (!std::isdigit(static_cast<unsigned char>(body[pos]))) return bad(text);
    long long number = 0;
    while (pos < body.size() && std::isdigit(static_cast<unsigned char>(body[pos]))) {
      number = number * 10 + (body[pos] - '0');
      if (number > k_max_seconds) {
        return fail(ExitCode::usage, "invalid duration '" + std::string(text) +
                                         "': too large (at most 100 years)");
      }
      ++pos;
    }
    char unit = 's';
    if (pos < body.size()) {
      unit = body[pos];
      if (unit_seconds(unit) == 0) return bad(text);
      ++pos;
    } else if (!seen_units.empty()) {
      return bad(text);  // "1h30" is ambiguous: a bare number only stands alone
    }
    if (seen_units.find(unit) != std::string::npos) return bad(text);
    seen_units.push_back(unit);
    total += number * unit_seconds(unit);
    if (total > k_max_seconds) {
      return fail(ExitCode::usage, "invalid duration '" + std::string(text) +
                                       "': too large (at most 100 years)");
    }
  }
  if (total == 0) {
    return fail(ExitCode::usage, "invalid duration '" + std::string(text) +
                                     "' (want a positive duration like 90m, 4h, 2d)");
  }
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds duration) {
  long long left = duration.count();
  if (left <= 0) return "0s";
  std::string out;
  for (const char unit : {'d', 'h', 'm', 's'}) {
    const long long size = unit_seconds(unit);
    if (left >= size) {
      out += std::to_string(left / size) + unit;
      left %= size;
    }
  }
  return out;
}

}  // namespace labctl
