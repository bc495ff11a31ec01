#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/env.hpp"

namespace labctl::providers {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive); nullopt if absent.
[[nodiscard]] std::optional<std::string> find_header(const HttpHeaders& headers,
                                                     std::string_view name);

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT
  std::string url;             // absolute: scheme://host[:port]/path[?query]
  HttpHeaders headers;         // sent as given; the transport adds none that matter to SigV4
  std::string body;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{30000};
  // No byte received for this long (while waiting for the answer or mid-body) cuts the request
  // as a timeout; zero: only total_timeout bounds it.
  std::chrono::milliseconds stall_timeout{0};
  // Headers and body together may not exceed this: a larger answer is cut off and is an error
  // (kind transport, not retried), never held in memory whole. EC2's largest pages (1000
  // instances) are a few MiB.
  std::size_t max_response_bytes = std::size_t{64} << 20U;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;
  std::string body;
};

// Why no HTTP response arrived. Timeouts and resets are worth a retry; `transport` (refused,
// DNS, TLS) usually is not.
enum class TransportErrorKind { transport, timeout, connection_reset };

struct TransportError {
  TransportErrorKind kind = TransportErrorKind::transport;
  std::string message;  // names the URL's host and the cause; never headers or body
};

[[nodiscard]] std::string_view to_string(TransportErrorKind kind);

using TransportResult = std::expected<HttpResponse, TransportError>;

// The HTTP seam (one per external system): the cloud clients and the metadata credential providers talk
// through it, tests substitute tests/fakes/fake_http_transport.hpp. Implementations are
// thread-safe: send() may be called from many threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Any HTTP status is a response, not an error; errors mean no complete response arrived.
  [[nodiscard]] virtual TransportResult send(const HttpRequest& request) = 0;
};

struct CurlTransportOptions {
  // PEM bundle for TLS verification (AWS_CA_BUNDLE, AZURE_CA_BUNDLE); empty: the system store.
  std::string ca_bundle;
};

// libcurl with one easy handle per thread, reused so connections stay alive between calls.
[[nodiscard]] std::shared_ptr<HttpTransport> make_curl_transport(CurlTransportOptions options);
// Options from the environment: the CA bundle named by the variable `ca_bundle_variable`.
[[nodiscard]] CurlTransportOptions curl_options_from_env(const EnvLookup& env,
                                                        std::string_view ca_bundle_variable);

}  // namespace labctl::providers
