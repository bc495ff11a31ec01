#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <string_view>
#include <sys/types.h>

#include "core/error.hpp"

namespace labctl {

// Writes `content` to `path` so that a reader sees either the old file or the whole new one:
// a temporary file in the same directory, fsync, rename. The file gets `mode`. Anything at
// `path` that is not a regular file (a symlink, a device, a FIFO, a directory) is refused with
// ExitCode::refused and left alone; on any failure the temporary file is removed.
[[nodiscard]] Expected<void> write_file_atomic(const std::filesystem::path& path,
                                               std::string_view content, mode_t mode = 0644);

// Input files are bounded: 16 MiB unless the caller says otherwise (README, "Limits").
inline constexpr std::size_t k_max_input_file_bytes = std::size_t{16} << 20U;

// Reads a whole regular file of at most `max_bytes`; the error (exit 2) names the file. A FIFO,
// a device (/dev/zero) or a directory is refused before a byte is read, so an input can neither
// block labctl nor grow its memory without bound.
[[nodiscard]] Expected<std::string> read_file(const std::filesystem::path& path,
                                              std::size_t max_bytes = k_max_input_file_bytes);

// Reads `in` to its end, refusing (exit 2) more than `max_bytes`; `what` names the stream.
[[nodiscard]] Expected<std::string> read_stream(std::istream& in, std::string_view what,
                                                std::size_t max_bytes = k_max_input_file_bytes);

}  // namespace labctl
