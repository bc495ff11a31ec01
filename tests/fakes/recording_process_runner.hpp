#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/process.hpp"

namespace labctl::testing {

// The fake beside core/process.hpp's fork/exec runner: records every ProcessRequest and answers
// from a script: queued results first (in order), then the handler, else an error saying the
// script ran out (so an unexpected command fails the test instead of running anything).
class RecordingProcessRunner final : public ProcessRunner {
 public:
  using Handler = std::function<Expected<ProcessResult>(const ProcessRequest&)>;

  // A child that exited with `exit_code` after printing `out`.
  static ProcessResult exited(int exit_code, std::string out = "", std::string err = "") {
    return ProcessResult{.exit_code = exit_code,
                         .term_signal = 0,
                         .timed_out = false,
                         .out = std::move(out),
                         .err = std::move(err)};
  }

  void push(Expected<ProcessResult> result) {
    const std::lock_guard lock(m_mutex);
    m_script.push_back(std::move(result));
  }
  void set_handler(Handler handler) {
    const std::lock_guard lock(m_mutex);
    m_handler = std::move(handler);
  }

  Expected<ProcessResult> run(const ProcessRequest& request) override {
    const std::lock_guard lock(m_mutex);
    m_requests.push_back(request);
    if (!m_script.empty()) {
      auto result = std::move(m_script.front());
      m_script.pop_front();
      return result;
    }
    if (m_handler) return m_handler(request);
    return fail(ExitCode::provider, "RecordingProcessRunner: no scripted result for `" +
                                        (request.argv.empty() ? std::string() : request.argv[0]) +
                                        "` (push() one or set_handler())");
  }

  [[nodiscard]] std::vector<ProcessRequest> requests() const {
    const std::lock_guard lock(m_mutex);
    return m_requests;
  }

 private:
  mutable std::mutex m_mutex;
  std::deque<Expected<ProcessResult>> m_script;
  Handler m_handler;
  std::vector<ProcessRequest> m_requests;
};

}  // namespace labctl::testing
