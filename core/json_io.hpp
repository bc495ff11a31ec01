#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

// The one way labctl reads a JSON document from outside and writes JSON out.
namespace labctl::json_io {

// Documented input limits (README, "Limits"). Inputs beyond them are refused with exit 2.
inline constexpr std::size_t k_max_document_bytes = std::size_t{16} << 20U;  // 16 MiB
inline constexpr std::size_t k_max_depth = 64;                               // nested [ / {

struct Limits {
  std::size_t max_bytes = k_max_document_bytes;
  std::size_t max_depth = k_max_depth;
};

// Parses `text` as one JSON document after checking its size and nesting depth (a linear scan,
// so a hostile document costs O(n) before the parser sees it). Malformed JSON, ill-formed
// UTF-8, numbers outside a double's range (1e400) and trailing bytes are errors. `what` names
// the input ("action import plan.json"); the error is ExitCode::usage and says where.
[[nodiscard]] Expected<nlohmann::json> parse(std::string_view text, std::string_view what,
                                             Limits limits = {});

// Serialises with invalid UTF-8 replaced by U+FFFD instead of throwing: every JSON labctl
// writes (stdout, logs, state, evidence) goes through here, so no outside byte can abort a
// command half-way.
[[nodiscard]] std::string dump(const nlohmann::json& value, int indent = -1);
[[nodiscard]] std::string dump(const nlohmann::ordered_json& value, int indent = -1);

}  // namespace labctl::json_io
