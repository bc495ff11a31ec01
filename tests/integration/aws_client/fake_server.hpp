#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/spawn.hpp"

namespace labctl::testing {

// A loopback fake server process started by a test (one of the Python fakes under
// tests/fakes/), given `--port 0 --port-file F`; it must write its port to F. Stopped by PID
// when destroyed (Spawned's destructor).
class FakeServer {
 public:
  // nullptr (with `why` filled) when it exited or wrote no port within 10 s.
  static std::unique_ptr<FakeServer> start(std::vector<std::string> argv,
                                           const std::filesystem::path& work_dir, std::string& why);

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  FakeServer(std::unique_ptr<Spawned> process, int port)
      : m_process(std::move(process)), m_port(port) {}
  std::unique_ptr<Spawned> m_process;
  int m_port;
};

// The repository root, for locating the fakes' scripts.
[[nodiscard]] std::filesystem::path source_dir();

}  // namespace labctl::testing
