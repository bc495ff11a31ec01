#pragma once

#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/aws/ec2_client.hpp"

namespace labctl::providers::aws {

// The id prefix EC2 gives a resource kind labctl records ("instance" -> "i-", "vpc" -> "vpc-",
// "route-table-association" -> "rtbassoc-", ...); "" for a kind without one.
[[nodiscard]] std::string_view id_prefix(std::string_view kind);

// True when `id` is `prefix` followed by 8 or 17 lower-case hex digits, as EC2 writes ids.
[[nodiscard]] bool is_resource_id(std::string_view id, std::string_view prefix);

// What a mutating call's success answer says it made.
struct Created {
  std::string id;  // the resource's id; for an attach or a rule, the parent's (from the request)
  nlohmann::json attrs = nlohmann::json::object();
};

// Reads the id a create's answer must carry, and checks it: present, of the kind's shape, one
// instance per requested instance (MaxCount) with distinct ids, and none already in
// `recorded` (the run's known ids). Anything else is an ambiguous failure: the call may have
// created something, so the caller keeps the intent row and a later teardown finds the resource
// by its tag. The error is a service error naming the action and what was wrong.
[[nodiscard]] AwsResult<Created> read_created(std::string_view action, std::string_view region,
                                              const QueryParams& params,
                                              const Ec2Response& response,
                                              const std::set<std::string>& recorded);

}  // namespace labctl::providers::aws
