#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/http_transport.hpp"

namespace labctl::providers::aws {

inline constexpr const char* k_sts_api_version = "2011-06-15";
// An STS answer is about 2 KiB; anything past this is not one (checked before parsing).
inline constexpr std::size_t k_max_sts_answer_bytes = std::size_t{64} << 10U;
// STS's own bound on WebIdentityToken (the model's clientTokenType).
inline constexpr std::size_t k_max_web_identity_token_bytes = 20000;

// The endpoint for `region`: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the regional
// https://sts.<region>.amazonaws.com (.com.cn for cn-* regions). No trailing slash.
[[nodiscard]] std::string resolve_sts_endpoint(const std::string& region, const EnvLookup& env);

struct StsTarget {
  std::string endpoint;  // from resolve_sts_endpoint()
  std::string region;    // the SigV4 scope of AssumeRole
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{10000};
};

// What AssumeRole and AssumeRoleWithWebIdentity share. Checked against STS's model before
// anything is sent (role_arn "arn:...", 20..2048 bytes; session name 2..64 of [\w+=,.@-];
// duration 900..43200; external id 2..1224 of [\w+=,.@:/-]): a bad value is a usage error
// naming `where` (the file and profile it came from).
struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;
  std::optional<int> duration_seconds;
  std::string external_id;  // "" : not sent (AssumeRole only)
  std::string where;        // e.g. "~/.aws/config profile \"ci\""
};

[[nodiscard]] Expected<void> check_assume_role_params(const AssumeRoleParams& params);

// STS AssumeRole, a POST signed with SigV4 (service "sts") by `source`. Transport timeouts and
// resets, 5xx and throttling are tried up to 3 times (backoff through `clock`). The answer is
// hostile: bounded (k_max_sts_answer_bytes), its root must be <AssumeRoleResponse>, the key id
// [A-Za-z0-9] 16..128, secret and token printable ASCII (bounded), Expiration RFC 3339 and in
// the future. Errors carry STS's Code, Message and RequestId through text::printable, with any
// secret this call holds cut out; never a secret, a token or the answer's body.
[[nodiscard]] Expected<Credentials> sts_assume_role(HttpTransport& transport, Clock& clock,
                                                    const StsTarget& target,
                                                    const AssumeRoleParams& params,
                                                    const Credentials& source);

// STS AssumeRoleWithWebIdentity: the same, unsigned (the token is the proof), with the
// token read by the caller (at most k_max_web_identity_token_bytes).
[[nodiscard]] Expected<Credentials> sts_assume_role_with_web_identity(
    HttpTransport& transport, Clock& clock, const StsTarget& target, const AssumeRoleParams& params,
    const std::string& web_identity_token);

// The credentials in one STS answer of `action` (status 200), or the error it carries (other
// statuses). `secrets` are cut from any endpoint text before it is used in a message; `source`
// becomes Credentials::source(). Exposed for the unit tests and the fuzz target.
[[nodiscard]] Expected<Credentials> parse_sts_answer(std::string_view action, long http_status,
                                                     std::string_view body, SystemTime now,
                                                     const std::vector<std::string>& secrets,
                                                     std::string source);

}  // namespace labctl::providers::aws
