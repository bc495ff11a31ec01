#pragma once

#include <chrono>
#include <string>

#include "core/error.hpp"
#include "providers/aws/credentials.hpp"
#include "providers/http_transport.hpp"

namespace labctl::providers::aws {

// The link-local instance metadata address; used only when AWS_EC2_METADATA_SERVICE_ENDPOINT is
// unset. Tests always set the variable to a loopback fake.
inline constexpr const char* k_default_imds_endpoint = "http://169.254.169.254";
// IMDS answers in milliseconds on an instance; off an instance nothing answers, so wait little.
inline constexpr std::chrono::milliseconds k_imds_timeout{1000};

// IMDSv2: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds), GET the role name from
// /latest/meta-data/iam/security-credentials/, then GET that role's JSON credentials. Errors
// name the step and HTTP status but never any response body (it holds the secret).
[[nodiscard]] Expected<Credentials> fetch_imds_credentials(HttpTransport& transport,
                                                           const std::string& endpoint);

}  // namespace labctl::providers::aws
