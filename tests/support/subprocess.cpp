#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace auction::testing {

Subprocess::Subprocess(const std::vector<std::string>& argv) {
  signal(SIGPIPE, SIG_IGN);  // a dead child must not kill the test
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    // Die with the test: an aborted test must not leave a server holding ctest's pipes open.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(SIGKILL);
    wait();
  }
  close_stdin();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

// Writes while draining the child's stdout into the line buffer, so a child blocked on a full
// stdout pipe can never deadlock us blocked on its full stdin pipe.
bool Subprocess::write(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    pollfd fds[2] = {{stdin_fd_, POLLOUT, 0}, {stdout_fd_, POLLIN, 0}};
    if (poll(fds, 2, 1'000) < 0 && errno != EINTR) return false;
    if (fds[1].revents & POLLIN) {
      char chunk[4096];
      const ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
      if (n > 0) buffered_.append(chunk, static_cast<std::size_t>(n));
    }
    if (fds[0].revents & (POLLERR | POLLHUP)) return false;
    if (fds[0].revents & POLLOUT) {
      const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
  }
  return true;
}

std::optional<std::string> Subprocess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto newline = buffered_.find('\n'); newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // end of output
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

void Subprocess::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

void Subprocess::kill(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

bool Subprocess::stop() {
  if (reaped_) return false;
  ::kill(pid_, SIGSTOP);
  int status = 0;
  while (true) {
    const int got = waitpid(pid_, &status, WUNTRACED);
    if (got < 0 && errno == EINTR) continue;
    if (got == pid_ && WIFSTOPPED(status)) return true;
    if (got == pid_) {  // it ended before the stop
      status_ = status;
      reaped_ = true;
    }
    return false;
  }
}

int Subprocess::wait() {
  if (!reaped_) {
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  return status_;
}

}  // namespace auction::testing
