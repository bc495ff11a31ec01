#include "providers/http_transport.hpp"

#include <curl/curl.h>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "core/env.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers {

namespace {

// curl_global_init is not thread-safe; it must run once before any thread makes a handle.
void global_init_once() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl global initialisation failed");
    }
  });
}

// Idle easy handles by origin (scheme://host:port). A handle serves one request at a time and
// keeps its kept-alive connection (curl_easy_reset clears options, not the connection cache)
// for whichever thread calls that origin next: the janitor's teardown threads reuse the
// connections, and TLS sessions, that its discovery threads opened instead of opening their own.
class HandlePool {
 public:
  HandlePool() = default;
  ~HandlePool() {
    for (auto& [origin, handles] : m_idle) {
      for (CURL* handle : handles) curl_easy_cleanup(handle);
    }
  }
  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;

  // An idle handle for `origin`, or a new one; nullptr if curl cannot make one.
  [[nodiscard]] CURL* take(const std::string& origin) {
    {
      const std::lock_guard lock(m_mutex);
      if (auto it = m_idle.find(origin); it != m_idle.end() && !it->second.empty()) {
        CURL* handle = it->second.back();
        it->second.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void give_back(const std::string& origin, CURL* handle) {
    const std::lock_guard lock(m_mutex);
    m_idle[origin].push_back(handle);
  }

 private:
  std::mutex m_mutex;
  std::map<std::string, std::vector<CURL*>> m_idle;
};

// A handle taken from the pool for one request, given back when it goes out of scope.
class PooledHandle {
 public:
  PooledHandle(HandlePool& pool, std::string origin)
      : m_pool(pool), m_origin(std::move(origin)), m_handle(pool.take(m_origin)) {}
  ~PooledHandle() {
    if (m_handle != nullptr) m_pool.give_back(m_origin, m_handle);
  }
  PooledHandle(const PooledHandle&) = delete;
  PooledHandle& operator=(const PooledHandle&) = delete;
  [[nodiscard]] CURL* get() const { return m_handle; }

 private:
  HandlePool& m_pool;
  std::string m_origin;
  CURL* m_handle;
};

// scheme://host:port of a URL (the whole URL when it has no path).
std::string origin_of(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  return url.substr(0, path);
}

struct ResponseSink {
  HttpResponse response;
  std::size_t max_bytes;
  std::size_t received = 0;
  bool too_large = false;

  // Counts `bytes` more; false (curl then aborts the transfer) once past max_bytes.
  bool admit(std::size_t bytes) {
    received += bytes;
    too_large = too_large || received > max_bytes;
    return !too_large;
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  if (!sink->admit(size * count)) return 0;
  sink->response.body.append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  if (!sink->admit(size * count)) return 0;
  const std::string_view line(data, size * count);
  // A new status line (after a 100 Continue or a redirect) starts a new header set.
  if (line.starts_with("HTTP/")) {
    sink->response.headers.clear();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    sink->response.headers.emplace_back(std::string(ascii::trim(line.substr(0, colon))),
                                        std::string(ascii::trim(line.substr(colon + 1))));
  }
  return size * count;
}

// Cuts a transfer that receives nothing for `limit` (e.g. an answer stalled after its headers).
// curl's own LOW_SPEED_TIME averages over a window of several seconds, so it would let a 1 s
// bound run to about 7 s; this watches the byte counts themselves.
struct StallWatch {
  std::chrono::milliseconds limit;
  std::chrono::steady_clock::time_point last_progress;
  curl_off_t last_down = 0;
  curl_off_t last_up = 0;
  bool stalled = false;
};

int on_progress(void* user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
  auto* watch = static_cast<StallWatch*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (down != watch->last_down || up != watch->last_up) {
    watch->last_down = down;
    watch->last_up = up;
    watch->last_progress = now;
    return 0;
  }
  if (now - watch->last_progress < watch->limit) return 0;
  watch->stalled = true;
  return 1;  // aborts the transfer (CURLE_ABORTED_BY_CALLBACK)
}

TransportErrorKind classify(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return TransportErrorKind::timeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2_STREAM:
      return TransportErrorKind::connection_reset;
    default:
      return TransportErrorKind::transport;
  }
}

// The URL without its query (which may carry request parameters) for error text.
std::string url_for_message(const std::string& url) { return url.substr(0, url.find('?')); }

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : m_options(std::move(options)) {
    global_init_once();
  }

  TransportResult send(const HttpRequest& request) override {
    const PooledHandle handle(m_pool, origin_of(request.url));
    CURL* curl = handle.get();
    if (curl == nullptr) {
      return std::unexpected(
          TransportError{TransportErrorKind::transport, "curl_easy_init failed"});
    }
    curl_easy_reset(curl);

    curl_slist* header_list = nullptr;
    for (const auto& [name, value] : request.headers) {
      header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip; curl would add it for larger bodies.
    header_list = curl_slist_append(header_list, "Expect:");

    ResponseSink sink{{}, request.max_response_bytes};
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
    StallWatch stall{request.stall_timeout, std::chrono::steady_clock::now(), 0, 0, false};
    if (request.stall_timeout.count() > 0) {
      curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
      curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stall);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (!m_options.ca_bundle.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, m_options.ca_bundle.c_str());
    }
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
      // POSTFIELDS with an explicit size sends the body verbatim (binary-safe, no strlen).
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      if (request.method != "POST") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }

    const CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(header_list);
    if (stall.stalled) {
      return std::unexpected(TransportError{
          TransportErrorKind::timeout,
          request.method + " " + url_for_message(request.url) + ": nothing received for " +
              std::to_string(request.stall_timeout.count()) + " ms (stalled)"});
    }
    if (sink.too_large) {
      return std::unexpected(TransportError{
          TransportErrorKind::transport,
          request.method + " " + url_for_message(request.url) + ": the answer is larger than " +
              std::to_string(request.max_response_bytes) + " bytes; refused"});
    }
    if (code != CURLE_OK) {
      const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
      return std::unexpected(TransportError{
          classify(code), request.method + " " + url_for_message(request.url) + ": " + detail});
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &sink.response.status);
    return std::move(sink.response);
  }

 private:
  CurlTransportOptions m_options;
  HandlePool m_pool;
};

}  // namespace

std::optional<std::string> find_header(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (ascii::iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::string_view to_string(TransportErrorKind kind) {
  switch (kind) {
    case TransportErrorKind::timeout:
      return "timeout";
    case TransportErrorKind::connection_reset:
      return "connection reset";
    case TransportErrorKind::transport:
      break;
  }
  return "transport";
}

std::shared_ptr<HttpTransport> make_curl_transport(CurlTransportOptions options) {
  return std::make_shared<CurlTransport>(std::move(options));
}

CurlTransportOptions curl_options_from_env(const EnvLookup& env,
                                          std::string_view ca_bundle_variable) {
  return CurlTransportOptions{env(std::string(ca_bundle_variable)).value_or("")};
}

}  // namespace labctl::providers
