#pragma once

#include <memory>

#include "providers/provider.hpp"

namespace labctl::providers {

// Real EC2 (Query API): the aws part of a profile, teardown and the tag-scanning janitor.
[[nodiscard]] std::unique_ptr<Provider> make_aws_provider();

}  // namespace labctl::providers
