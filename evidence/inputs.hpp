#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "evidence/model.hpp"
#include "core/error.hpp"

namespace labctl::evidence {

// What an input is, for the shape checks below.
enum class InputKind { matrix, provider_state, timing, protocol, l2_loop };

// Reads and parses one input file given by `flag`. A missing file, bad JSON, or a document of
// the wrong shape (not an object; a matrix whose "flows" is not an array of objects or whose
// "summary" is not an object; a timing file whose "events" is not an array of objects) is a
// usage error naming the flag, the file and the problem. Inner fields are judged later.
[[nodiscard]] Expected<InputDocument> load_input(const std::filesystem::path& path, InputKind kind,
                                                 const std::string& flag);

// The same checks for a document taken from the state store; `origin` names it in errors and
// the bundle copy is its pretty-printed text.
[[nodiscard]] Expected<InputDocument> input_from_json(nlohmann::json value, InputKind kind,
                                                      std::string origin);

}  // namespace labctl::evidence
