#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>

#include "core/json_io.hpp"
#include "core/progress.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace labctl::log {
namespace {

struct Settings {
  std::mutex mutex;
  Format format = Format::human;
  bool verbose = false;
  std::string run_id;
};

Settings& settings() {
  static Settings s;
  return s;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

// A message for a human reader: every line made printable (control characters and escape
// sequences shown as \x1b, \r, ...), the line breaks themselves kept, since several messages
// (a plan, a list of validation errors) are legitimately multi-line.
std::string human_text(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  while (true) {
    const std::size_t newline = message.find('\n');
    out += text::printable(message.substr(0, newline), std::numeric_limits<std::size_t>::max());
    if (newline == std::string_view::npos) return out;
    out.push_back('\n');
    message.remove_prefix(newline + 1);
  }
}

}  // namespace

void set_format(Format f) {
  std::lock_guard lock(settings().mutex);
  settings().format = f;
}

Format format() {
  std::lock_guard lock(settings().mutex);
  return settings().format;
}

void set_verbose(bool verbose) {
  std::lock_guard lock(settings().mutex);
  settings().verbose = verbose;
}

bool verbose() {
  std::lock_guard lock(settings().mutex);
  return settings().verbose;
}

void set_run_id(std::string run_id) {
  std::lock_guard lock(settings().mutex);
  settings().run_id = std::move(run_id);
}

std::optional<Format> parse_format(std::string_view text) {
  if (text == "json") return Format::json;
  if (text == "human" || text == "text") return Format::human;
  return std::nullopt;
}

void emit(Level level, std::string_view event, std::string_view message,
          const nlohmann::json& fields) noexcept {
  // Logging runs inside teardowns, so it never throws: outside text (a cloud error, SSH output)
  // is made valid UTF-8 and stripped of terminal control sequences, and anything that still
  // fails (memory) falls back to a fixed line.
  try {
    // The wall clock directly, not a Clock seam: a log line's timestamp records when it was
    // written (even from a teardown with no context at hand), and no decision depends on it.
    const SystemTime now = std::chrono::system_clock::now();
    std::lock_guard lock(settings().mutex);
    std::string line;
    if (settings().format == Format::json) {
      nlohmann::ordered_json j;
      j["ts"] = format_rfc3339_ms(now);
      j["level"] = level_name(level);
      j["event"] = event;
      if (!settings().run_id.empty()) j["run_id"] = settings().run_id;
      j["msg"] = message;
      if (fields.is_object()) {
        for (const auto& [key, value] : fields.items()) {
          if (!j.contains(key) && key != "run_id") j[key] = value;
        }
      }
      line = json_io::dump(j);
    } else {
      line = "[" + format_clock_utc(now) + "] " + human_text(message);
    }
    line.push_back('\n');
    progress::write_line(line);  // above a live status line, if one is on show
  } catch (...) {
    static constexpr std::string_view k_fallback = "labctl: a log line could not be written\n";
    std::fwrite(k_fallback.data(), 1, k_fallback.size(), stderr);
  }
  std::fflush(stderr);
}

}  // namespace labctl::log
