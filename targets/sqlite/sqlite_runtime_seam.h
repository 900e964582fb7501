// SQLite's own threads and locks on our runtime (DESIGN.md: a foreign engine's threads and locks
// must run as fibers, or determinism is lost).
//
// SQLite takes its mutexes through sqlite3_mutex_methods (SQLITE_CONFIG_MUTEX). The seam installs
// methods whose every mutex has two modes, chosen per call by the thread's active scheduler:
// - production (no active scheduler): a std::recursive_mutex;
// - simulation (a Target set the active scheduler for its epoch): an owner fiber and a depth. A
//   lock held by another fiber is waited for by yielding (kLockAcquire), so a fiber parked while
//   holding a mutex never blocks the OS thread. FAST mutexes are not recursive (asserted).
// Randomness goes through the default VFS's xRandomness (sqlite_vfs.h); ReseedSqliteRandomness
// makes SQLite's PRNG draw its seed from there again.
//
// Thread safety: InstallSqliteRuntimeSeam may be called from any thread (the first call installs,
// under a once-flag). The active scheduler is thread-local.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "sim/scheduler.h"

namespace northstar::targets {

// Installs the mutex methods, once per process, before any other use of SQLite in the process
// (it shuts the library down first if it was initialized: no connection may be open then).
// Later calls return the first call's result. Internal naming SQLite's code if config fails.
[[nodiscard]] absl::Status InstallSqliteRuntimeSeam();

// Sets the thread's active scheduler for as long as it lives (an epoch of a Target), restoring
// the previous one afterwards. Nested scopes must end in reverse order (asserted).
class ScopedSqliteScheduler {
 public:
  explicit ScopedSqliteScheduler(sim::Scheduler* scheduler);
  ~ScopedSqliteScheduler();
  ScopedSqliteScheduler(const ScopedSqliteScheduler&) = delete;
  ScopedSqliteScheduler& operator=(const ScopedSqliteScheduler&) = delete;

 private:
  sim::Scheduler* previous_;
  uint64_t previous_generation_;
  uint64_t generation_;
};

// The thread's active scheduler, or nullptr (production).
[[nodiscard]] sim::Scheduler* ActiveSqliteScheduler();

// Makes SQLite's PRNG reseed itself from the default VFS's xRandomness at its next use
// (sqlite3_randomness(0, nullptr)), so that WAL salts and temporary names replay per seed.
void ReseedSqliteRandomness();

}  // namespace northstar::targets
