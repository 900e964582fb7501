// The one fork/pipe helper of the torture driver: a forked child that reports through a pipe
// (torture_workers.cc: seeds; crash_point_workers.cc: crash states). A child that dies is a
// recorded failure, never the parent's: its exit status is described, its stderr captured.
//
// Not thread-safe: fork from the one thread that runs the driver.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

namespace northstar::torture {

struct ChildProcess {
  pid_t pid = -1;
  int result_fd = -1;  // The parent's end of the child's result pipe.
  int stderr_fd = -1;  // The parent's end of the child's stderr, when captured; else -1.
};

// Flushes this process's streams, forks, and runs `body(result_fd)` in the child, which then
// exits 0 (without unwinding the parent's state). With `capture_stderr` the child's stderr goes
// to a pipe whose read end is `stderr_fd`.
[[nodiscard]] ChildProcess ForkChild(const std::function<void(int result_fd)>& body,
                                     bool capture_stderr);

// In a child: writes all of `text` to `fd`; exits with kExitWorkerCrashed if the parent is gone.
void WriteAllOrExit(int fd, std::string_view text);

// Waits for `pid` (retrying on EINTR); its wait status.
[[nodiscard]] int WaitForExit(pid_t pid);

// "worker crashed (signal 6: Aborted)" or "worker exited with status 3".
[[nodiscard]] std::string DescribeExit(int status);

}  // namespace northstar::torture
