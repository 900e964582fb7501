#include "torture/child_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/exit_codes.h"

namespace northstar::torture {

ChildProcess ForkChild(const std::function<void(int result_fd)>& body, bool capture_stderr) {
  int result_pipe[2];
  int stderr_pipe[2] = {-1, -1};
  NS_ASSERT(::pipe2(result_pipe, O_CLOEXEC) == 0);
  if (capture_stderr) NS_ASSERT(::pipe2(stderr_pipe, O_CLOEXEC) == 0);
  // Buffered output would be written twice, once by each process.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  NS_ASSERT_MSG(pid >= 0, std::strerror(errno));
  if (pid == 0) {
    ::close(result_pipe[0]);
    if (capture_stderr) {
      ::close(stderr_pipe[0]);
      ::dup2(stderr_pipe[1], STDERR_FILENO);
    }
    body(result_pipe[1]);
    ::_exit(0);
  }
  ::close(result_pipe[1]);
  if (capture_stderr) ::close(stderr_pipe[1]);
  return ChildProcess{pid, result_pipe[0], stderr_pipe[0]};
}

void WriteAllOrExit(int fd, std::string_view text) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(kExitWorkerCrashed);  // The parent is gone.
    written += static_cast<size_t>(n);
  }
}

int WaitForExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrFormat("worker crashed (signal %d: %s)", WTERMSIG(status),
                           ::strsignal(WTERMSIG(status)));
  }
  return absl::StrFormat("worker exited with status %d", WEXITSTATUS(status));
}

}  // namespace northstar::torture
