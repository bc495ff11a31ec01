#include "providers/plan_printer.hpp"

#include "core/json_io.hpp"
#include "core/log.hpp"

namespace labctl::providers {
namespace {

std::string render_params(const nlohmann::ordered_json& params) {
  std::string out;
  for (const auto& [key, value] : params.items()) {
    if (!out.empty()) out += ' ';
    out += key + "=" + (value.is_string() ? value.get<std::string>() : json_io::dump(value));
  }
  return out;
}

}  // namespace

void print_plan(const Plan& plan, bool dry) {
  log::info("plan", "plan " + plan.provider + ": " + std::to_string(plan.operations.size()) +
                        " operation(s)",
            {{"provider", plan.provider}, {"operations", plan.operations.size()}});
  for (const auto& note : plan.notes) {
    log::info("plan.note", plan.provider + ": " + note, {{"provider", plan.provider}});
  }
  std::size_t index = 0;
  for (const auto& op : plan.operations) {
    ++index;
    const std::string prefix = dry && op.mutating ? "[dry] would send " : "  ";
    const std::string where = op.region.empty() ? "" : " (" + op.region + ")";
    log::info("plan.operation",
              prefix + plan.provider + " #" + std::to_string(index) + " " + op.action + where +
                  " " + render_params(op.params),
              {{"provider", plan.provider},
               {"index", index},
               {"action", op.action},
               {"mutating", op.mutating},
               {"region", op.region},
               {"params", nlohmann::json(op.params)}});
  }
}

}  // namespace labctl::providers
