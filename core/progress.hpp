#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/log.hpp"

namespace labctl::progress {

// What labctl::run found out about stderr, once, before any command runs (the isatty check and
// NO_COLOR are read there, never below labctl/).
struct Terminal {
  bool tty = false;        // stderr is a terminal
  bool no_color = false;   // NO_COLOR is set, to any value (https://no-color.org)
};

// Process-wide, like log::set_format: set once by labctl::run.
void set_terminal(Terminal terminal);

// True when stderr gets a live status line and colour: a terminal, NO_COLOR unset and the human
// log format. Otherwise every line is a plain log line (no escape codes, no carriage returns),
// so pipes, CI logs and NDJSON readers see exactly what they saw before.
[[nodiscard]] bool live();

// Writes one complete stderr line (log::emit's human or JSON line, newline included): a status
// line on show is cleared first and drawn again below it, so the two never overwrite each
// other. Never throws.
void write_line(std::string_view line) noexcept;

// The live status line of one long step, e.g. "smoke: flows 3/12, 1 failed  4.2s", redrawn a
// few times a second and on refresh(), below the step's log lines. When not live() it does
// nothing at all: the step's own log lines and result line are the plain record. One at a time.
class Status {
 public:
  // `render` gives the step's counters ("flows 3/12, 1 failed"). It runs on the ticker thread
  // and in refresh(), so it must be safe to call from both (atomics, or its own lock).
  Status(std::string step, std::function<std::string()> render);
  ~Status();  // removes the line
  Status(const Status&) = delete;
  Status& operator=(const Status&) = delete;

  // Draws the line now (after an event the counters show, such as a flow done).
  void refresh();

 private:
  void draw();

  std::string m_step;
  std::function<std::string()> m_render;
  // Elapsed time is display only, read from the steady clock like a log line's timestamp: no
  // decision depends on it.
  std::chrono::steady_clock::time_point m_start;
  std::jthread m_ticker;  // empty when not live
};

// The result line of a step. Live: "[HH:MM:SSZ] message" in green (ok) or red. Otherwise the
// plain event with `fields` at `level`, exactly as log::emit writes it.
void result(bool ok, std::string_view event, std::string_view message,
            const nlohmann::json& fields = nlohmann::json::object(),
            log::Level level = log::Level::info);

// The status line's text (pure, for tests): "<step>: <counters>  <elapsed>", printable and at
// most `width` columns, so a carriage return always reaches its start.
[[nodiscard]] std::string status_text(std::string_view step, std::string_view counters,
                                      std::chrono::milliseconds elapsed, std::size_t width = 79);

}  // namespace labctl::progress
