#include "run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace auction::testing {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

constexpr std::array<std::string_view, 3> kServerVariables = {
    "AUCTION_ADMIN_URL", "AUCTION_ADMIN_TOKEN", "AUCTION_DATA_DIR"};

// Ours, minus the variables that select a server and minus those `env` replaces, plus `env`.
std::vector<std::string> child_environment(const Env& env) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string_view name = text.substr(0, text.find('='));
    const bool selects_server =
        std::find(kServerVariables.begin(), kServerVariables.end(), name) != kServerVariables.end();
    const bool replaced =
        std::any_of(env.begin(), env.end(), [&](const auto& given) { return given.first == name; });
    if (!selects_server && !replaced) entries.emplace_back(text);
  }
  for (const auto& [name, value] : env)
    entries.push_back(name + "=" + value);
  return entries;
}

// A null-terminated char* array over `strings`, as execve wants it.
std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings)
    pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const Env& env) {
  if (argv.empty()) throw std::invalid_argument("run_command: empty argv");
  // Everything the child needs is built before fork: the test process has threads (WebSocket
  // clients), so between fork and exec only async-signal-safe calls are allowed; setenv is not.
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = child_environment(env);
  const std::vector<char*> arg_pointers = c_array(args);
  const std::vector<char*> env_pointers = c_array(environment);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("run_command: pipe");
  if (pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("run_command: pipe");
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("run_command: fork");
  if (pid == 0) {
    // Die with the test: an aborted test must not leave a child holding ctest's pipes open.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);  // never wait for a terminal
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  if (null_fd >= 0) ::close(null_fd);

  // Read both pipes together until both end: reading one to its end first could deadlock with
  // a child blocked on writing the other, full one.
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto left_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now())
        .count();
  };
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* const sinks[2] = {&result.out, &result.err};
  bool timed_out = false;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = left_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int ready = poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left, 60'000)));
    if (ready < 0 && errno != EINTR) throw std::runtime_error("run_command: poll");
    if (ready <= 0) continue;
    for (std::size_t i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(fds[i].fd, chunk, sizeof(chunk));
      if (n > 0) {
        sinks[i]->append(chunk, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
      }
    }
  }
  for (const pollfd& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }

  // The output ended; the child still gets until the deadline to exit.
  int status = 0;
  bool reaped = false;
  while (!timed_out) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      reaped = true;
      break;
    }
    if (done < 0 && errno != EINTR) throw std::runtime_error("run_command: waitpid");
    if (left_ms() <= 0) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!reaped) {
    ::kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  result.exit_code = timed_out ? -1 : exit_code_of(status);
  return result;
}

}  // namespace auction::testing
