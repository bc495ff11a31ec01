#pragma once

#include <chrono>
#include <cstddef>
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
#include "providers/http_transport.hpp"
#include "providers/secret.hpp"

// The Entra ID credential chain: bearer tokens for Azure Resource Manager.
namespace labctl::providers::azure {

// The ARM scope (v2 token endpoint) and resource (managed identity).
inline constexpr const char* k_arm_scope = "https://management.azure.com/.default";
inline constexpr const char* k_arm_resource = "https://management.azure.com/";
inline constexpr const char* k_default_authority = "https://login.microsoftonline.com";
// The link-local instance metadata address; used only when AZURE_IMDS_ENDPOINT is unset. Tests
// always set the variable to a fake.
inline constexpr const char* k_default_imds_endpoint = "http://169.254.169.254";
// A token answer is a few KiB; anything past this is not one (checked before parsing).
inline constexpr std::size_t k_max_token_answer_bytes = std::size_t{64} << 10U;
// A federated (workload identity) token file: a JWT of a few KiB.
inline constexpr std::size_t k_max_federated_token_bytes = std::size_t{16} << 10U;

// An ARM access token. `value` has no printable form (providers/secret.hpp); describe() names
// where it came from and when it expires, never the token.
struct AccessToken {
  Secret value;
  SystemTime expires_at;
  std::string
      source;  // "client secret of app <client id> in tenant <tenant>", "managed identity (IMDS)"

  [[nodiscard]] std::string describe() const;
};

// Resolves a token in the Azure SDK's DefaultAzureCredential order (the first source that is
// configured is used; a source configured only in part is an error naming what is missing,
// never a silent fall-through):
//   1. client secret: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET: POST
//      {authority}/{tenant}/oauth2/v2.0/token (grant_type=client_credentials, scope the ARM
//      .default scope); authority = AZURE_AUTHORITY_HOST, default login.microsoftonline.com
//      (https, or http to a loopback host only).
//   2. workload identity: AZURE_FEDERATED_TOKEN_FILE + AZURE_TENANT_ID + AZURE_CLIENT_ID: the
//      same endpoint with client_assertion = the file's JWT (re-read at every fetch, at most
//      k_max_federated_token_bytes), client_assertion_type jwt-bearer.
//   3. managed identity: IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service): GET
//      {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=... with X-IDENTITY-HEADER; else
//      IMDS: GET {AZURE_IMDS_ENDPOINT, default the link-local address}/metadata/identity/
//      oauth2/token?api-version=2018-02-01&resource=... with Metadata: true (1 s connect
//      timeout). AZURE_CLIENT_ID, when set, selects a user-assigned identity (client_id). IMDS
//      that does not answer (or answers 400: no identity) is "not available", remembered for
//      the chain's life, and the chain ends.
// Nothing configured and nothing available: an ExitCode::usage error listing what was tried
// ("azure: no credentials (tried: ...); set ..."); callers read usage as "no credentials".
// Tokens are cached in memory and fetched again once within k_refresh_margin of their expiry
// (or half their lifetime, if shorter); a failed refresh keeps a still-valid token. Token
// answers are bounded (k_max_token_answer_bytes) and shape-checked; their errors come back
// printable and bounded with every secret this chain holds cut out. Thread-safe: concurrent
// callers wait for one fetch.
class CredentialChain {
 public:
  static constexpr std::chrono::minutes k_refresh_margin{5};
  static constexpr std::chrono::milliseconds k_imds_connect_timeout{1000};

  CredentialChain(EnvLookup env, std::shared_ptr<HttpTransport> transport,
                  std::shared_ptr<Clock> clock);

  [[nodiscard]] Expected<AccessToken> token();
  // Drops the cached token: the next token() fetches a new one (after ARM answered 401).
  void invalidate();

 private:
  struct Source;
  [[nodiscard]] Expected<Source> choose_source();
  [[nodiscard]] Expected<AccessToken> fetch(const Source& source);
  [[nodiscard]] Expected<AccessToken> fetch_managed_identity(const Source& source);
  [[nodiscard]] Error no_credentials(const std::string& managed_identity) const;

  EnvLookup m_env;
  std::shared_ptr<HttpTransport> m_transport;
  std::shared_ptr<Clock> m_clock;
  std::mutex m_mutex;  // held while choosing and fetching: one fetch at a time
  std::optional<AccessToken> m_token;
  std::string m_token_key;  // the source m_token came from
  SystemTime m_fetched_at;
  std::map<std::string, std::string> m_imds_down;  // IMDS endpoint -> why it is not available
};

// The token in one token endpoint's answer (`what` names the call in errors), or the error it
// carries. 200: a JSON object with access_token (printable ASCII, at most 16 KiB), token_type
// Bearer when present, and expires_in (seconds from `now`) or expires_on (Unix seconds), as a
// number or a string of digits, in the future. Any other status: an error with the OAuth
// error/error_description (or ARM-style error.code/message), printable and bounded, `secrets`
// cut out; never the body itself. Exposed for tests and fuzzing.
[[nodiscard]] Expected<AccessToken> parse_token_answer(std::string_view what, long http_status,
                                                       std::string_view body, SystemTime now,
                                                       const std::vector<std::string>& secrets,
                                                       std::string source);

}  // namespace labctl::providers::azure
