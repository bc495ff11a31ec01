#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {

Expected<std::shared_ptr<Ec2ClientFactory>> Ec2ClientFactory::from_env(
    const EnvLookup& env, std::shared_ptr<Clock> clock, bool live,
    std::shared_ptr<ProcessRunner> processes) {
  auto retry = retry_policy_from_env(env, "CE_AWS_MAX_ATTEMPTS");
  if (!retry) return std::unexpected(retry.error());
  auto limits = aws_limits_from_env(env);
  if (!limits) return std::unexpected(limits.error());
  return std::make_shared<Ec2ClientFactory>(
      env, live, *retry, std::move(clock), make_curl_transport(curl_options_from_env(env, "AWS_CA_BUNDLE")),
      env("CE_AWS_DEBUG").value_or("") == "1", *limits, std::move(processes));
}

Ec2ClientFactory::Ec2ClientFactory(EnvLookup env, bool live, RetryPolicy retry,
                                   std::shared_ptr<Clock> clock,
                                   std::shared_ptr<HttpTransport> transport, bool debug_log,
                                   AwsLimits limits, std::shared_ptr<ProcessRunner> processes)
    : m_env(std::move(env)),
      m_live(live),
      m_debug_log(debug_log),
      m_retry(retry),
      m_limits(limits),
      m_clock(std::move(clock)),
      m_transport(std::move(transport)),
      m_chain(
          std::make_shared<CredentialChain>(m_env, m_transport, m_clock, std::move(processes))) {}

Expected<std::shared_ptr<Ec2Client>> Ec2ClientFactory::client(const std::string& region) {
  if (!is_region_name(region)) {
    return fail(ExitCode::usage, "\"" + region +
                                     "\" is not an AWS region name (expected something like "
                                     "us-east-1); check the profile's aws regions or AWS_REGION");
  }
  const std::lock_guard lock(m_mutex);
  auto& client = m_clients[region];
  if (!client) {
    Ec2ClientOptions options;
    options.region = region;
    options.endpoint = resolve_ec2_endpoint(region, m_env);
    options.live = m_live;
    options.retry = m_retry;
    options.debug_log = m_debug_log;
    options.request_timeout = m_limits.request_timeout;
    options.stall_timeout = m_limits.stall_timeout;
    Ec2ClientDeps deps{m_transport, [chain = m_chain] { return chain->resolve(); },
                       m_clock,     region_rate_limiter(region),
                       nullptr,     m_deadline};
    client = std::make_shared<Ec2Client>(std::move(options), std::move(deps));
  }
  return client;
}

Expected<Credentials> Ec2ClientFactory::credentials() const { return m_chain->resolve(); }

void Ec2ClientFactory::start_phase() {
  m_deadline->arm_phase(m_clock->steady_now() + m_limits.command_timeout, m_limits.command_timeout);
}

void Ec2ClientFactory::start_janitor() {
  m_deadline->arm_hard(m_clock->steady_now() + m_limits.janitor_timeout, m_limits.janitor_timeout);
}

std::shared_ptr<Ec2ClientFactories> Ec2ClientFactories::from_env(
    EnvLookup env, std::shared_ptr<Clock> clock, std::shared_ptr<ProcessRunner> processes) {
  return std::make_shared<Ec2ClientFactories>([env = std::move(env), clock = std::move(clock),
                                               processes = std::move(processes)](bool live) {
    return Ec2ClientFactory::from_env(env, clock, live, processes);
  });
}

Expected<std::shared_ptr<Ec2ClientFactory>> Ec2ClientFactories::get(bool live) {
  const std::lock_guard lock(m_mutex);
  auto& factory = m_factories[live];
  if (!factory) {
    auto made = m_make(live);
    if (!made) return std::unexpected(made.error());
    factory = *made;
  }
  return factory;
}

}  // namespace labctl::providers::aws
