#include "executor/aws_runner.hpp"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "core/env.hpp"
#include "core/clock.hpp"
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

// The factory of one credentials profile's clients ("": the usual chain); `writer`: its
// clients retry throttling only (the writer of Ec2Clients: a throttled request was not acted
// on, anything else may have been).
Expected<std::shared_ptr<Ec2ClientFactory>> factory_for(const std::string& profile, bool live,
                                                        bool writer) {
  const EnvLookup env = profile.empty() ? providers::aws::process_env() : scoped_env(profile);
  auto retry = providers::aws::retry_policy_from_env(env);
  if (!retry) return std::unexpected(retry.error());
  retry->throttling_only = writer;
  return std::make_shared<Ec2ClientFactory>(
      env, live, *retry, system_clock(),
      providers::aws::make_curl_transport(providers::aws::curl_options_from_env()),
      env::get_or("CE_AWS_DEBUG", "") == "1");
}

}  // namespace

ActionRunner make_aws_runner(bool live) {
  struct Factories {
    std::shared_ptr<Ec2ClientFactory> reader;
    std::shared_ptr<Ec2ClientFactory> writer;
  };
  struct Cache {
    std::mutex mutex;
    std::map<std::string, Factories> factories;  // by credentials profile
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
    Factories factories;
    {
      const std::lock_guard lock(cache->mutex);
      auto& cached = cache->factories[credentials_profile];
      if (!cached.reader) {
        auto reader = factory_for(credentials_profile, live, false);
        if (!reader) return refuse(reader.error().code, reader.error().message);
        auto writer = factory_for(credentials_profile, live, true);
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

}  // namespace labctl::executor
