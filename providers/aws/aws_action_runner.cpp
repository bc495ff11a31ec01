#include "providers/aws/aws_action_runner.hpp"

#include <map>
#include <memory>
#include <mutex>

#include "core/env.hpp"
#include "core/clock.hpp"
#include "providers/aws/aws_actions.hpp"
#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {
namespace {

// `base` seen through a shared-credentials profile: AWS_PROFILE is `profile` and the
// environment's own keys are hidden, so the chain resolves that profile's keys.
EnvLookup scoped_env(const EnvLookup& base, const std::string& profile) {
  return [base, profile](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_PROFILE") return profile;
    for (const char* hidden : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
      if (name == hidden) return std::nullopt;
    }
    return base(name);
  };
}

// The factory of one credentials profile's clients ("": the usual chain); `writer`: its
// clients retry throttling only (the writer of Ec2Clients: a throttled request was not acted
// on, anything else may have been).
Expected<std::shared_ptr<Ec2ClientFactory>> factory_for(const EnvLookup& base,
                                                        const std::shared_ptr<Clock>& clock,
                                                        const std::shared_ptr<ProcessRunner>& processes,
                                                        const std::string& profile, bool live,
                                                        bool writer) {
  const EnvLookup env = profile.empty() ? base : scoped_env(base, profile);
  auto retry = retry_policy_from_env(env, "CE_AWS_MAX_ATTEMPTS");
  if (!retry) return std::unexpected(retry.error());
  retry->throttling_only = writer;
  return std::make_shared<Ec2ClientFactory>(
      env, live, *retry, clock, make_curl_transport(curl_options_from_env(env, "AWS_CA_BUNDLE")),
      env("CE_AWS_DEBUG").value_or("") == "1", AwsLimits{}, processes);
}

}  // namespace

ActionRunner make_aws_runner(EnvLookup env, std::shared_ptr<Clock> clock,
                             std::shared_ptr<ProcessRunner> processes, bool live) {
  struct Factories {
    std::shared_ptr<Ec2ClientFactory> reader;
    std::shared_ptr<Ec2ClientFactory> writer;
  };
  struct Cache {
    std::mutex mutex;
    std::map<std::string, Factories> factories;  // by credentials profile
  };
  auto cache = std::make_shared<Cache>();
  return [cache, env = std::move(env), clock = std::move(clock), processes = std::move(processes),
          live](
             const ActionRequest& request, const std::string& run_id,
                       const std::string& credentials_profile) -> Outcome {
    const auto refuse = [](ExitCode code, const std::string& why) {
      return Outcome{{"failed", why, nlohmann::json::object(), false, why}, code};
    };
    Factories factories;
    {
      const std::lock_guard lock(cache->mutex);
      auto& cached = cache->factories[credentials_profile];
      if (!cached.reader) {
        auto reader = factory_for(env, clock, processes, credentials_profile, live, false);
        if (!reader) return refuse(reader.error().code, reader.error().message);
        auto writer = factory_for(env, clock, processes, credentials_profile, live, true);
        if (!writer) return refuse(writer.error().code, writer.error().message);
        cached = {*reader, *writer};
      }
      factories = cached;
    }
    auto reader = factories.reader->client(request.target.region);
    if (!reader) return refuse(reader.error().code, reader.error().message);
    auto writer = factories.writer->client(request.target.region);
    if (!writer) return refuse(writer.error().code, writer.error().message);
    return perform_aws({**reader, **writer}, request, run_id);
  };
}

}  // namespace labctl::providers::aws
