#include "providers/json_rest.hpp"

#include <algorithm>
#include <random>

#include "core/log.hpp"
#include "core/text.hpp"

namespace labctl::providers::rest {

std::string describe_error(std::string_view cloud, std::string_view operation, int http_status,
                           std::string_view code, std::string_view kind, std::string_view message,
                           std::string_view request_id_label, std::string_view request_id,
                           int attempts) {
  std::string text = std::string(cloud) + " " + ::labctl::text::printable(operation, 256);
  if (http_status != 0) {
    text +=
        " (HTTP " + std::to_string(http_status) +
        (code.empty() ? std::string() : " " + ::labctl::text::printable(code, k_max_code_bytes)) +
        ")";
  } else {
    text += " (" + std::string(kind) + ")";
  }
  text += ": " + ::labctl::text::printable(message, k_max_message_bytes + 512);
  if (!request_id.empty()) {
    text += " (" + std::string(request_id_label) + " " +
            ::labctl::text::printable(request_id, k_max_request_id_bytes) + ")";
  }
  if (attempts > 1) text += " after " + std::to_string(attempts) + " attempts";
  return text;
}

ErrorAnswer read_error_answer(const HttpHeaders& headers, std::string_view body,
                              const ErrorAnswerShape& shape) {
  // Ill-formed UTF-8 would make the whole document unparseable: read it repaired (U+FFFD).
  // Bounded in size and depth like every answer; unparseable: no code, no message.
  const auto json =
      json_io::parse(::labctl::text::to_utf8(body), shape.what).value_or(nlohmann::json());
  const ErrorFields fields = shape.read_fields(json);
  ErrorAnswer out;
  out.code = ::labctl::text::printable(fields.code, k_max_code_bytes);
  out.message = fields.message.empty()
                    ? "no error message in the answer (" + std::to_string(body.size()) + " bytes)"
                    : ::labctl::text::printable(fields.message, k_max_message_bytes);
  if (const auto id = find_header(headers, shape.request_id_header)) {
    out.request_id = ::labctl::text::printable(*id, k_max_request_id_bytes);
  }
  return out;
}

std::expected<nlohmann::json, std::string> parse_answer(long http_status, std::string_view body,
                                                        std::string_view what) {
  const bool blank = std::ranges::all_of(
      body, [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
  if (blank) return nullptr;
  // Not the parser's message: it may quote the answer, which may echo anything.
  auto parsed = json_io::parse(body, what, {k_max_answer_bytes, json_io::k_max_depth});
  if (!parsed) {
    return std::unexpected("HTTP " + std::to_string(http_status) + " answer of " +
                           std::to_string(body.size()) +
                           " bytes is not JSON within the bounds (16 MiB, nesting depth 64)");
  }
  return std::move(*parsed);
}

bool should_retry(const RetryPolicy& policy, bool retryable, bool throttled, int attempt) {
  return retryable && (!policy.throttling_only || throttled) &&
         attempt < std::max(1, policy.max_attempts);
}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt, double unit_random,
                                      const HttpHeaders* throttled_answer,
                                      std::optional<std::chrono::steady_clock::time_point> deadline,
                                      const Clock& clock) {
  auto delay = backoff_delay(policy, attempt, unit_random);
  if (throttled_answer != nullptr) {
    if (const auto after = retry_after(*throttled_answer)) {
      delay = std::min<std::chrono::milliseconds>(*after, policy.cap);
    }
  }
  if (deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock.steady_now());
    delay = std::clamp(left, std::chrono::milliseconds(0), delay);
  }
  return delay;
}

double unit_random(const std::function<double()>& source) {
  if (source) return source();
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void log_retry(std::string_view event, const std::string& described, const std::string& operation,
               std::string_view kind, const std::string& code, int attempt,
               const RetryPolicy& policy, std::chrono::milliseconds delay) {
  const int max_attempts = std::max(1, policy.max_attempts);
  log::warn(event,
            described + "; retrying in " + std::to_string(delay.count()) + " ms (retry " +
                std::to_string(attempt) + " of " + std::to_string(max_attempts - 1) + ")",
            {{"operation", operation},
             {"kind", std::string(kind)},
             {"code", code},
             {"attempt", attempt},
             {"delay_ms", delay.count()}});
}

}  // namespace labctl::providers::rest
