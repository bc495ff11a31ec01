#include "executor/aws_runner.hpp"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "labctl/env.hpp"
#include "labctl/clock.hpp"
#include "providers/aws/ec2_client.hpp"

namespace labctl::executor {
namespace {

using providers::aws::Ec2ClientFactory;
using providers::aws::EnvLookup;

// The process environment seen through a shared-credentials profile: AWS_PROFILE is `profile`
// and the environment's own keys are hidden, so the chain resolves that profile's keys.
EnvLookup scoped_env(const std::string& profile) {
  const EnvLookup base = providers::aws::process_env();
  return [base, profile](const char* name) -> std::optional<std::string> {
    if (std::strcmp(name, "AWS_PROFILE") == 0) return profile;
    for (const char* hidden : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}) {
      if (std::strcmp(name, hidden) == 0) return std::nullopt;
    }
    return base(name);
  };
}

Expected<std::shared_ptr<Ec2ClientFactory>> factory_for(const std::string& profile, bool live) {
  if (profile.empty()) {
    return Ec2ClientFactory::from_env(live, env::get_or("CE_AWS_DEBUG", "") == "1");
  }
  const EnvLookup env = scoped_env(profile);
  auto retry = providers::aws::retry_policy_from_env(env);
  if (!retry) return std::unexpected(retry.error());
  return std::make_shared<Ec2ClientFactory>(
      env, live, *retry, system_clock(),
      providers::aws::make_curl_transport(providers::aws::curl_options_from_env()));
}

}  // namespace

ActionRunner make_aws_runner(bool live) {
  struct Cache {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<Ec2ClientFactory>> factories;
  };
  auto cache = std::make_shared<Cache>();
  return [cache, live](const ActionRequest& request, const std::string& run_id,
                       const std::string& credentials_profile) -> Outcome {
    const auto refuse = [](ExitCode code, const std::string& why) {
      return Outcome{{"failed", why, nlohmann::json::object(), false, why}, code};
    };
    if (request.provider != "aws") {
      return refuse(ExitCode::refused,
                    "hard stop: no executor for provider '" + request.provider + "' (only aws)");
    }
    std::shared_ptr<Ec2ClientFactory> factory;
    {
      const std::lock_guard lock(cache->mutex);
      auto& cached = cache->factories[credentials_profile];
      if (!cached) {
        auto made = factory_for(credentials_profile, live);
        if (!made) return refuse(made.error().code, made.error().message);
        cached = *made;
      }
      factory = cached;
    }
    auto client = factory->client(request.target.region);
    if (!client) return refuse(client.error().code, client.error().message);
    return perform_aws(**client, request, run_id);
  };
}

}  // namespace labctl::executor
