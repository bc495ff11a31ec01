#include "labctl/log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "labctl/time.hpp"

namespace labctl::log {
namespace {

struct Settings {
  std::mutex mutex;
  Format format = Format::human;
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

}  // namespace

void set_format(Format f) {
  std::lock_guard lock(settings().mutex);
  settings().format = f;
}

Format format() {
  std::lock_guard lock(settings().mutex);
  return settings().format;
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
          const nlohmann::json& fields) {
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
      for (const auto& [key, value] : fields.items()) j[key] = value;
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = "[" + format_clock_utc(now) + "] " + std::string(message);
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace labctl::log
