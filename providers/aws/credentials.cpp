#include "providers/aws/credentials.hpp"

#include <algorithm>
#include <ostream>
#include <vector>

#include "core/env.hpp"
#include "core/log.hpp"
#include "providers/aws/imds.hpp"
#include "providers/aws/shared_config.hpp"
#include "providers/aws/text.hpp"

namespace labctl::providers::aws {

namespace {

bool non_empty(const std::optional<std::string>& value) { return value && !value->empty(); }

// Credentials from one INI section, or why the section gave none.
std::optional<Credentials> from_section(const std::optional<IniSection>& section,
                                        const std::string& source, std::string& why_not) {
  if (!section) {
    why_not = "no such profile section";
    return std::nullopt;
  }
  const auto get = [&section](const char* key) {
    const auto found = section->find(key);
    return found == section->end() ? std::string() : found->second;
  };
  if (get("aws_access_key_id").empty() || get("aws_secret_access_key").empty()) {
    why_not = "section has no aws_access_key_id/aws_secret_access_key";
    return std::nullopt;
  }
  return Credentials(get("aws_access_key_id"), get("aws_secret_access_key"),
                     get("aws_session_token"), std::nullopt, source);
}

std::string file_status(const std::filesystem::path& path, const std::string& why_not) {
  std::error_code ignored;
  return path.string() + ": " +
         (std::filesystem::exists(path, ignored) ? why_not : "file not found");
}

}  // namespace

Credentials::Credentials(std::string access_key_id, std::string secret_access_key,
                         std::string session_token, std::optional<SystemTime> expiration,
                         std::string source)
    : m_access_key_id(std::move(access_key_id)),
      m_secret_access_key(std::move(secret_access_key)),
      m_session_token(std::move(session_token)),
      m_expiration(expiration),
      m_source(std::move(source)) {}

std::string Credentials::to_string() const {
  const std::size_t shown = std::min<std::size_t>(4, m_access_key_id.size());
  std::string text = "access key ..." + m_access_key_id.substr(m_access_key_id.size() - shown);
  text += " (" + (m_source.empty() ? std::string("unknown source") : m_source);
  if (!m_session_token.empty()) text += ", session token";
  if (m_expiration) text += ", expires " + format_rfc3339(*m_expiration);
  return text + ")";
}

std::ostream& operator<<(std::ostream& out, const Credentials& credentials) {
  return out << credentials.to_string();
}

CredentialChain::CredentialChain(EnvLookup env, std::shared_ptr<HttpTransport> imds_transport,
                                 std::shared_ptr<Clock> clock)
    : m_env(std::move(env)), m_imds(std::move(imds_transport)), m_clock(std::move(clock)) {}

Expected<Credentials> CredentialChain::resolve() {
  std::vector<std::string> tried;

  const auto key_id = m_env("AWS_ACCESS_KEY_ID");
  const auto secret = m_env("AWS_SECRET_ACCESS_KEY");
  if (non_empty(key_id) && non_empty(secret)) {
    return Credentials(*key_id, *secret, m_env("AWS_SESSION_TOKEN").value_or(""), std::nullopt,
                       "environment");
  }
  tried.push_back(non_empty(key_id) || non_empty(secret)
                      ? "environment: only one of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY is set"
                      : "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set");

  const SharedFiles files = shared_files(m_env);
  std::string why_not;
  if (auto found =
          from_section(credentials_section(files),
                       "shared credentials file profile \"" + files.profile + "\"", why_not)) {
    return *found;
  }
  tried.push_back("shared credentials file (AWS_SHARED_CREDENTIALS_FILE) profile \"" +
                  files.profile + "\" in " + file_status(files.credentials_file, why_not));
  if (auto found = from_section(config_section(files),
                                "config file profile \"" + files.profile + "\"", why_not)) {
    return *found;
  }
  tried.push_back("config file (AWS_CONFIG_FILE) profile \"" + files.profile + "\" in " +
                  file_status(files.config_file, why_not));

  if (text::lower(m_env("AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
    tried.push_back("instance metadata: skipped, AWS_EC2_METADATA_DISABLED=true");
  } else if (auto found = from_imds()) {
    return *found;
  } else {
    tried.push_back(found.error().message);
  }

  std::string message = "no AWS credentials found; tried, in order:";
  for (const auto& entry : tried) message += "\n  - " + entry;
  message +=
      "\nfix: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for "
      "temporary credentials), or set AWS_PROFILE to a profile with keys in ~/.aws/credentials, "
      "or run on an EC2 instance with an instance profile";
  return fail(ExitCode::provider, message);
}

Expected<Credentials> CredentialChain::from_imds() {
  const std::lock_guard lock(m_mutex);
  const SystemTime now = m_clock->now();
  if (m_imds_cache &&
      (!m_imds_cache->expiration() || now < *m_imds_cache->expiration() - k_refresh_margin)) {
    return *m_imds_cache;
  }
  const std::string endpoint = non_empty(m_env("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
                                   ? *m_env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                                   : std::string(k_default_imds_endpoint);
  auto fetched = fetch_imds_credentials(*m_imds, endpoint);
  if (fetched) {
    m_imds_cache = *fetched;
    return fetched;
  }
  // A failed refresh keeps the old credentials while they are still valid.
  if (m_imds_cache && m_imds_cache->expiration() && now < *m_imds_cache->expiration()) {
    log::warn("aws.credentials.refresh_failed",
              "refreshing instance-profile credentials failed; using the cached ones until they "
              "expire: " +
                  fetched.error().message);
    return *m_imds_cache;
  }
  return fail(ExitCode::provider,
              "instance metadata at " + endpoint + ": " + fetched.error().message);
}

Expected<std::string> resolve_region(const EnvLookup& env) {
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const auto value = env(variable); non_empty(value)) return *value;
  }
  const SharedFiles files = shared_files(env);
  if (const auto section = config_section(files)) {
    if (const auto found = section->find("region");
        found != section->end() && !found->second.empty()) {
      return found->second;
    }
  }
  return fail(ExitCode::usage,
              "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or add `region = ...` to "
              "profile \"" +
                  files.profile + "\" in " + files.config_file.string() + " (AWS_CONFIG_FILE)");
}

}  // namespace labctl::providers::aws
