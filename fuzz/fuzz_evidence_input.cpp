// Evidence inputs (evidence/inputs.hpp) through everything `evidence collect` does with them:
// the file is read and checked by load_input (the real path: a file under a private temp dir),
// then assembled into result.json (evidence/assemble.hpp), validated against the schema and
// rendered into summary.md and report.html. The first input byte picks the kind (matrix,
// cloud-ingress matrix, provider state, timing, protocol, L2 loop); the rest is the file.
// Properties: nothing throws or crashes; a refused input is a usage error naming the flag; what
// is written (result.json, summary.md, report.html) is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "evidence/assemble.hpp"
#include "evidence/inputs.hpp"
#include "evidence/render.hpp"
#include "evidence/validate.hpp"
#include "fuzz/fuzz_check.hpp"
#include "core/json_io.hpp"
#include "core/text.hpp"

namespace {

namespace evidence = labctl::evidence;
using labctl::fuzz::check;

// A private directory for the input file, made once per process and removed at exit.
const std::filesystem::path& input_path() {
  static const std::filesystem::path path = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "labctl-fuzz-XXXXXX").string();
    check(::mkdtemp(dir.data()) != nullptr, "mkdtemp works");
    static const std::filesystem::path made = dir;
    std::atexit([] { std::filesystem::remove_all(made); });
    return made / "input.json";
  }();
  return path;
}

struct Slot {
  evidence::InputKind kind;
  const char* flag;
  std::optional<evidence::InputDocument> evidence::Inputs::*member;
};

constexpr Slot k_slots[] = {
    {evidence::InputKind::matrix, "--matrix-json", &evidence::Inputs::matrix},
    {evidence::InputKind::matrix, "--cloud-ingress-matrix-json", &evidence::Inputs::cloud_ingress},
    {evidence::InputKind::provider_state, "--provider-state-json",
     &evidence::Inputs::provider_state},
    {evidence::InputKind::timing, "--timing-json", &evidence::Inputs::timing},
    {evidence::InputKind::protocol, "--protocol-json", &evidence::Inputs::protocol},
    {evidence::InputKind::l2_loop, "--l2-loop-json", &evidence::Inputs::l2_loop},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Slot& slot = k_slots[data[0] % std::size(k_slots)];
  {
    std::ofstream out(input_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  auto input = evidence::load_input(input_path(), slot.kind, slot.flag);
  if (!input) {
    check(input.error().code == labctl::ExitCode::usage, "a bad input is a usage error");
    check(input.error().message.find(slot.flag) != std::string::npos, "the error names the flag");
    return 0;
  }

  evidence::AssemblyRequest request;
  request.run_id = "20261124T091500Z-cloudedge-fuzz";
  request.scenario = "fuzz";
  request.commit = "0123456789abcdef";
  request.inputs.*slot.member = std::move(*input);
  const auto assembly = evidence::assemble(request);
  if (!assembly) return 0;

  const std::string result_json = labctl::json_io::dump(assembly->document, 2);
  check(labctl::text::is_valid_utf8(result_json), "result.json is valid UTF-8");
  (void)evidence::validate_result(assembly->document);

  const nlohmann::json timeline = {{"runId", request.run_id}, {"events", nlohmann::json::array()}};
  const std::optional<evidence::InputDocument> no_preflight;
  const evidence::BundleView view{assembly->document, assembly->fail_reasons, request.inputs,
                                  timeline, no_preflight};
  check(labctl::text::is_valid_utf8(evidence::render_summary(view)), "summary.md is valid UTF-8");
  check(labctl::text::is_valid_utf8(evidence::render_html(view)), "report.html is valid UTF-8");
  return 0;
}
