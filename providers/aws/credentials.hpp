#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "providers/http_transport.hpp"

namespace labctl::providers::aws {

struct SharedFiles;

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

// Resolves credentials in botocore's order (credentials.py, create_credential_resolver), first
// match wins; SSO, the ECS container provider and legacy boto files are not implemented:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//   2. assume role: the profile (AWS_PROFILE, default "default") has role_arn (and no
//      web_identity_token_file): STS AssumeRole signed with the credentials of its
//      source_profile (resolved by steps 2-6 of that profile, chains allowed, loops refused; a
//      profile may name itself to use its own keys) or its credential_source (Environment,
//      Ec2InstanceMetadata); role_session_name, external_id, duration_seconds are sent.
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE (else the profile's web_identity_token_file)
//      with AWS_ROLE_ARN (else role_arn) and AWS_ROLE_SESSION_NAME (else role_session_name,
//      else "labctl-<unix seconds>"): STS AssumeRoleWithWebIdentity, unsigned.
//   4. shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), [name]
//   5. credential_process of the profile: the command run through the ProcessRunner (30 s,
//      64 KiB of output), its JSON {"Version": 1, AccessKeyId, SecretAccessKey, SessionToken?,
//      Expiration?} on stdout
//   6. config file keys (AWS_CONFIG_FILE, ~/.aws/config), [profile name] or [default]
//   7. IMDSv2 instance profile at AWS_EC2_METADATA_SERVICE_ENDPOINT (default the link-local
//      address), skipped when AWS_EC2_METADATA_DISABLED=true; 1 s timeouts.
// A source that is configured but fails (steps 2, 3, 5) is an error, not a fall-through, as in
// botocore. STS is reached at resolve_sts_endpoint(resolve_region(env), else "us-east-1").
// Temporary credentials (steps 2, 3, 5 and 7) are cached per source and fetched again once
// they are within `k_refresh_margin` of their Expiration (or half their lifetime, if that is
// shorter); a failed refresh keeps the old ones while they are valid. Thread-safe: concurrent
// callers of one source wait for one fetch. Environment and files are read on every resolve().
class CredentialChain {
 public:
  static constexpr std::chrono::minutes k_refresh_margin{5};
  static constexpr std::chrono::seconds k_process_timeout{30};
  static constexpr std::size_t k_max_process_output_bytes = std::size_t{64} << 10U;

  // `processes` runs credential_process; null: a profile using it is an error saying so.
  CredentialChain(EnvLookup env, std::shared_ptr<HttpTransport> transport,
                  std::shared_ptr<Clock> clock, std::shared_ptr<ProcessRunner> processes = nullptr);

  // An error lists each source tried and why it gave nothing, and how to fix it; never values.
  [[nodiscard]] Expected<Credentials> resolve();

 private:
  struct Slot;
  struct Profile;
  using Fetch = std::function<Expected<Credentials>()>;

  // The credentials of slot `key`, fetched by `fetch` when absent or due for refresh.
  [[nodiscard]] Expected<Credentials> cached(const std::string& key, const std::string& what,
                                             const Fetch& fetch);
  [[nodiscard]] Expected<Credentials> from_imds();
  [[nodiscard]] Expected<Credentials> from_assume_role(const Profile& profile,
                                                       std::vector<std::string> visited);
  [[nodiscard]] Expected<Credentials> from_source_profile(const Profile& parent,
                                                          const std::string& name,
                                                          std::vector<std::string> visited);
  [[nodiscard]] Expected<Credentials> from_credential_source(const Profile& profile,
                                                             const std::string& source);
  [[nodiscard]] Expected<Credentials> from_web_identity(const std::string& token_file,
                                                        std::string role_arn,
                                                        std::string session_name,
                                                        const std::string& where);
  [[nodiscard]] Expected<Credentials> from_process(const Profile& profile);
  [[nodiscard]] std::string default_session_name() const;
  [[nodiscard]] static std::optional<Profile> load_profile(const SharedFiles& files,
                                                           const std::string& name);

  EnvLookup m_env;
  std::shared_ptr<HttpTransport> m_transport;
  std::shared_ptr<Clock> m_clock;
  std::shared_ptr<ProcessRunner> m_processes;
  std::mutex m_mutex;  // guards m_slots (the map, not the slots' contents)
  std::map<std::string, std::shared_ptr<Slot>> m_slots;
};

// The credentials in a credential_process's stdout (JSON, at most
// CredentialChain::k_max_process_output_bytes): "Version" the number 1, AccessKeyId and
// SecretAccessKey non-empty printable ASCII, SessionToken optional, Expiration optional RFC 3339
// in the future. Errors start with `what` and never quote the output. Exposed for tests/fuzz.
[[nodiscard]] Expected<Credentials> parse_process_output(std::string_view out, SystemTime now,
                                                         const std::string& what,
                                                         const std::string& profile);

// AWS_REGION, then AWS_DEFAULT_REGION, then `region` of the AWS_PROFILE section in the config
// file; an error naming those variables otherwise.
[[nodiscard]] Expected<std::string> resolve_region(const EnvLookup& env);

}  // namespace labctl::providers::aws
