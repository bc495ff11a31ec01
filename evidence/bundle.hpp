#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "evidence/model.hpp"
#include "core/error.hpp"

namespace labctl::evidence {

struct BundleContents {
  nlohmann::json result;                  // result.json, already validated
  std::vector<std::string> fail_reasons;  // for the human views
  Inputs inputs;                          // copied verbatim
  nlohmann::json timeline;                // timeline.json: {"runId", "events"}
  // preflight.json: the read-only preflight `labctl preflight` stored for the run (run meta
  // "preflight"), copied as given; absent when the run has none.
  std::optional<InputDocument> preflight;
};

// Every file name a bundle can hold; MANIFEST.sha256 lists all the others that were written.
inline const std::vector<std::string> k_bundle_files{"result.json",
                                                     "summary.md",
                                                     "report.html",
                                                     "timeline.json",
                                                     "connectivity-matrix.json",
                                                     "connectivity-matrix-before.json",
                                                     "cloud-ingress-matrix.json",
                                                     "failover-timing.json",
                                                     "protocol-probe.json",
                                                     "l2-loop-probe.json",
                                                     "provider-state.json",
                                                     "preflight.json",
                                                     "MANIFEST.sha256"};

// The input copies a bundle holds, (file name, document), in write order; a document may be
// absent (not given), and then its file is not written.
[[nodiscard]] std::vector<std::pair<std::string, const std::optional<InputDocument>*>> input_copies(
    const Inputs& inputs, const std::optional<InputDocument>& preflight);

// Writes the bundle into `out_dir`, every file atomically, and
// MANIFEST.sha256 last: `HEX  name` lines (sha256sum -c compatible) under `#` header lines
// naming labctl's version and commit. Bundle files of an earlier collect that this bundle does
// not rewrite (an input not given this time) are removed, so the directory never mixes runs.
// `out_dir` is created 0755 when missing (with missing parents); an existing directory is used
// only when it is empty or holds an earlier labctl bundle (its MANIFEST.sha256): anything else,
// a symlink or a non-directory is refused (ExitCode::refused) and left untouched.
// Returns the path of result.json.
[[nodiscard]] Expected<std::filesystem::path> write_bundle(const std::filesystem::path& out_dir,
                                                           const BundleContents& contents);

// Removes a result.json and MANIFEST.sha256 left in `out_dir` by an earlier collect, so a
// failed collect leaves nothing that claims a result. Does nothing unless `out_dir` holds a
// labctl bundle.
void remove_stale_result(const std::filesystem::path& out_dir);

// Lower-case hex SHA-256 (OpenSSL EVP).
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace labctl::evidence
