#include "core/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <cstdint>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace labctl {

namespace {

// What a non-regular file is, for the refusal message.
const char* file_kind(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Expected<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                                 mode_t mode) {
  // rename() would replace whatever is at `path`: a device node, a FIFO, or a symlink (not its
  // target, but the link someone placed there on purpose). Only a regular file is replaced.
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    return fail(ExitCode::refused, "refusing to write " + path.string() + ": it is " +
                                       file_kind(existing.st_mode) +
                                       "; labctl only replaces regular files (choose another "
                                       "path)");
  }
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

Expected<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it anyway.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return fail(ExitCode::usage, "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return fail(ExitCode::usage, "cannot read " + path.string() +
                                     ": not a regular file (give a file, not a device, FIFO "
                                     "or directory)");
  }
  if (static_cast<std::uintmax_t>(info.st_size) > max_bytes) {
    ::close(fd);
    return fail(ExitCode::usage, "cannot read " + path.string() + ": " +
                                     std::to_string(info.st_size) + " bytes, more than the limit of " +
                                     std::to_string(max_bytes));
  }
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return fail(ExitCode::usage, "cannot read " + path.string() + ": " + std::strerror(saved));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {  // the file grew while being read
      ::close(fd);
      return fail(ExitCode::usage, "cannot read " + path.string() + ": more than the limit of " +
                                       std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

Expected<std::string> read_stream(std::istream& in, std::string_view what, std::size_t max_bytes) {
  std::string out;
  char buffer[65536];
  while (in) {
    in.read(buffer, sizeof buffer);
    out.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      return fail(ExitCode::usage, std::string(what) + ": more than the limit of " +
                                       std::to_string(max_bytes) + " bytes");
    }
  }
  if (in.bad()) return fail(ExitCode::usage, std::string(what) + ": read error");
  return out;
}

}  // namespace labctl
