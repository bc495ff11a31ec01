#pragma once

#include <filesystem>
#include <string_view>
#include <sys/types.h>

#include "labctl/error.hpp"

namespace labctl {

// Writes `content` to `path` so that a reader sees either the old file or the whole new one:
// a temporary file in the same directory, fsync, rename. The file gets `mode`.
[[nodiscard]] Expected<void> write_file_atomic(const std::filesystem::path& path,
                                               std::string_view content, mode_t mode = 0644);

// Reads a whole file; the error names the file.
[[nodiscard]] Expected<std::string> read_file(const std::filesystem::path& path);

}  // namespace labctl
