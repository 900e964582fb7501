#include "targets/sqlite/sqlite_runtime_seam.h"

#include <sqlite3.h>

#include <array>
#include <mutex>

#include "absl/strings/str_format.h"
#include "engine/runtime.h"
#include "util/assert.h"

namespace northstar::targets {
namespace {

// A fiber waits for a mutex at most this many yields: far beyond any run's step budget, so the
// scheduler's runaway check fires first; the assertion only guards against a broken scheduler.
constexpr uint64_t kMutexWaitYieldsMax = uint64_t{1} << 40;
// SQLite's static mutex ids are SQLITE_MUTEX_STATIC_MAIN (2) .. SQLITE_MUTEX_STATIC_VFS3 (13).
constexpr int kStaticMutexFirst = SQLITE_MUTEX_STATIC_MAIN;
constexpr int kStaticMutexLast = SQLITE_MUTEX_STATIC_VFS3;
constexpr int kStaticMutexCount = kStaticMutexLast - kStaticMutexFirst + 1;
static_assert(kStaticMutexCount == 12);

thread_local sim::Scheduler* tls_scheduler = nullptr;
// Which scope set tls_scheduler: a mutex held by a fiber of an ended scope is a leak (asserted).
thread_local uint64_t tls_generation = 0;
thread_local uint64_t tls_next_generation = 1;

}  // namespace

// Not in the anonymous namespace: sqlite3.h forward-declares `struct sqlite3_mutex` globally.
}  // namespace northstar::targets

struct sqlite3_mutex {
  int kind = SQLITE_MUTEX_FAST;
  std::recursive_mutex production;
  // Simulation mode (one OS thread: plain fields). depth 0 = free.
  uint64_t sim_generation = 0;
  uint32_t sim_owner = 0;
  uint32_t sim_depth = 0;
};

