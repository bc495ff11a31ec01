#include "tests/integration/aws_client/fake_server.hpp"

#include <fstream>

namespace labctl::testing {

std::unique_ptr<FakeServer> FakeServer::start(std::vector<std::string> argv,
                                              const std::filesystem::path& work_dir,
                                              std::string& why) {
  const std::filesystem::path port_file = work_dir / "fake.port";
  std::filesystem::remove(port_file);
  argv.insert(argv.end(), {"--port", "0", "--port-file", port_file.string()});
  auto process = std::make_unique<Spawned>(argv, std::map<std::string, std::string>{}, work_dir);
  int port = 0;
  const bool listening = eventually(
      [&] {
        std::ifstream in(port_file);
        return static_cast<bool>(in >> port) && port > 0;
      },
      std::chrono::seconds(10));
  if (!listening) {
    why = argv.at(1) + " wrote no port within 10 s; its stderr: " + process->err();
    return nullptr;
  }
  return std::unique_ptr<FakeServer>(new FakeServer(std::move(process), port));
}

std::filesystem::path source_dir() { return LABCTL_SOURCE_DIR; }

}  // namespace labctl::testing
