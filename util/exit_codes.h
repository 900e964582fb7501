// Exit codes, the same for every command and every worker (DESIGN.md, "The command line").
#pragma once

#include "absl/status/status.h"

namespace northstar {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;    // A check found a failure; kv: key not found.
inline constexpr int kExitBadInput = 2;       // Bad usage, or input that cannot be used.
inline constexpr int kExitLiveness = 3;       // Deadlock, step budget (run, torture).
inline constexpr int kExitWorkerCrashed = 4;  // A worker process died (torture).

// The exit code for an error status from a library. Every error a command meets (a missing
// file, a file that is not a database, corruption met while reading, a key too long, EIO) means
// its input could not be used: kExitBadInput. A check's findings are not errors.
[[nodiscard]] inline int ExitCodeFor(const absl::Status& status) {
  return status.ok() ? kExitOk : kExitBadInput;
}

}  // namespace northstar