namespace northstar::targets {
namespace {

bool HeldBySimCaller(const sqlite3_mutex& mutex) {
  return mutex.sim_depth > 0 && mutex.sim_generation == tls_generation &&
         mutex.sim_owner == tls_scheduler->current_fiber();
}

void SimLock(sqlite3_mutex& mutex) {
  if (HeldBySimCaller(mutex)) {
    NS_ASSERT_MSG(mutex.kind != SQLITE_MUTEX_FAST, "a FAST SQLite mutex locked twice by one fiber");
    mutex.sim_depth++;
    return;
  }
  NS_ASSERT_MSG(mutex.sim_depth == 0 || mutex.sim_generation == tls_generation,
                "an SQLite mutex is held by a fiber of an epoch that has ended");
  for (uint64_t yields = 0; mutex.sim_depth > 0; yields++) {
    NS_ASSERT_MSG(tls_scheduler->running(),
                  "the main context waits for an SQLite mutex that a fiber holds");
    NS_ASSERT(yields < kMutexWaitYieldsMax);
    tls_scheduler->yield_waiting(static_cast<uint16_t>(engine::YieldSite::kLockAcquire));
  }
  mutex.sim_generation = tls_generation;
  mutex.sim_owner = tls_scheduler->current_fiber();
  mutex.sim_depth = 1;
}

int SimTry(sqlite3_mutex& mutex) {
  if (HeldBySimCaller(mutex) && mutex.kind != SQLITE_MUTEX_FAST) {
    mutex.sim_depth++;
    return SQLITE_OK;
  }
  if (mutex.sim_depth > 0) return SQLITE_BUSY;
  mutex.sim_generation = tls_generation;
  mutex.sim_owner = tls_scheduler->current_fiber();
  mutex.sim_depth = 1;
  return SQLITE_OK;
}

std::array<sqlite3_mutex, kStaticMutexCount>& StaticMutexes() {
  static auto* mutexes = new std::array<sqlite3_mutex, kStaticMutexCount>();  // Never freed.
  return *mutexes;
}

int MutexInit() { return SQLITE_OK; }
int MutexEnd() { return SQLITE_OK; }

sqlite3_mutex* MutexAlloc(int kind) {
  if (kind == SQLITE_MUTEX_FAST || kind == SQLITE_MUTEX_RECURSIVE) {
    auto* mutex = new sqlite3_mutex();
    mutex->kind = kind;
    return mutex;
  }
  if (kind < kStaticMutexFirst || kind > kStaticMutexLast) return nullptr;
  sqlite3_mutex& mutex = StaticMutexes()[kind - kStaticMutexFirst];
  mutex.kind = kind;
  return &mutex;
}

void MutexFree(sqlite3_mutex* mutex) {
  NS_ASSERT(mutex->kind == SQLITE_MUTEX_FAST || mutex->kind == SQLITE_MUTEX_RECURSIVE);
  NS_ASSERT_MSG(mutex->sim_depth == 0, "an SQLite mutex freed while held");
  delete mutex;
}

void MutexEnter(sqlite3_mutex* mutex) {
  if (tls_scheduler != nullptr) return SimLock(*mutex);
  mutex->production.lock();
}

int MutexTry(sqlite3_mutex* mutex) {
  if (tls_scheduler != nullptr) return SimTry(*mutex);
  return mutex->production.try_lock() ? SQLITE_OK : SQLITE_BUSY;
}

void MutexLeave(sqlite3_mutex* mutex) {
  if (tls_scheduler != nullptr && HeldBySimCaller(*mutex)) {
    mutex->sim_depth--;
    return;
  }
  NS_ASSERT_MSG(tls_scheduler == nullptr, "an SQLite mutex left by a fiber that does not hold it");
  mutex->production.unlock();
}

// Used by SQLite's debug builds only; production mode cannot tell, so it answers "yes" as
// SQLite's own pthread implementation does without recursive-mutex owner tracking.
int MutexHeld(sqlite3_mutex* mutex) {
  return tls_scheduler == nullptr || HeldBySimCaller(*mutex) ? 1 : 0;
}
int MutexNotheld(sqlite3_mutex* mutex) {
  return tls_scheduler == nullptr || !HeldBySimCaller(*mutex) ? 1 : 0;
}

absl::Status Install() {
  static sqlite3_mutex_methods methods = {MutexInit,  MutexEnd,   MutexAlloc,
                                          MutexFree,  MutexEnter, MutexTry,
                                          MutexLeave, MutexHeld,  MutexNotheld};
  int rc = sqlite3_shutdown();
  if (rc != SQLITE_OK) {
    return absl::InternalError(absl::StrFormat("sqlite3_shutdown: %s", sqlite3_errstr(rc)));
  }
  rc = sqlite3_config(SQLITE_CONFIG_MUTEX, &methods);
  if (rc != SQLITE_OK) {
    return absl::InternalError(
        absl::StrFormat("sqlite3_config(SQLITE_CONFIG_MUTEX): %s", sqlite3_errstr(rc)));
  }
  rc = sqlite3_initialize();
  if (rc != SQLITE_OK) {
    return absl::InternalError(absl::StrFormat("sqlite3_initialize: %s", sqlite3_errstr(rc)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InstallSqliteRuntimeSeam() {
  static std::once_flag once;
  static absl::Status* result = nullptr;
  std::call_once(once, [] { result = new absl::Status(Install()); });
  return *result;
}

ScopedSqliteScheduler::ScopedSqliteScheduler(sim::Scheduler* scheduler)
    : previous_(tls_scheduler), previous_generation_(tls_generation) {
  NS_ASSERT(scheduler != nullptr);
  generation_ = tls_next_generation++;
  tls_scheduler = scheduler;
  tls_generation = generation_;
}

ScopedSqliteScheduler::~ScopedSqliteScheduler() {
  NS_ASSERT_MSG(tls_generation == generation_, "ScopedSqliteScheduler scopes ended out of order");
  tls_scheduler = previous_;
  tls_generation = previous_generation_;
}

sim::Scheduler* ActiveSqliteScheduler() { return tls_scheduler; }

void ReseedSqliteRandomness() { sqlite3_randomness(0, nullptr); }

}  // namespace northstar::targets
