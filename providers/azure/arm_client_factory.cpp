#include <algorithm>

#include "core/text.hpp"
#include "providers/ascii.hpp"
#include "providers/azure/arm_client.hpp"
#include "providers/azure/credentials.hpp"
#include "providers/azure/url.hpp"

namespace labctl::providers::azure {

namespace {

constexpr long long k_day_s = 86400;
constexpr const char* k_default_arm_endpoint = "https://management.azure.com";

}  // namespace

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

Expected<AzureLimits> azure_limits_from_env(const EnvLookup& env) {
  AzureLimits limits;
  for (auto [name, field] : {std::pair{"CE_AZURE_REQUEST_TIMEOUT", &limits.request_timeout},
                             std::pair{"CE_AZURE_STALL_TIMEOUT", &limits.stall_timeout},
                             std::pair{"CE_AZURE_WAIT_TIMEOUT", &limits.wait_timeout},
                             std::pair{"CE_AZURE_COMMAND_TIMEOUT", &limits.command_timeout},
                             std::pair{"CE_JANITOR_TIMEOUT", &limits.janitor_timeout}}) {
    auto value = env::whole_number(env, name, field->count(), 1, k_day_s, "seconds");
    if (!value) return std::unexpected(value.error());
    *field = std::chrono::seconds(*value);
  }
  constexpr long long k_max_conflict_retries = 100;
  auto retries = env::whole_number(env, "CE_AZURE_CONFLICT_RETRIES", limits.conflict_retries, 0,
                                   k_max_conflict_retries, "attempts");
  if (!retries) return std::unexpected(retries.error());
  limits.conflict_retries = static_cast<int>(*retries);
  return limits;
}

Expected<std::string> resolve_arm_endpoint(const EnvLookup& env) {
  const auto value = env("CE_AZURE_ARM_ENDPOINT");
  if (!value || value->empty()) return std::string(k_default_arm_endpoint);
  return secure_endpoint(*value, "CE_AZURE_ARM_ENDPOINT");
}

std::optional<std::string> subscription_in_id(std::string_view id) {
  constexpr std::string_view k_prefix = "/subscriptions/";
  if (id.size() < k_prefix.size() || !ascii::iequals(id.substr(0, k_prefix.size()), k_prefix)) {
    return std::nullopt;
  }
  const std::string_view rest = id.substr(k_prefix.size());
  const std::string_view subscription = rest.substr(0, rest.find('/'));
  if (!is_guid(subscription)) return std::nullopt;
  return std::string(subscription);
}

std::shared_ptr<ArmClientFactory> ArmClientFactory::from_env(
    EnvLookup env, std::shared_ptr<Clock> clock, std::shared_ptr<HttpTransport> transport) {
  if (!transport) transport = make_curl_transport(curl_options_from_env(env, "AZURE_CA_BUNDLE"));
  return std::make_shared<ArmClientFactory>(std::move(env), std::move(clock), std::move(transport));
}

ArmClientFactory::ArmClientFactory(EnvLookup env, std::shared_ptr<Clock> clock,
                                   std::shared_ptr<HttpTransport> transport)
    : m_env(std::move(env)), m_clock(std::move(clock)), m_transport(std::move(transport)) {}

Expected<std::shared_ptr<ArmClient>> ArmClientFactory::client(bool live) {
  return make_client(live, false);
}

Expected<std::shared_ptr<ArmClient>> ArmClientFactory::writer(bool live) {
  return make_client(live, true);
}

Expected<std::shared_ptr<ArmClient>> ArmClientFactory::make_client(bool live, bool writer) {
  const std::lock_guard lock(m_mutex);
  if (m_error) return std::unexpected(*m_error);
  const auto key = std::pair{live, writer};
  if (auto found = m_clients.find(key); found != m_clients.end()) return found->second;
  const auto failed = [this](const Error& error) {
    m_error = error;
    return std::unexpected(error);
  };
  auto retry = retry_policy_from_env(m_env, "CE_AZURE_MAX_ATTEMPTS");
  if (!retry) return failed(retry.error());
  retry->throttling_only = writer;
  auto limits = azure_limits_from_env(m_env);
  if (!limits) return failed(limits.error());
  auto endpoint = resolve_arm_endpoint(m_env);
  if (!endpoint) return failed(endpoint.error());
  if (!m_token) {
    // The chain is checked at each token() call, so a host without credentials still gets a
    // client: its first call fails with the chain's usage error ("azure: no credentials ...").
    auto chain = std::make_shared<CredentialChain>(m_env, m_transport, m_clock);
    m_token = [chain]() -> Expected<std::string> {
      auto token = chain->token();
      if (!token) return std::unexpected(token.error());
      return token->value.reveal();
    };
    m_refresh_token = [chain] { chain->invalidate(); };
  }
  ArmClientOptions options;
  options.endpoint = *endpoint;
  options.live = live;
  options.retry = *retry;
  options.limits = *limits;
  options.debug_log = m_env("CE_AZURE_DEBUG").value_or("") == "1";
  ArmClientDeps deps{m_transport, m_token, m_clock, nullptr, m_deadline, m_refresh_token};
  auto client = std::make_shared<ArmClient>(std::move(options), std::move(deps));
  m_clients[key] = client;
  return client;
}

Expected<std::string> ArmClientFactory::subscription(const std::string& from_profile) const {
  if (const auto value = m_env("AZURE_SUBSCRIPTION_ID"); value && !value->empty()) {
    if (is_guid(*value)) return *value;
    return fail(ExitCode::usage, "AZURE_SUBSCRIPTION_ID=\"" +
                                     ::labctl::text::printable(*value, 64) +
                                     "\" is not a subscription id (a GUID, "
                                     "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
  }
  if (is_guid(from_profile)) return from_profile;
  return fail(ExitCode::usage,
              from_profile.empty()
                  ? std::string("no Azure subscription: set AZURE_SUBSCRIPTION_ID or the "
                                "profile's azure.subscription (a GUID)")
                  : "the profile's azure.subscription \"" +
                        ::labctl::text::printable(from_profile, 64) +
                        "\" is not a subscription id (a GUID); fix it or set "
                        "AZURE_SUBSCRIPTION_ID");
}

void ArmClientFactory::start_phase() {
  auto limits = azure_limits_from_env(m_env);
  const auto budget = limits ? limits->command_timeout : AzureLimits{}.command_timeout;
  m_deadline->arm_phase(m_clock->steady_now() + budget, budget);
}

void ArmClientFactory::start_janitor() {
  auto limits = azure_limits_from_env(m_env);
  const auto budget = limits ? limits->janitor_timeout : AzureLimits{}.janitor_timeout;
  m_deadline->arm_hard(m_clock->steady_now() + budget, budget);
}

}  // namespace labctl::providers::azure
