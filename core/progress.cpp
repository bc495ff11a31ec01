#include "core/progress.hpp"

#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace labctl::progress {
namespace {

constexpr std::string_view k_clear_line = "\r\x1b[K";  // to column 0, erase to the end
constexpr std::string_view k_green = "\x1b[32m";
constexpr std::string_view k_red = "\x1b[31m";
constexpr std::string_view k_reset = "\x1b[0m";
constexpr auto k_tick = std::chrono::milliseconds(200);

// The one owner of what is on the terminal's last row. Lock order: log's mutex, then this one;
// nothing here calls log while holding it.
struct Screen {
  std::mutex mutex;
  Terminal terminal;
  std::string shown;  // the status line on show, "" when none
};

Screen& screen() {
  static Screen s;
  return s;
}

void put(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stderr); }

// Writes `line` above the status line; the caller holds the screen's mutex.
void put_line_locked(Screen& s, std::string_view line) {
  if (!s.shown.empty()) put(k_clear_line);
  put(line);
  if (!s.shown.empty()) put(s.shown);
  std::fflush(stderr);
}

std::string elapsed_text(std::chrono::milliseconds elapsed) {
  const long long tenths = elapsed.count() / 100;
  if (tenths < 600) {
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
  }
  const long long seconds = tenths / 10;
  const long long rest = seconds % 60;
  return std::to_string(seconds / 60) + "m" + (rest < 10 ? "0" : "") + std::to_string(rest) + "s";
}

}  // namespace

void set_terminal(Terminal terminal) {
  std::lock_guard lock(screen().mutex);
  screen().terminal = terminal;
}

bool live() {
  Terminal terminal;
  {
    std::lock_guard lock(screen().mutex);
    terminal = screen().terminal;
  }
  return terminal.tty && !terminal.no_color && log::format() == log::Format::human;
}

void write_line(std::string_view line) noexcept {
  try {
    std::lock_guard lock(screen().mutex);
    put_line_locked(screen(), line);
  } catch (...) {
    // A lock that cannot be taken (a broken mutex) must not lose the line.
    put(line);
  }
}

std::string status_text(std::string_view step, std::string_view counters,
                        std::chrono::milliseconds elapsed, std::size_t width) {
  const std::string tail = "  " + elapsed_text(elapsed);
  std::string head = text::printable(step, 40) + ": " + text::printable(counters, 200);
  if (head.size() + tail.size() > width) {
    head.resize(width > tail.size() + 3 ? width - tail.size() - 3 : 0);
    head += "...";
  }
  return head + tail;
}

Status::Status(std::string step, std::function<std::string()> render)
    : m_step(std::move(step)), m_render(std::move(render)), m_start(std::chrono::steady_clock::now()) {
  if (!live()) return;
  draw();
  m_ticker = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    while (!wake.wait_for(lock, stop, k_tick, [] { return false; })) {
      if (stop.stop_requested()) return;
      draw();
    }
  });
}

Status::~Status() {
  if (!m_ticker.joinable()) return;
  m_ticker.request_stop();
  m_ticker.join();
  try {
    std::lock_guard lock(screen().mutex);
    if (!screen().shown.empty()) {
      put(k_clear_line);
      std::fflush(stderr);
    }
    screen().shown.clear();
  } catch (...) {
    // Nothing to clean up on a broken mutex: the next line overwrites the row.
  }
}

void Status::refresh() {
  if (m_ticker.joinable()) draw();
}

void Status::draw() {
  // Rendered outside the screen's lock: the step's counters may take a lock of their own.
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - m_start);
  std::string line = status_text(m_step, m_render(), elapsed);
  std::lock_guard lock(screen().mutex);
  screen().shown = std::move(line);
  put(k_clear_line);
  put(screen().shown);
  std::fflush(stderr);
}

void result(bool ok, std::string_view event, std::string_view message,
            const nlohmann::json& fields, log::Level level) {
  if (!live()) {
    log::emit(level, event, message, fields);
    return;
  }
  const std::string line = "[" + format_clock_utc(std::chrono::system_clock::now()) + "] " +
                           std::string(ok ? k_green : k_red) +
                           text::printable(message, 4096) + std::string(k_reset) + "\n";
  write_line(line);
}

}  // namespace labctl::progress
