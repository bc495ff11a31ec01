#include "core/process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace labctl {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

class SystemProcessRunner final : public ProcessRunner {
 public:
  Expected<ProcessResult> run(const ProcessRequest& request) override {
    if (request.argv.empty()) return fail(ExitCode::usage, "process: empty command line");
    std::array<int, 2> in_pipe{-1, -1}, out_pipe{-1, -1}, err_pipe{-1, -1};
    if (::pipe2(in_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(out_pipe.data(), O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
      return fail(ExitCode::provider, std::string("process: pipe: ") + std::strerror(errno));
    }
    std::vector<char*> argv;
    for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) {
      return fail(ExitCode::provider, std::string("process: fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      if (request.stdin_data) {
        ::dup2(in_pipe[0], 0);
      } else {
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
      }
      ::dup2(out_pipe[1], 1);
      if (!request.inherit_stderr) ::dup2(err_pipe[1], 2);
      if (!request.cwd.empty() && ::chdir(request.cwd.c_str()) != 0) _exit(126);
      for (const auto& entry : request.extra_env) ::putenv(const_cast<char*>(entry.c_str()));
      ::execvp(argv[0], argv.data());
      _exit(127);
    }
    close_fd(in_pipe[0]);
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    if (request.inherit_stderr) close_fd(err_pipe[0]);

    ProcessResult result;
    std::size_t stdin_written = 0;
    if (!request.stdin_data) close_fd(in_pipe[1]);
    // The steady clock directly, not a Clock seam: this is the real runner's wait on a real
    // child (poll() on its pipes); tests replace the whole runner (RecordingProcessRunner).
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    while (out_pipe[0] >= 0 || err_pipe[0] >= 0) {
      std::vector<pollfd> fds;
      if (out_pipe[0] >= 0) fds.push_back({out_pipe[0], POLLIN, 0});
      if (err_pipe[0] >= 0) fds.push_back({err_pipe[0], POLLIN, 0});
      if (in_pipe[1] >= 0) fds.push_back({in_pipe[1], POLLOUT, 0});
      int wait_ms = -1;
      if (request.timeout.count() > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          result.timed_out = true;
          ::kill(-pid, SIGKILL);
          break;
        }
        wait_ms = static_cast<int>(left.count());
      }
      const int ready = ::poll(fds.data(), fds.size(), wait_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (const auto& p : fds) {
        if (p.revents == 0) continue;
        if (p.fd == in_pipe[1]) {
          const std::string& data = *request.stdin_data;
          const ssize_t n = ::write(in_pipe[1], data.data() + stdin_written,
                                    data.size() - stdin_written);
          if (n > 0) stdin_written += static_cast<std::size_t>(n);
          if (n < 0 || stdin_written >= data.size()) close_fd(in_pipe[1]);
          continue;
        }
        char buf[8192];
        const ssize_t n = ::read(p.fd, buf, sizeof buf);
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          if (p.fd == out_pipe[0]) close_fd(out_pipe[0]);
          else close_fd(err_pipe[0]);
          continue;
        }
        (p.fd == out_pipe[0] ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
    close_fd(in_pipe[1]);
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.term_signal = WTERMSIG(status);
    }
    if (result.exit_code == 127 && !result.timed_out && result.out.empty() &&
        result.err.empty()) {
      return fail(ExitCode::provider, "process: cannot run '" + request.argv[0] +
                                          "' (not found in PATH or not executable)");
    }
    return result;
  }
};

}  // namespace

std::shared_ptr<ProcessRunner> system_process_runner() {
  return std::make_shared<SystemProcessRunner>();
}

}  // namespace labctl
