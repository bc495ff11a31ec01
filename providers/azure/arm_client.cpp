#include "providers/azure/arm_client.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <set>

#include "core/json_io.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/azure/arm_view.hpp"
#include "providers/azure/url.hpp"
#include "providers/secret.hpp"

namespace labctl::providers::azure {

namespace {

constexpr std::chrono::seconds k_default_poll{2};
// Retry-After: 0 (a test fake) polls at this pace; a hostile 0 cannot spin faster.
constexpr std::chrono::milliseconds k_min_poll{200};
constexpr std::chrono::seconds k_max_poll{30};
constexpr std::size_t k_max_pages = 1000;
constexpr std::size_t k_max_url_shown = 256;

bool is_mutation(const ArmRequest& request) {
  if (request.method == "GET" || request.method == "HEAD") return false;
  return !(request.method == "POST" && request.read_only_post);
}

// Our own paths only: under /subscriptions or /providers, no query, no "..", nothing that
// needs escaping (resource names are checked by the plan; this is the last line).
bool arm_path(std::string_view path) {
  constexpr std::string_view k_allowed = "/-._~!$&'()*+,;=:@%";
  if (!(path == "/subscriptions" || path.starts_with("/subscriptions/") ||
        path.starts_with("/providers/"))) {
    return false;
  }
  return path.find("..") == std::string_view::npos &&
         std::ranges::all_of(path, [k_allowed](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  k_allowed.find(c) != std::string_view::npos;
         });
}

std::chrono::milliseconds poll_interval(const HttpHeaders& headers) {
  return std::clamp<std::chrono::milliseconds>(retry_after(headers).value_or(k_default_poll),
                                               k_min_poll, k_max_poll);
}

// A random (version 4) UUID for x-ms-client-request-id: ARM support finds a call by it.
std::string request_uuid() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::array<unsigned char, 16> bytes{};
  for (auto& byte : bytes) byte = static_cast<unsigned char>(engine() & 0xFFU);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0FU) | 0x40U);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3FU) | 0x80U);
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += k_hex[bytes[i] >> 4U];
    out += k_hex[bytes[i] & 0x0FU];
  }
  return out;
}

