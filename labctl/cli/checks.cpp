#include "labctl/cli/checks.hpp"

#include "core/run_id.hpp"
#include "core/tags.hpp"

namespace labctl::cli {
namespace {

// A CLI11 validator from a core check `Expected<void> check(value, what)`. CLI11 prefixes the
// message with the option's name, so the core check is asked to name nothing.
template <class Check>
CLI::Validator validator_of(Check check, const char* description) {
  return CLI::Validator(
      [check](std::string& value) -> std::string {
        const auto checked = check(value, "");
        return checked ? std::string() : checked.error().message;
      },
      description);
}

}  // namespace

CLI::Validator run_id_check() {
  return validator_of([](const std::string& v, const char* what) { return check_run_id(v, what); },
                      "RUN_ID");
}

CLI::Validator stored_text_check() {
  return validator_of(
      [](const std::string& v, const char* what) { return check_tag_value(v, what); }, "TEXT");
}

}  // namespace labctl::cli
