// A child process with pipes to its stdin and stdout, for tests that drive real binaries and
// kill them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace auction::testing {

class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // False once the child stopped reading (closed or dead).
  bool write(const std::string& text);
  // The next line of the child's stdout, without the newline; none on timeout or end of output.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  void close_stdin();
  void kill(int signal);
  // SIGSTOP, returning once every thread of the child has stopped. kill(SIGSTOP) alone returns
  // while the kernel still delivers the stop; a busy child can go on for a few more steps.
  // False when the child ended instead.
  bool stop();
  int wait();  // the exit status as waitpid reports it
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace auction::testing
