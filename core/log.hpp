#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace labctl::log {

enum class Format { human, json };
enum class Level { debug, info, warn, error };

// Process-wide settings, set once by labctl::run before any command runs.
void set_format(Format format);
[[nodiscard]] Format format();
// The run this process operates on; added as "run_id" to every JSON event.
void set_run_id(std::string run_id);
// -v/--verbose: callers that keep a one-line summary by default add their details when it is on.
void set_verbose(bool verbose);
[[nodiscard]] bool verbose();
// Parses "human"/"text" or "json"; nullopt otherwise.
[[nodiscard]] std::optional<Format> parse_format(std::string_view text);

// Writes one line to stderr: `[HH:MM:SSZ] message` (human) or one NDJSON object with
// ts, level, event, run_id, msg and then each of `fields` as a top-level key, so an agent reads
// the event's facts without parsing `msg` (a field named like one of the first five is
// dropped: the envelope is not the caller's to change). Thread-safe; never writes to stdout;
// never throws. Human lines show control characters escaped (line breaks kept); JSON events
// replace ill-formed UTF-8.
void emit(Level level, std::string_view event, std::string_view message,
          const nlohmann::json& fields = nlohmann::json::object()) noexcept;

inline void info(std::string_view event, std::string_view message,
                 const nlohmann::json& fields = nlohmann::json::object()) {
  emit(Level::info, event, message, fields);
}
inline void warn(std::string_view event, std::string_view message,
                 const nlohmann::json& fields = nlohmann::json::object()) {
  emit(Level::warn, event, message, fields);
}
inline void error(std::string_view event, std::string_view message,
                  const nlohmann::json& fields = nlohmann::json::object()) {
  emit(Level::error, event, message, fields);
}

}  // namespace labctl::log
