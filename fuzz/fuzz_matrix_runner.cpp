// MATRIX_RUNNER output through the real matrix path (matrix/external_runner.hpp, smoke.hpp
// run_matrix): a fake process seam answers the runner's `ping` and `ssh` ops from the input
// "<site spec>\0<ssh stdout>\0<ssh stderr>\0<ping stderr>" (an op exits 1 when its stderr is
// non-empty). The site spec goes through parse_sites (CE_MATRIX_SITES / --sites); when it is
// refused or has more than 4 sites, two fixed sites stand in. Properties: no crash; the matrix
// JSON is valid UTF-8 and parses back; no field taken from the runner's output carries a control
// character (nothing the runner prints can forge a log line or a terminal escape). Flow lines and
// the truth table are only logged, and the logger makes them printable.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "core/json_io.hpp"
#include "core/process.hpp"
#include "core/text.hpp"
#include "matrix/external_runner.hpp"
#include "matrix/site.hpp"
#include "matrix/smoke.hpp"

namespace {

namespace matrix = labctl::matrix;
using labctl::fuzz::check;

class ScriptedRunner final : public labctl::ProcessRunner {
 public:
  ScriptedRunner(std::string ssh_out, std::string ssh_err, std::string ping_err)
      : m_ssh_out(std::move(ssh_out)),
        m_ssh_err(std::move(ssh_err)),
        m_ping_err(std::move(ping_err)) {}

  labctl::Expected<labctl::ProcessResult> run(const labctl::ProcessRequest& request) override {
    labctl::ProcessResult result;
    if (request.argv.size() > 1 && request.argv[1] == "ssh") {
      result.out = m_ssh_out;
      result.err = m_ssh_err;
    } else {
      result.err = m_ping_err;
    }
    result.exit_code = result.err.empty() ? 0 : 1;
    return result;
  }

 private:
  std::string m_ssh_out, m_ssh_err, m_ping_err;
};

// The flow fields whose text comes from the runner (not from the site list).
constexpr const char* k_runner_fields[] = {
    "peerIp",           "defaultGw",        "srcHostname",      "dstHostname", "srcHostKeySHA256",
    "dstHostKeySHA256", "srcIdentityError", "dstIdentityError", "pathSrcIp",   "error"};

bool has_control(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields = labctl::fuzz::split_fields<4>(labctl::fuzz::as_text(data, size));
  matrix::MatrixPlan plan;
  if (auto sites = matrix::parse_sites(std::string(fields.parts[0])); sites && sites->size() <= 4) {
    plan.sites = std::move(*sites);
  } else {
    plan.sites = *matrix::parse_sites("onprem=10.77.60.10,aws=10.77.61.10");
  }
  plan.runner = "matrix-runner";
  plan.parallelism = 1;
  auto processes = std::make_shared<ScriptedRunner>(
      std::string(fields.parts[1]), std::string(fields.parts[2]), std::string(fields.parts[3]));
  matrix::ExternalRunner runner(plan.runner, processes);

  const matrix::MatrixOutcome outcome = matrix::run_matrix(plan, runner);
  const std::string line = labctl::json_io::dump(outcome.json);
  check(labctl::text::is_valid_utf8(line), "the matrix JSON is valid UTF-8");
  const auto parsed = labctl::json_io::parse(line, "matrix JSON");
  check(parsed.has_value(), "the matrix JSON parses back");
  for (const auto& flow : parsed->at("flows")) {
    for (const char* field : k_runner_fields) {
      const auto value = flow.find(field);
      if (value == flow.end() || !value->is_string()) continue;
      check(!has_control(value->get<std::string>()), "runner text carries no control character");
    }
  }
  return 0;
}
