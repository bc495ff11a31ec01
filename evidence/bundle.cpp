#include "evidence/bundle.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <system_error>
#include <utility>

#include <openssl/evp.h>

#include "evidence/render.hpp"
#include "core/strcat.hpp"
#include "core/atomic_file.hpp"
#include "core/build_info.hpp"
#include "core/json_io.hpp"
#include "core/log.hpp"

namespace fs = std::filesystem;

namespace labctl::evidence {
namespace {

constexpr std::string_view k_manifest_header = "# labctl evidence bundle";

// True when `dir` holds a bundle an earlier collect wrote: a regular MANIFEST.sha256 that starts
// with labctl's header, or (a collect that stopped before its manifest) nothing but regular files
// named as bundle files.
bool holds_labctl_bundle(const fs::path& dir) {
  std::error_code ec;
  if (fs::symlink_status(dir / "MANIFEST.sha256", ec).type() == fs::file_type::regular) {
    const auto manifest = read_file(dir / "MANIFEST.sha256", std::size_t{64} << 10U);
    if (manifest && manifest->starts_with(k_manifest_header)) return true;
  }
  bool any = false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec) ||
        std::ranges::find(k_bundle_files, name) == k_bundle_files.end()) {
      return false;
    }
    any = true;
  }
  return any && !ec;
}

std::string refusal(const fs::path& dir, std::string_view why) {
  return cat("evidence collect: refusing --out ", dir.string(), ": ", why,
             " (pass a new or empty directory, or one holding an earlier labctl bundle)");
}

// The bundle directory. A missing one is created 0755 (with its missing parents), an empty one
// or one holding an earlier bundle is used; anything else is refused (ExitCode::refused) and
// left untouched, so --out can never scatter files into /etc or a home directory, replace a
// device or write through a symlink.
Expected<void> prepare_directory(const fs::path& dir) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(dir, ec);
  if (status.type() == fs::file_type::not_found) {
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (ec || ::mkdir(dir.c_str(), 0755) != 0) {
      return fail(ExitCode::usage,
                  cat("evidence collect: --out ", dir.string(), ": cannot create the directory (",
                      ec ? ec.message() : std::string(std::strerror(errno)),
                      "); pass a writable path"));
    }
    fs::permissions(dir, fs::perms(0755), fs::perm_options::replace, ec);  // whatever the umask
    return {};
  }
  if (ec) return fail(ExitCode::usage, cat("evidence collect: --out ", dir.string(), ": ", ec.message()));
  if (status.type() == fs::file_type::symlink) {
    return fail(ExitCode::refused, refusal(dir, "it is a symbolic link"));
  }
  if (status.type() != fs::file_type::directory) {
    return fail(ExitCode::refused, refusal(dir, "it exists and is not a directory"));
  }
  if (fs::is_empty(dir, ec) && !ec) return {};
  if (holds_labctl_bundle(dir)) {
    // Checked before the first write, so a planted link or FIFO cannot leave half a bundle.
    for (const std::string& name : k_bundle_files) {
      const auto type = fs::symlink_status(dir / name, ec).type();
      if (type != fs::file_type::not_found && type != fs::file_type::regular) {
        return fail(ExitCode::refused,
                    refusal(dir, cat(name, " in it is not a regular file (a link, a FIFO, a "
                                           "directory); labctl replaces only regular files")));
      }
    }
    return {};
  }
  return fail(ExitCode::refused,
              refusal(dir, "the directory is not empty and holds no labctl bundle "
                           "(no MANIFEST.sha256 of labctl)"));
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
  std::error_code ec;
  if (fs::symlink_status(out_dir, ec).type() != fs::file_type::directory ||
      !holds_labctl_bundle(out_dir)) {
    return;  // not a bundle of ours: nothing in it is ours to remove
  }
  for (const char* name : {"result.json", "MANIFEST.sha256"}) {
    if (fs::remove(out_dir / name, ec)) {
      log::warn("evidence", cat("evidence: removed stale ", name, " from ", out_dir.string()));
    }
  }
}

std::vector<std::pair<std::string, const std::optional<InputDocument>*>> input_copies(
    const Inputs& inputs, const std::optional<InputDocument>& preflight) {
  return {{"connectivity-matrix-before.json", &inputs.matrix_before},
          {"connectivity-matrix.json", &inputs.matrix},
          {"cloud-ingress-matrix.json", &inputs.cloud_ingress},
          {"failover-timing.json", &inputs.timing},
          {"protocol-probe.json", &inputs.protocol},
          {"l2-loop-probe.json", &inputs.l2_loop},
          {"provider-state.json", &inputs.provider_state},
          {"preflight.json", &preflight}};
}

Expected<fs::path> write_bundle(const fs::path& out_dir, const BundleContents& contents) {
  if (auto ok = prepare_directory(out_dir); !ok) return std::unexpected(ok.error());

  // (name, content) in write order; result.json after the views, the manifest last.
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& [name, input] : input_copies(contents.inputs, contents.preflight)) {
    if (*input) files.emplace_back(name, (*input)->text);
  }
  const BundleView view{contents.result, contents.fail_reasons, contents.inputs, contents.timeline,
                        contents.preflight};
  files.emplace_back("timeline.json", json_io::dump(contents.timeline, 2) + "\n");
  files.emplace_back("summary.md", render_summary(view));
  files.emplace_back("report.html", render_html(view));
  files.emplace_back("result.json", json_io::dump(contents.result, 2) + "\n");

  std::string manifest =
      cat(k_manifest_header, ": check with `sha256sum -c MANIFEST.sha256`\n# labctl-version: ",
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
