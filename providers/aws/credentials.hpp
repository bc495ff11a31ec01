#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "providers/aws/http_transport.hpp"

namespace labctl::providers::aws {

// An AWS key pair, optionally with a session token and an expiry. Redacted by construction:
// every printable form (to_string, operator<<, describe) shows only the last 4 characters of
// the access key id; the secret and the token have no printable form at all.
class Credentials {
 public:
  Credentials(std::string access_key_id, std::string secret_access_key,
              std::string session_token = {}, std::optional<SystemTime> expiration = {},
              std::string source = {});

  [[nodiscard]] const std::string& access_key_id() const { return m_access_key_id; }
  [[nodiscard]] const std::string& secret_access_key() const { return m_secret_access_key; }
  [[nodiscard]] const std::string& session_token() const { return m_session_token; }
  [[nodiscard]] const std::optional<SystemTime>& expiration() const { return m_expiration; }
  // Where they came from: "environment", "shared credentials file profile \"x\"", "IMDS role r".
  [[nodiscard]] const std::string& source() const { return m_source; }

  // "...WXYZ (environment, session token)"; never the secret or the token.
  [[nodiscard]] std::string to_string() const;

 private:
  std::string m_access_key_id;
  std::string m_secret_access_key;
  std::string m_session_token;
  std::optional<SystemTime> m_expiration;
  std::string m_source;
};

std::ostream& operator<<(std::ostream& out, const Credentials& credentials);

// Resolves credentials in the standard order, first match wins:
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//   2. shared files for AWS_PROFILE (default "default"): AWS_SHARED_CREDENTIALS_FILE
//      (~/.aws/credentials, section [name]), then AWS_CONFIG_FILE (~/.aws/config, section
//      [profile name] or [default])
//   3. IMDSv2 instance profile at AWS_EC2_METADATA_SERVICE_ENDPOINT (default the link-local
//      address), skipped when AWS_EC2_METADATA_DISABLED=true; 1 s timeouts.
// IMDS credentials are cached and fetched again once they are within `k_refresh_margin` of
// their Expiration. Thread-safe. Environment and files are read on every resolve() so a
// rotated file is picked up; only IMDS results are cached.
class CredentialChain {
 public:
  static constexpr std::chrono::minutes k_refresh_margin{5};

  CredentialChain(EnvLookup env, std::shared_ptr<HttpTransport> imds_transport,
                  std::shared_ptr<Clock> clock);

  // An error lists each source tried and why it gave nothing, and how to fix it; never values.
  [[nodiscard]] Expected<Credentials> resolve();

 private:
  [[nodiscard]] Expected<Credentials> from_imds();

  EnvLookup m_env;
  std::shared_ptr<HttpTransport> m_imds;
  std::shared_ptr<Clock> m_clock;
  std::mutex m_mutex;
  std::optional<Credentials> m_imds_cache;
};

// AWS_REGION, then AWS_DEFAULT_REGION, then `region` of the AWS_PROFILE section in the config
// file; an error naming those variables otherwise.
[[nodiscard]] Expected<std::string> resolve_region(const EnvLookup& env);

}  // namespace labctl::providers::aws
