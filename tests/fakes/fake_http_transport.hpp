#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "providers/http_transport.hpp"

namespace labctl::testing {

// An HttpTransport that records every request and answers from a script: queued results first
// (in order), then the handler, else a transport error saying the script ran out.
class FakeHttpTransport final : public providers::HttpTransport {
 public:
  using Request = providers::HttpRequest;
  using Result = providers::TransportResult;
  using Handler = std::function<Result(const Request&)>;

  static Result respond(long status, std::string body) {
    return providers::HttpResponse{status, {}, std::move(body)};
  }
  static Result transport_failure(providers::TransportErrorKind kind) {
    return std::unexpected(providers::TransportError{kind, "scripted failure"});
  }

  void push(Result result) {
    const std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(result));
  }
  void set_handler(Handler handler) {
    const std::lock_guard lock(m_mutex);
    m_handler = std::move(handler);
  }

  Result send(const Request& request) override {
    Handler handler;
    {
      const std::lock_guard lock(m_mutex);
      m_requests.push_back(request);
      if (!m_queue.empty()) {
        Result next = std::move(m_queue.front());
        m_queue.pop_front();
        return next;
      }
      handler = m_handler;
    }
    if (handler) return handler(request);
    return std::unexpected(providers::TransportError{
        providers::TransportErrorKind::transport, "fake transport: no scripted response"});
  }

  [[nodiscard]] std::vector<Request> requests() const {
    const std::lock_guard lock(m_mutex);
    return m_requests;
  }

 private:
  mutable std::mutex m_mutex;
  std::deque<Result> m_queue;
  Handler m_handler;
  std::vector<Request> m_requests;
};

}  // namespace labctl::testing
