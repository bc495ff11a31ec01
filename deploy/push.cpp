#include <fcntl.h>
#include <array>
#include <chrono>
#include <fstream>
#include <thread>

#include <libssh/sftp.h>

#include "deploy/deploy.hpp"
#include "core/text.hpp"
#include "ssh/host.hpp"

namespace labctl::deploy {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct SftpDeleter {
  void operator()(sftp_session sftp) const { sftp_free(sftp); }
};
using SftpPtr = std::unique_ptr<sftp_session_struct, SftpDeleter>;

// Where a step failed: the message for the node's row.
struct StepError {
  std::string step;
  std::string message;
  std::string output_tail;
};

std::string sftp_error(ssh_session session, sftp_session sftp, const std::string& what) {
  return what + ": " + text::printable(ssh_get_error(session)) + " (sftp status " +
         std::to_string(sftp_get_error(sftp)) + ")";
}

// Copies `local` to `remote` over SFTP with the local file's permission bits.
std::expected<void, std::string> sftp_upload(ssh_session session,
                                             const std::filesystem::path& local,
                                             const std::string& remote) {
  std::ifstream in(local, std::ios::binary);
  if (!in) return std::unexpected("cannot read the artifact " + local.string());
  SftpPtr sftp(sftp_new(session));
  if (!sftp || sftp_init(sftp.get()) != SSH_OK) {
    return std::unexpected(std::string("cannot start SFTP (is the sftp subsystem enabled?): ") +
                           text::printable(ssh_get_error(session)));
  }
  std::error_code ec;
  const auto perms = static_cast<mode_t>(std::filesystem::status(local, ec).permissions() &
                                         std::filesystem::perms::mask);
  sftp_file file = sftp_open(sftp.get(), remote.c_str(), O_WRONLY | O_CREAT | O_TRUNC, perms);
  if (file == nullptr)
    return std::unexpected(sftp_error(session, sftp.get(), "cannot create " + remote));
  std::array<char, 32768> buffer{};
  bool ok = true;
  while (ok && in) {
    in.read(buffer.data(), buffer.size());
    const auto n = static_cast<std::size_t>(in.gcount());
    for (std::size_t done = 0; ok && done < n;) {
      const ssize_t written = sftp_write(file, buffer.data() + done, n - done);
      ok = written > 0;
      if (ok) done += static_cast<std::size_t>(written);
    }
  }
  const std::string failure = ok ? "" : sftp_error(session, sftp.get(), "writing " + remote);
  if (sftp_close(file) != SSH_OK && ok) {
    return std::unexpected(sftp_error(session, sftp.get(), "closing " + remote));
  }
  if (!ok) return std::unexpected(failure);
  return {};
}

// Runs one remote command; a non-zero exit is a failure of `step` with the output's tail.
std::expected<void, StepError> run_step(ssh_session session, const std::string& step,
                                        const std::string& command, long timeout_s) {
  auto result = ssh::exec_blocking(session, command, std::chrono::seconds(timeout_s));
  if (!result) return std::unexpected(StepError{step, result.error().message, ""});
  if (result->exit_status != 0) {
    return std::unexpected(
        StepError{step, step + " command exited with " + std::to_string(result->exit_status),
                  printable_tail(result->out + result->err, 5)});
  }
  return {};
}

std::expected<std::string, StepError> push_steps(ssh_session session, const Target& target,
                                                 const Request& request) {
  const std::string dir = request.settings.remote_path;
  const std::string final_file = remote_file(request);
  // A per-node temporary name, renamed into place: nodes that share a filesystem (namespaces
  // on one host) never read a half-written artifact.
  const std::string part =
      dir + "/." + request.artifact.filename().string() + "." + target.name + ".part";
  const long timeout = request.command_timeout_s;
  if (auto ok = run_step(session, "upload", "mkdir -p " + shell_quote(dir), timeout); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = sftp_upload(session, request.artifact, part); !ok) {
    return std::unexpected(StepError{"upload", ok.error(), ""});
  }
  if (auto ok = run_step(session, "upload",
                         "mv -f " + shell_quote(part) + " " + shell_quote(final_file), timeout);
      !ok) {
    return std::unexpected(ok.error());
  }
  for (const auto& [step, command] :
       {std::pair{std::string("install"), request.settings.install_command},
        std::pair{std::string("restart"), request.settings.restart_command}}) {
    if (command.empty()) continue;
    if (auto ok = run_step(session, step, remote_command(request, target, command), timeout); !ok) {
      return std::unexpected(ok.error());
    }
  }
  return "done";
}

NodeResult push_one(const Target& target, const Request& request) {
  const auto start = SteadyClock::now();
  NodeResult result;
  result.node = target.name;
  result.site = target.site;
  result.endpoint = ssh::describe(target.ssh);
  std::unique_ptr<ssh::SessionHost> jump;
  ssh::SshExpected<ssh::Connected> connected = std::unexpected(ssh::SshError{});
  if (target.jump) {
    // The jump session pumps the tunnel, so it must outlive the node's session.
    jump = std::make_unique<ssh::SessionHost>(*target.jump, nullptr, request.ssh, 1);
    auto fd = jump->open_tunnel(target.ssh.host, target.ssh.port).get();
    connected = fd ? ssh::connect_session(target.ssh, *fd, request.ssh)
                   : std::unexpected(ssh::SshError{
                         fd.error().kind, "via jump host " + ssh::describe(*target.jump) + ": " +
                                              fd.error().message});
  } else {
    connected = ssh::connect_session(target.ssh, -1, request.ssh);
  }
  if (!connected) {
    result.step = "connect";
    result.error = connected.error().message;
  } else {
    result.hostkey_sha256 = connected->hostkey_sha256;
    auto done = push_steps(connected->session.get(), target, request);
    result.ok = done.has_value();
    result.step = done ? *done : done.error().step;
    if (!done) {
      result.error = done.error().message;
      result.output_tail = done.error().output_tail;
    }
    connected->session.reset();
  }
  // The error quotes the peer (libssh's text, the remote command's status line).
  result.error = text::printable(result.error, ssh::k_max_error_bytes);
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return result;
}

}  // namespace

std::vector<NodeResult> push_all(const Request& request,
                                 const std::function<void(const NodeResult&)>& on_node) {
  ssh::ensure_libssh_initialized();
  std::vector<NodeResult> results(request.targets.size());
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 0; i < request.targets.size(); ++i) {
      workers.emplace_back([&, i] {
        results[i] = push_one(request.targets[i], request);
        if (on_node) on_node(results[i]);
      });
    }
  }
  return results;
}

}  // namespace labctl::deploy
