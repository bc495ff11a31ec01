#include "evidence/inputs.hpp"

#include <optional>

#include "core/strcat.hpp"
#include "core/atomic_file.hpp"
#include "core/json_io.hpp"
#include "core/text.hpp"

using nlohmann::json;

namespace labctl::evidence {
namespace {

bool array_of_objects(const json& value) {
  if (!value.is_array()) return false;
  for (const json& item : value) {
    if (!item.is_object()) return false;
  }
  return true;
}

// Returns the shape problem, if any.
std::optional<std::string> shape_problem(const json& value, InputKind kind) {
  if (!value.is_object()) return "expected a JSON object";
  switch (kind) {
    case InputKind::matrix:
      if (value.contains("flows") && !array_of_objects(value["flows"])) {
        return "\"flows\" must be an array of objects";
      }
      if (value.contains("summary") && !value["summary"].is_object()) {
        return "\"summary\" must be an object";
      }
      return std::nullopt;
    case InputKind::timing:
      if (value.contains("events") && !array_of_objects(value["events"])) {
        return "\"events\" must be an array of objects";
      }
      return std::nullopt;
    case InputKind::provider_state:
    case InputKind::protocol:
    case InputKind::l2_loop:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Expected<InputDocument> load_input(const std::filesystem::path& path, InputKind kind,
                                   const std::string& flag) {
  auto content = read_file(path);
  if (!content) {
    return fail(ExitCode::usage, cat("evidence collect: ", flag, ": ", content.error().message));
  }
  // Bounded in size and depth before the parser runs (100,000 nested "[" is refused in one
  // linear scan); numbers beyond a double (1e400) and bad UTF-8 are errors too.
  auto parsed = json_io::parse(
      *content, cat("evidence collect: ", flag, " ", text::printable(path.string(), 256)));
  if (!parsed) {
    return fail(ExitCode::usage,
                cat(parsed.error().message, "; pass the file the probe wrote, unedited"));
  }
  json value = std::move(*parsed);
  if (auto problem = shape_problem(value, kind)) {
    return fail(ExitCode::usage, cat("evidence collect: ", flag, " ",
                                     text::printable(path.string(), 256), ": ", *problem));
  }
  return InputDocument{
      .value = std::move(value), .text = std::move(*content), .origin = text::to_utf8(path.string())};
}

Expected<InputDocument> input_from_json(json value, InputKind kind, std::string origin) {
  if (auto problem = shape_problem(value, kind)) {
    return fail(ExitCode::usage, cat("evidence collect: ", origin, ": ", *problem));
  }
  std::string text = json_io::dump(value, 2) + "\n";
  return InputDocument{
      .value = std::move(value), .text = std::move(text), .origin = std::move(origin)};
}

}  // namespace labctl::evidence
