#include "evidence/validate.hpp"

#include "evidence/embedded_schema.hpp"

namespace labctl::evidence {

Expected<std::vector<json_schema::ValidationError>> validate_result(const nlohmann::json& document) {
  return json_schema::validate_against(embedded::k_evidence_schema, document);
}

}  // namespace labctl::evidence
