#include "labctl/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace labctl {

Expected<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                                 mode_t mode) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    return fail(ExitCode::usage, "cannot write " + path.string() + ": " + std::strerror(errno) +
                                     " (check that the directory exists and is writable)");
  }
  const auto cleanup_fail = [&](const char* what) -> Expected<void> {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return fail(ExitCode::usage,
                std::string("cannot write ") + path.string() + ": " + what + ": " +
                    std::strerror(saved));
  };
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cleanup_fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return cleanup_fail("chmod");
  if (::fsync(fd) != 0) return cleanup_fail("fsync");
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    return fail(ExitCode::usage, "cannot write " + path.string() + ": close failed");
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmpl.c_str());
    return fail(ExitCode::usage,
                "cannot write " + path.string() + ": rename: " + std::strerror(saved));
  }
  return {};
}

Expected<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ExitCode::usage, "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace labctl
