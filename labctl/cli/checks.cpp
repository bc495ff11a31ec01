#include "labctl/cli/checks.hpp"

#include "labctl/run_id.hpp"
#include "labctl/tags.hpp"

namespace labctl::cli {

// CLI11 prefixes a validator's message with the option's name, so the core checks name nothing.
CLI::Validator run_id_check() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const auto checked = check_run_id(value, "");
        return checked ? std::string() : checked.error().message;
      },
      "RUN_ID");
}

CLI::Validator stored_text_check() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const auto checked = check_tag_value(value, "");
        return checked ? std::string() : checked.error().message;
      },
      "TEXT");
}

}  // namespace labctl::cli
