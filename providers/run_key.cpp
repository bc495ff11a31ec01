#include "providers/run_key.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "core/atomic_file.hpp"
#include "providers/ssh_key.hpp"

namespace labctl::providers {

Expected<std::string> run_public_key(const RunContext& ctx, const std::string& provider,
                                     const std::string& ssh_user) {
  auto meta = ctx.store.get_meta(ctx.run.run_id, "ssh");
  if (!meta) return std::unexpected(meta.error());
  if (*meta && (*meta)->is_object() && (**meta).contains("key_file") &&
      (**meta)["key_file"].is_string() && !(**meta)["key_file"].get<std::string>().empty()) {
    const std::string file = (**meta)["key_file"].get<std::string>();
    auto text = read_file(file, 64 * 1024);
    if (!text) return std::unexpected(text.error());
    return public_key_of(*text, "the run's SSH key " + file);
  }
  auto pair = generate_ssh_key("labctl-" + ctx.run.run_id);
  if (!pair) return std::unexpected(pair.error());
  const auto run_dir = ctx.store.dir() / "runs" / ctx.run.run_id;
  const auto dir = run_dir / provider;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(run_dir.c_str(), 0700);
  ::chmod(dir.c_str(), 0700);
  const auto path = dir / ("labctl-" + ctx.run.run_id + ".pem");
  if (auto written = write_file_atomic(path, pair->private_pem, 0600); !written) {
    return std::unexpected(written.error());
  }
  const nlohmann::json key_meta{{"key_file", path.string()}, {"user", ssh_user}};
  if (auto set = ctx.store.set_meta(ctx.run.run_id, "ssh", key_meta); !set) {
    return std::unexpected(set.error());
  }
  return pair->public_openssh;
}

}  // namespace labctl::providers
