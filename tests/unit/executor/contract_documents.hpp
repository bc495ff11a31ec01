#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "providers/action_contract.hpp"

// The contract documents the executor's unit tests build on (test_contract.cpp and the
// release-only test_contract_scale.cpp): the runbook's request, and plans of it.
namespace labctl::providers::test_documents {

// The runbook's ExecuteActionRequest: a seize of 10.0.1.50 onto eni-0abc123 at epoch 2.
inline nlohmann::json request_document() {
  return {{"apiVersion", k_api_version},
          {"kind", "ExecuteActionRequest"},
          {"spec",
           {{"action", "assign-secondary-ip"},
            {"provider", "aws"},
            {"target", {{"nicRef", "eni-0abc123"}, {"address", "10.0.1.50"},
                        {"region", "us-east-1"}}},
            {"parameters", {{"allowReassignment", true}, {"ownershipEpoch", 2}}},
            {"mode", "execute"},
            {"idempotencyKey", "k1"},
            {"context", {{"runId", "20260601T030000Z-cloudedge-d5"}}}}}};
}

// An ActionPlan of `rows` copies of request_document(), idempotency keys k0, k1, ...
inline nlohmann::json plan_of(std::size_t rows) {
  nlohmann::json actions = nlohmann::json::array();
  for (std::size_t i = 0; i < rows; ++i) {
    auto request = request_document();
    request["spec"]["idempotencyKey"] = "k" + std::to_string(i);
    actions.push_back(request);
  }
  return {{"apiVersion", k_api_version},
          {"kind", "ActionPlan"},
          {"runId", "20260601T030000Z-cloudedge-d5"},
          {"actions", actions}};
}

}  // namespace labctl::providers::test_documents
