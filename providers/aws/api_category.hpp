#pragma once

#include <string_view>

#include "providers/aws/query.hpp"

namespace labctl::providers::aws {

// EC2's request-rate token buckets (per account and Region), as documented by AWS; see
// ../shared/reference/peer-tools.md §3.
enum class ApiCategory {
  non_mutating,         // Describe*/Get*/List* with a filter or pagination: 100 burst, 20/s
  unfiltered_describe,  // DescribeInstances & co. without filter or pagination: 50, 10/s
  mutating,             // default for writes: 50, 5/s
  resource_intensive,   // security-group rule changes, CreateKeyPair, VPC peering: 50, 5/s
  run_instances,        // RunInstances, StartInstances: 5, 2/s
  terminate_instances,  // TerminateInstances: 100, 5/s
  network_interface,    // ENI and private-IP operations: 100, 5/s
  tags,                 // CreateTags, DeleteTags: 100, 10/s
};
inline constexpr int k_api_category_count = 8;

struct BucketRate {
  double capacity;
  double refill_per_second;
};

[[nodiscard]] BucketRate documented_rate(ApiCategory category);
[[nodiscard]] std::string_view to_string(ApiCategory category);

// Describe*, Get* and List* are read-only; everything else changes something. Used both for the
// bucket choice and for the dry-run refusal in Ec2Client.
[[nodiscard]] bool is_mutating(std::string_view action);

// The bucket a call draws on. A describe counts as filtered when it carries Filter.*,
// MaxResults or NextToken.
[[nodiscard]] ApiCategory categorize(std::string_view action, const QueryParams& params);

}  // namespace labctl::providers::aws
