#include "providers/aws/ec2_client.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "core/log.hpp"
#include "core/text.hpp"
#include "providers/aws/api_category.hpp"
#include "providers/aws/sigv4.hpp"
#include "providers/ascii.hpp"

namespace labctl::providers::aws {

namespace {

constexpr const char* k_content_type = "application/x-www-form-urlencoded; charset=utf-8";

}  // namespace

std::string resolve_ec2_endpoint(const std::string& region, const EnvLookup& env) {
  for (const char* variable : {"AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"}) {
    if (const auto value = env(variable); value && !value->empty()) {
      return ascii::without_trailing_slash(*value);
    }
  }
  const char* suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://ec2." + region + suffix;
}

bool is_region_name(std::string_view region) {
  constexpr std::size_t k_longest = 32;
  return !region.empty() && region.size() <= k_longest && region.front() >= 'a' &&
         region.front() <= 'z' && std::ranges::all_of(region, [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

Ec2Client::Ec2Client(Ec2ClientOptions options, Ec2ClientDeps deps)
    : m_options(std::move(options)), m_deps(std::move(deps)) {}

AwsResult<Ec2Response> Ec2Client::call(std::string_view action, QueryParams params) const {
  const std::string* dry_run = params.find("DryRun");
  if (!m_options.live && is_mutating(action) && (dry_run == nullptr || *dry_run != "true")) {
    return std::unexpected(error(
        AwsErrorKind::refused, action,
        "refusing to send a mutating request in dry-run mode (nothing was sent; a live run needs "
        "CE_DRY_RUN=0, a permission check sends DryRun=true)"));
  }
  const ApiCategory category = categorize(action, params);
  QueryParams full{{"Action", std::string(action)}, {"Version", k_ec2_api_version}};
  for (const auto& [key, value] : params.entries()) full.add(key, value);

  const int max_attempts = std::max(1, m_options.retry.max_attempts);
  for (int attempt_number = 1;; ++attempt_number) {
    if (auto passed = deadline_error(action, attempt_number - 1)) {
      return std::unexpected(std::move(*passed));
    }
    if (!m_deps.limiter->acquire(category, *m_deps.clock)) {
      return std::unexpected(error(AwsErrorKind::transport, action,
                                   "interrupted while waiting for the request-rate budget"));
    }
    auto result = attempt(action, full);
    if (result) return result;
    AwsError& failure = result.error();
    failure.attempts = attempt_number;
    if (failure.kind == AwsErrorKind::timeout) {
      failure.message += " (bounds: CE_AWS_REQUEST_TIMEOUT, CE_AWS_STALL_TIMEOUT)";
    }
    const bool retry = failure.retryable && (!m_options.retry.throttling_only ||
                                             failure.kind == AwsErrorKind::throttled);
    if (!retry || attempt_number >= max_attempts) return result;
    auto delay = backoff_delay(m_options.retry, attempt_number, next_random());
    if (const auto at = deadline()) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*at - m_deps.clock->steady_now());
      delay = std::clamp(left, std::chrono::milliseconds(0), delay);
    }
    log::warn("aws.retry",
              failure.describe() + "; retrying in " + std::to_string(delay.count()) +
                  " ms (retry " + std::to_string(attempt_number) + " of " +
                  std::to_string(max_attempts - 1) + ")",
              {{"action", std::string(action)},
               {"region", m_options.region},
               {"kind", std::string(to_string(failure.kind))},
               {"code", failure.code},
               {"attempt", attempt_number},
               {"delay_ms", delay.count()}});
    if (!m_deps.clock->sleep_for(delay)) return result;
  }
}

AwsResult<Ec2Pages> Ec2Client::call_paged(std::string_view action, QueryParams params,
                                          std::string_view item_path, int max_results) const {
  if (max_results > 0) params.set("MaxResults", std::to_string(max_results));
  Ec2Pages out;
  std::set<std::string> seen_tokens;
  while (true) {
    auto page = call(action, params);
    if (!page) return std::unexpected(std::move(page.error()));
    for (const pugi::xml_node item : page->items(item_path)) out.items.push_back(item);
    const std::string next = page->text("nextToken");
    out.pages.push_back(std::move(*page));
    if (next.empty()) return out;
    if (!seen_tokens.insert(next).second) {
      return std::unexpected(
          error(AwsErrorKind::service, action,
                "page " + std::to_string(out.pages.size()) + " repeats the nextToken \"" +
                    ::labctl::text::printable(next, 64) +
                    "\" of an earlier page of the same listing; stopping instead of looping"));
    }
    if (out.pages.size() >= static_cast<std::size_t>(k_max_pages)) {
      return std::unexpected(error(AwsErrorKind::service, action,
                                   "more than " + std::to_string(k_max_pages) +
                                       " pages in one listing; stopping instead of looping"));
    }
    params.set("NextToken", next);
  }
}

AwsResult<Ec2Response> Ec2Client::attempt(std::string_view action,
                                          const QueryParams& params) const {
  auto credentials = m_deps.credentials();
  if (!credentials)
    return std::unexpected(error(AwsErrorKind::auth, action, credentials.error().message));

  SigningRequest signing{"POST",
                         m_options.endpoint + "/",
                         {{"Content-Type", k_content_type}, {"User-Agent", "labctl"}},
                         params.form_encode()};
  auto headers =
      sign(signing, *credentials, SigningScope{m_options.region, "ec2"}, m_deps.clock->now());
  if (!headers)
    return std::unexpected(error(AwsErrorKind::transport, action, headers.error().message));

  HttpRequest request;
  request.method = "POST";
  request.url = std::move(signing.url);
  request.headers = std::move(*headers);
  request.body = std::move(signing.body);
  request.connect_timeout = m_options.connect_timeout;
  request.total_timeout = m_options.request_timeout;
  request.stall_timeout = m_options.stall_timeout;
  if (const auto at = deadline()) {
    // Never past the deadline: a request sent just before it is cut there (at least 1 ms).
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(*at - m_deps.clock->steady_now());
    request.total_timeout = std::clamp(left, std::chrono::milliseconds(1), request.total_timeout);
  }
  if (m_options.debug_log) {
    log::emit(log::Level::debug, "aws.request",
              "aws ec2 " + std::string(action) + " (" + m_options.region + ") POST " + request.url +
                  "\n" + redacted_headers(request.headers) + "\n\n" + request.body);
  }
  auto response = m_deps.transport->send(request);
  if (!response)
    return std::unexpected(from_transport_error(action, m_options.region, response.error()));
  if (response->status != 200) {
    return std::unexpected(
        parse_error_response(action, m_options.region, response->status, response->body));
  }
  auto document = std::make_shared<pugi::xml_document>();
  if (!document->load_buffer(response->body.data(), response->body.size())) {
    AwsError malformed = error(AwsErrorKind::service, action,
                               "malformed XML in a successful response (" +
                                   std::to_string(response->body.size()) + " bytes)");
    malformed.http_status = static_cast<int>(response->status);
    return std::unexpected(std::move(malformed));
  }
  // An answer to another action (a replayed or misrouted body) must not pass for this one's:
  // an empty DescribeTags read from a DescribeImages answer would "prove" a lab gone.
  const std::string expected_root = std::string(action) + "Response";
  if (expected_root != document->document_element().name()) {
    AwsError foreign = error(
        AwsErrorKind::service, action,
        "the answer is a <" + ::labctl::text::printable(document->document_element().name(), 64) +
            "> document, not <" + expected_root + ">");
    foreign.http_status = static_cast<int>(response->status);
    return std::unexpected(std::move(foreign));
  }
  return Ec2Response(std::move(document));
}

std::optional<std::chrono::steady_clock::time_point> Ec2Client::deadline() const {
  if (!m_deps.deadline) return std::nullopt;
  return m_deps.deadline->at();
}

std::optional<AwsError> Ec2Client::deadline_error(std::string_view action, int attempts) const {
  const auto at = deadline();
  if (!at || m_deps.clock->steady_now() < *at) return std::nullopt;
  AwsError passed = error(AwsErrorKind::timeout, action,
                          m_deps.deadline->describe() +
                              "; nothing more is sent (raise it, or "
                              "run the command again to continue)");
  passed.attempts = std::max(1, attempts);
  return passed;
}

AwsError Ec2Client::error(AwsErrorKind kind, std::string_view action, std::string message) const {
  AwsError out;
  out.kind = kind;
  out.action = action;
  out.region = m_options.region;
  out.message = std::move(message);
  return out;
}

double Ec2Client::next_random() const {
  if (m_deps.unit_random) return m_deps.unit_random();
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace labctl::providers::aws
