#include "tests/support/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace labctl::testing {
namespace {

std::atomic<int> g_counter{0};

}  // namespace

Spawned::Spawned(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env,
                 const std::filesystem::path& output_dir) {
  const int n = g_counter.fetch_add(1);
  m_out = output_dir / ("spawn-" + std::to_string(getpid()) + "-" + std::to_string(n) + ".out");
  m_err = output_dir / ("spawn-" + std::to_string(getpid()) + "-" + std::to_string(n) + ".err");
  m_pid = fork();
  if (m_pid == 0) {
    const int out = open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const auto& [key, value] : env) {
      if (value == "\x01unset") {
        unsetenv(key.c_str());
      } else {
        setenv(key.c_str(), value.c_str(), 1);
      }
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Spawned::~Spawned() {
  if (m_pid > 0 && !m_reaped) {
    kill(m_pid, SIGKILL);
    waitpid(m_pid, nullptr, 0);
  }
}

void Spawned::signal(int signo) const {
  if (m_pid > 0 && !m_reaped) kill(m_pid, signo);
}

int Spawned::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
      m_reaped = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Spawned::out() const { return read_text(m_out); }

std::string Spawned::err() const { return read_text(m_err); }

CommandOutput run_command(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env,
                          const std::filesystem::path& output_dir) {
  Spawned child(argv, env, output_dir);
  CommandOutput result;
  result.code = child.wait();
  result.out = child.out();
  result.err = child.err();
  return result;
}

}  // namespace labctl::testing
