#include "evidence/bundle.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include <openssl/evp.h>

#include "evidence/render.hpp"
#include "evidence/text.hpp"
#include "labctl/atomic_file.hpp"
#include "labctl/build_info.hpp"
#include "labctl/log.hpp"

namespace fs = std::filesystem;

namespace labctl::evidence {
namespace {

Expected<void> ensure_directory(const fs::path& dir) {
  std::error_code ec;
  const bool created = fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return fail(ExitCode::usage,
                cat("evidence collect: --out ", dir.string(), ": cannot create the directory (",
                    ec ? ec.message() : "not a directory", "); pass a writable path"));
  }
  if (created) fs::permissions(dir, fs::perms(0755), fs::perm_options::replace, ec);
  return {};
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += hex_byte(digest[i]);
  return out;
}

void remove_stale_result(const fs::path& out_dir) {
  for (const char* name : {"result.json", "MANIFEST.sha256"}) {
    std::error_code ec;
    if (fs::remove(out_dir / name, ec)) {
      log::warn("evidence", cat("evidence: removed stale ", name, " from ", out_dir.string()));
    }
  }
}

Expected<fs::path> write_bundle(const fs::path& out_dir, const BundleContents& contents) {
  if (auto ok = ensure_directory(out_dir); !ok) return std::unexpected(ok.error());

  // (name, content) in write order; result.json after the views, the manifest last.
  std::vector<std::pair<std::string, std::string>> files;
  const std::pair<const char*, const std::optional<InputDocument>*> copies[] = {
      {"connectivity-matrix.json", &contents.inputs.matrix},
      {"cloud-ingress-matrix.json", &contents.inputs.cloud_ingress},
      {"failover-timing.json", &contents.inputs.timing},
      {"protocol-probe.json", &contents.inputs.protocol},
      {"l2-loop-probe.json", &contents.inputs.l2_loop},
      {"provider-state.json", &contents.inputs.provider_state},
      {"preflight.json", &contents.preflight},
  };
  for (const auto& [name, input] : copies) {
    if (*input) files.emplace_back(name, (*input)->text);
  }
  const BundleView view{contents.result, contents.fail_reasons, contents.inputs, contents.timeline,
                        contents.preflight};
  files.emplace_back("timeline.json", contents.timeline.dump(2) + "\n");
  files.emplace_back("summary.md", render_summary(view));
  files.emplace_back("report.html", render_html(view));
  files.emplace_back("result.json", contents.result.dump(2) + "\n");

  std::string manifest =
      cat("# labctl evidence bundle: check with `sha256sum -c MANIFEST.sha256`\n# labctl-version: ",
          labctl::build_info::k_version, "\n# labctl-commit: ", labctl::build_info::k_commit, "\n");
  for (const auto& [name, content] : files) {
    if (auto ok = write_file_atomic(out_dir / name, content, 0644); !ok)
      return std::unexpected(ok.error());
    manifest += cat(sha256_hex(content), "  ", name, "\n");
  }
  if (auto ok = write_file_atomic(out_dir / "MANIFEST.sha256", manifest, 0644); !ok) {
    return std::unexpected(ok.error());
  }
  for (const std::string& name : k_bundle_files) {
    const bool written =
        name == "MANIFEST.sha256" ||
        std::ranges::any_of(files, [&](const auto& file) { return file.first == name; });
    std::error_code ec;
    if (!written && fs::remove(out_dir / name, ec)) {
      log::info("evidence", cat("evidence: removed ", name, " of an earlier collect"));
    }
  }
  return out_dir / "result.json";
}

}  // namespace labctl::evidence