bool iequals_any(std::string_view value, std::initializer_list<std::string_view> options) {
  return std::ranges::any_of(options, [value](std::string_view option) {
    return value.size() == option.size() && std::ranges::equal(value, option, [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}

}  // namespace

// How an operation is followed: the Azure-AsyncOperation status URL, the Location URL (202
// until done), or the resource itself (properties.provisioningState).
struct ArmClient::Poll {
  enum class Mode { async_operation, location, provisioning };
  Mode mode = Mode::async_operation;
  std::string url;
  std::chrono::milliseconds wait = k_default_poll;
};

std::string operation_name(std::string_view method, std::string_view path) {
  std::vector<std::string_view> segments;
  for (std::size_t start = 0; start < path.size();) {
    const auto slash = std::min(path.find('/', start), path.size());
    if (slash > start) segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  const std::size_t take = segments.size() % 2 == 0 ? 2 : 3;
  std::string out(method);
  const std::size_t first = segments.size() > take ? segments.size() - take : 0;
  for (std::size_t i = first; i < segments.size(); ++i) {
    out += (i == first ? " " : "/") + ::labctl::text::printable(segments[i], 96);
  }
  return out;
}

ArmClient::ArmClient(ArmClientOptions options, ArmClientDeps deps)
    : m_options(std::move(options)), m_deps(std::move(deps)) {}

std::string ArmClient::url_of(const ArmRequest& request) const {
  std::string url =
      m_options.endpoint + request.path + "?api-version=" + percent_encode(request.api_version);
  for (const auto& [key, value] : request.query) {
    url += "&" + percent_encode(key, "$") + "=" + percent_encode(value);
  }
  return url;
}

ArmResult<ArmResponse> ArmClient::send(const ArmRequest& request) const {
  const std::string operation = operation_name(request.method, request.path);
  if (!arm_path(request.path)) {
    return std::unexpected(error(ArmErrorKind::refused, operation,
                                 "\"" + ::labctl::text::printable(request.path, k_max_url_shown) +
                                     "\" is not an ARM path (/subscriptions/... or "
                                     "/providers/..., no query); nothing was sent"));
  }
  if (!m_options.live && is_mutation(request)) {
    return std::unexpected(
        error(ArmErrorKind::refused, operation,
              "refusing to send a mutating request in dry-run mode (nothing was sent; a live run "
              "needs CE_DRY_RUN=0)"));
  }
  return send_url(request.method, url_of(request), operation, request.body);
}

ArmResult<ArmResponse> ArmClient::send_url(const std::string& method, const std::string& url,
                                           const std::string& operation,
                                           const std::optional<nlohmann::json>& body) const {
  bool refreshed = false;
  for (int attempt = 1;; ++attempt) {
    if (auto passed = deadline_error(operation, attempt - 1)) {
      return std::unexpected(std::move(*passed));
    }
    auto token = m_deps.token ? m_deps.token()
                              : Expected<std::string>(std::unexpected(
                                    Error{ExitCode::usage, "azure: no token source"}));
    if (!token) {
      ArmError failure = error(ArmErrorKind::auth, operation, token.error().message);
      failure.exit_code = token.error().code;
      failure.attempts = std::max(1, attempt - 1);
      return std::unexpected(std::move(failure));
    }
    const std::vector<std::string> secrets{*token};

    HttpRequest http;
    http.method = method;
    http.url = url;
    http.headers = {{"Authorization", "Bearer " + *token},
                    {"Accept", "application/json"},
                    {"x-ms-client-request-id", request_uuid()},
                    {"User-Agent", "labctl"}};
    if (body) {
      http.headers.emplace_back("Content-Type", "application/json");
      http.body = json_io::dump(*body);
    }
    http.connect_timeout = m_options.connect_timeout;
    http.total_timeout = m_options.limits.request_timeout;
    http.stall_timeout = m_options.limits.stall_timeout;
    http.max_response_bytes = rest::k_max_response_bytes;
    if (const auto at = deadline()) {
      // Never past the deadline: a request sent just before it is cut there (at least 1 ms).
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*at - m_deps.clock->steady_now());
      http.total_timeout = std::clamp(left, std::chrono::milliseconds(1), http.total_timeout);
    }
    if (m_options.debug_log) {
      // Method, URL (path and api-version: no secret) and body; never a header.
      log::emit(log::Level::debug, "azure.request",
                "azure " + method + " " + ::labctl::text::printable(url, 2048) +
                    (http.body.empty() ? "" : "\n" + ::labctl::text::printable(http.body, 65536)),
                {{"operation", operation}, {"attempt", attempt}});
    }
    auto response = m_deps.transport->send(http);

    ArmError failure;
    bool retryable = false;
    if (!response) {
      const TransportError& cause = response.error();
      failure = error(cause.kind == TransportErrorKind::timeout ? ArmErrorKind::timeout
                                                                : ArmErrorKind::transport,
                      operation, scrub(::labctl::text::printable(cause.message, 1024), secrets));
      if (cause.kind == TransportErrorKind::connection_reset) {
        failure.message = "connection reset: " + failure.message;
      }
      if (cause.kind == TransportErrorKind::timeout) {
        failure.message += " (bounds: CE_AZURE_REQUEST_TIMEOUT, CE_AZURE_STALL_TIMEOUT)";
      }
      retryable = cause.kind != TransportErrorKind::transport;
    } else {
      if (m_options.debug_log) {
        nlohmann::json remaining = nlohmann::json::object();
        for (const auto& [name, value] : response->headers) {
          if (name.size() > 25 && iequals_any(name.substr(0, 25), {"x-ms-ratelimit-remaining-"})) {
            remaining[::labctl::text::printable(name, 96)] = ::labctl::text::printable(value, 64);
          }
        }
        if (!remaining.empty()) {
          log::emit(log::Level::debug, "azure.ratelimit",
                    "azure " + operation + ": " + json_io::dump(remaining),
                    {{"operation", operation}, {"remaining", remaining}});
        }
      }
      if (response->status >= 200 && response->status < 300) {
        auto parsed = rest::parse_answer(response->status, response->body, "azure answer");
        if (!parsed) {
          ArmError malformed =
              error(ArmErrorKind::bad_answer, operation, std::move(parsed.error()));
          malformed.http_status = static_cast<int>(response->status);
          malformed.attempts = attempt;
          return std::unexpected(std::move(malformed));
        }
        return ArmResponse{response->status, std::move(response->headers), std::move(*parsed)};
      }
      if (response->status == 401 && !refreshed && m_deps.refresh_token) {
        // An expired or revoked token: one fresh token, one more try.
        refreshed = true;
        m_deps.refresh_token();
        log::warn("azure.token_refresh",
                  "azure " + operation + ": HTTP 401; fetching a new token and trying once more",
                  {{"operation", operation}});
        continue;
      }
      failure = parse_arm_error(operation, response->status, response->headers, response->body);
      failure.code = scrub(failure.code, secrets);
      failure.message = scrub(failure.message, secrets);
      retryable = response->status == 429 || response->status >= 500;
    }
    failure.attempts = attempt;
    const bool throttled = failure.kind == ArmErrorKind::throttled;
    if (!rest::should_retry(m_options.retry, retryable, throttled, attempt)) {
      return std::unexpected(std::move(failure));
    }
    const auto delay = rest::retry_delay(
        m_options.retry, attempt, rest::unit_random(m_deps.unit_random),
        throttled && response ? &response->headers : nullptr, deadline(), *m_deps.clock);
    rest::log_retry("azure.retry", failure, m_options.retry, delay);
    if (!m_deps.clock->sleep_for(delay)) return std::unexpected(std::move(failure));
  }
}

ArmResult<ArmResponse> ArmClient::send_and_wait(const ArmRequest& request,
                                                const std::function<void()>& progress) const {
  auto first = send(request);
  if (!first) return first;
  const std::string operation = operation_name(request.method, request.path);
  const bool put_or_patch = request.method == "PUT" || request.method == "PATCH";
  Poll poll;
  poll.wait = poll_interval(first->headers);
  const auto async = find_header(first->headers, "Azure-AsyncOperation");
  const auto location = find_header(first->headers, "Location");
  if ((first->status == 201 || first->status == 202) && async && !async->empty()) {
    poll.mode = Poll::Mode::async_operation;
    poll.url = *async;
  } else if ((first->status == 201 || first->status == 202) && location && !location->empty()) {
    poll.mode = Poll::Mode::location;
    poll.url = *location;
  } else if (put_or_patch && first->body.is_object() && first->body.contains("properties") &&
             !fields::text_at(first->body["properties"], "provisioningState").empty() &&
             !iequals_any(fields::text_at(first->body["properties"], "provisioningState"),
                          {"Succeeded", "Failed", "Canceled"})) {
    poll.mode = Poll::Mode::provisioning;
    ArmRequest get = request;
    get.method = "GET";
    poll.url = url_of(get);
  } else {
    return first;
  }
  if (auto foreign = foreign_url(poll.url, operation, "operation status URL")) {
    return std::unexpected(std::move(*foreign));
  }
  return wait_for(request, operation, std::move(poll), progress);
}

ArmResult<ArmResponse> ArmClient::wait_for(const ArmRequest& request, const std::string& operation,
                                           Poll poll, const std::function<void()>& progress) const {
  const auto limit = m_deps.clock->steady_now() + m_options.limits.wait_timeout;
  std::string last_status = "not polled yet";
  for (;;) {
    const auto now = m_deps.clock->steady_now();
    auto end = limit;
    const auto at = deadline();
    const bool by_deadline = at && *at < end;
    if (by_deadline) end = *at;
    if (now >= end) {
      return std::unexpected(
          error(ArmErrorKind::timeout, operation,
                (by_deadline ? m_deps.deadline->describe()
                             : "the operation did not finish within CE_AZURE_WAIT_TIMEOUT=" +
                                   std::to_string(m_options.limits.wait_timeout.count()) + " s") +
                    " (last status: " + last_status +
                    "); it may still complete at ARM: run the command again to continue"));
    }
    const auto sleep = std::min<std::chrono::milliseconds>(
        poll.wait, std::chrono::ceil<std::chrono::milliseconds>(end - now));
    if (!m_deps.clock->sleep_for(sleep)) {
      return std::unexpected(
          error(ArmErrorKind::timeout, operation,
                "interrupted while waiting for the operation (last status: " + last_status + ")"));
    }
    auto polled = send_url("GET", poll.url, operation, std::nullopt);
    if (!polled) return polled;
    if (progress) progress();
    poll.wait = poll_interval(polled->headers);

    std::string status;
    const nlohmann::json* failure_body = &polled->body;
    switch (poll.mode) {
      case Poll::Mode::async_operation:
        status = fields::text_at(polled->body, "status");
        if (status.empty()) {
          ArmError bad = error(ArmErrorKind::bad_answer, operation,
                               "the operation status answer has no \"status\" string");
          bad.http_status = static_cast<int>(polled->status);
          return std::unexpected(std::move(bad));
        }
        break;
      case Poll::Mode::location:
        status = polled->status == 202 ? "InProgress" : "Succeeded";
        break;
      case Poll::Mode::provisioning:
        status = polled->body.is_object() && polled->body.contains("properties")
                     ? fields::text_at(polled->body["properties"], "provisioningState")
                     : std::string();
        if (status.empty()) status = "Succeeded";  // a resource without the field is there
        if (polled->body.is_object() && polled->body.contains("properties")) {
          failure_body = &polled->body["properties"];
        }
        break;
    }
    last_status = ::labctl::text::printable(status, 64);
    if (iequals_any(status, {"Failed", "Canceled"})) {
      const nlohmann::json empty = nlohmann::json::object();
      const nlohmann::json& inner = failure_body->is_object() && failure_body->contains("error") &&
                                            (*failure_body)["error"].is_object()
                                        ? (*failure_body)["error"]
                                        : empty;
      ArmError failed = error(ArmErrorKind::service, operation, "");
      failed.http_status = static_cast<int>(polled->status);
      std::vector<std::string> secrets;
      if (auto token = m_deps.token ? m_deps.token() : Expected<std::string>("")) {
        secrets.push_back(*token);
      }
      failed.code = scrub(::labctl::text::printable(fields::text_at(inner, "code"), 128), secrets);
      const std::string message = fields::text_at(inner, "message");
      failed.message =
          "the operation ended " + last_status +
          (message.empty() ? std::string()
                           : ": " + scrub(::labctl::text::printable(message, 1024), secrets));
      if (const auto id = find_header(polled->headers, "x-ms-request-id")) {
        failed.request_id = ::labctl::text::printable(*id, 128);
      }
      return std::unexpected(std::move(failed));
    }
    if (!iequals_any(status, {"Succeeded"})) continue;
    if (poll.mode != Poll::Mode::provisioning &&
        (request.method == "PUT" || request.method == "PATCH")) {
      ArmRequest get = request;
      get.method = "GET";
      get.body.reset();
      return send_url("GET", url_of(get), operation, std::nullopt);
    }
    return polled;
  }
}

ArmResult<std::vector<nlohmann::json>> ArmClient::list(const ArmRequest& request) const {
  const std::string operation = operation_name(request.method, request.path);
  std::vector<nlohmann::json> items;
  std::set<std::string> seen;
  auto page = send(request);
  for (std::size_t pages = 1;; ++pages) {
    if (!page) return std::unexpected(std::move(page.error()));
    const nlohmann::json& body = page->body;
    const auto value = body.is_object() ? body.find("value") : body.end();
    if (!body.is_object() || value == body.end() || !value->is_array()) {
      ArmError bad = error(ArmErrorKind::bad_answer, operation,
                           "page " + std::to_string(pages) + " has no \"value\" array");
      bad.http_status = static_cast<int>(page->status);
      return std::unexpected(std::move(bad));
    }
    items.insert(items.end(), value->begin(), value->end());
    const std::string next = fields::text_at(body, "nextLink");
    if (next.empty()) return items;
    if (auto foreign = foreign_url(next, operation, "nextLink")) {
      return std::unexpected(std::move(*foreign));
    }
    if (!seen.insert(next).second) {
      return std::unexpected(
          error(ArmErrorKind::bad_answer, operation,
                "page " + std::to_string(pages) + " repeats the nextLink \"" +
                    ::labctl::text::printable(next, k_max_url_shown) +
                    "\" of an earlier page of the same listing; stopping instead of looping"));
    }
    if (pages >= k_max_pages) {
      return std::unexpected(error(ArmErrorKind::bad_answer, operation,
                                   "more than " + std::to_string(k_max_pages) +
                                       " pages in one listing; stopping instead of looping"));
    }
    page = send_url("GET", next, operation, std::nullopt);
  }
}

std::optional<ArmError> ArmClient::foreign_url(const std::string& url, const std::string& operation,
                                               std::string_view what) const {
  const auto origin = url_origin(url);
  if (origin && origin == url_origin(m_options.endpoint)) return std::nullopt;
  return error(ArmErrorKind::bad_answer, operation,
               "the " + std::string(what) + " \"" +
                   ::labctl::text::printable(url, k_max_url_shown) +
                   "\" is not on the ARM endpoint " + m_options.endpoint +
                   " (scheme, host and port); refusing to send the bearer token there");
}

std::optional<std::chrono::steady_clock::time_point> ArmClient::deadline() const {
  if (!m_deps.deadline) return std::nullopt;
  return m_deps.deadline->at();
}

std::optional<ArmError> ArmClient::deadline_error(const std::string& operation,
                                                  int attempts) const {
  const auto at = deadline();
  if (!at || m_deps.clock->steady_now() < *at) return std::nullopt;
  ArmError passed = error(ArmErrorKind::timeout, operation,
                          m_deps.deadline->describe() +
                              "; nothing more is sent (raise it, or run the command again to "
                              "continue)");
  passed.attempts = std::max(1, attempts);
  return passed;
}

ArmError ArmClient::error(ArmErrorKind kind, const std::string& operation,
                          std::string message) const {
  ArmError out;
  out.kind = kind;
  out.operation = operation;
  out.message = std::move(message);
  return out;
}

}  // namespace labctl::providers::azure
