#pragma once

namespace labctl::cli {

// Parses the command line, runs one command and returns the process exit code. The single
// place where an escaped ErrorException becomes "labctl: error: ..." and its exit code.
[[nodiscard]] int run(int argc, char** argv);

}  // namespace labctl::cli
