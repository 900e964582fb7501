// SimMutex and SimSharedMutex: the engine's locks (engine/runtime.h) for fibers.
//
// Acquiring yields at kLockAcquire first (another fiber may run before the attempt); releasing
// yields at kLockRelease after the release. A fiber that finds the lock taken parks on it
// (Scheduler::block); a release wakes every waiter and each retries when next chosen, so which
// waiter wins is up to the strategy, as with a real lock. try_lock() yields too, and never
// parks. Trace events: kLockAcquire / kLockBlock / kLockRelease with args[0] = lock id,
// args[1] = 1 for a shared hold, text = the lock's name.
//
// The main context (outside a run) may take a lock only when it is free, and never parks.
// A lock belongs to one Scheduler and must not outlive it. Not thread-safe: one OS thread.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "engine/runtime.h"
#include "sim/scheduler.h"
#include "sim/sim_lock.h"

namespace northstar::sim {

// The waiters and the trace/yield plumbing shared by both locks.
class SimLockBase : public SimLock {
 protected:
  SimLockBase(Scheduler& scheduler, std::string_view name);
  ~SimLockBase() override;

  // Parks the current fiber until a release wakes it.
  void wait();
  void wake_waiters();
  void yield(engine::YieldSite site) { scheduler_.yield(static_cast<uint16_t>(site)); }
  // kLockAcquire or kLockRelease, at the site of the same name.
  void trace(TraceEventKind kind, bool shared) {
    const engine::YieldSite site = kind == TraceEventKind::kLockRelease
                                       ? engine::YieldSite::kLockRelease
                                       : engine::YieldSite::kLockAcquire;
    scheduler_.record(kind, static_cast<uint16_t>(site), id(), shared ? 1 : 0, 0, name());
  }
  [[nodiscard]] uint32_t current() const { return scheduler_.current_fiber(); }

  static constexpr uint32_t kNoOwner = std::numeric_limits<uint32_t>::max();

 private:
  Scheduler& scheduler_;
  std::vector<uint32_t> waiters_;  // In arrival order.
};

class SimMutex final : public engine::Mutex, public SimLockBase {
 public:
  SimMutex(Scheduler& scheduler, std::string_view name) : SimLockBase(scheduler, name) {}

  void lock() override;
  void unlock() override;
  [[nodiscard]] bool try_lock() override;
  [[nodiscard]] std::vector<uint32_t> holders() const override;

 private:
  uint32_t owner_ = kNoOwner;
};

class SimSharedMutex final : public engine::SharedMutex, public SimLockBase {
 public:
  SimSharedMutex(Scheduler& scheduler, std::string_view name) : SimLockBase(scheduler, name) {}

  void lock() override;
  void unlock() override;
  [[nodiscard]] bool try_lock() override;
  void lock_shared() override;
  void unlock_shared() override;
  [[nodiscard]] bool try_lock_shared() override;
  [[nodiscard]] std::vector<uint32_t> holders() const override;

 private:
  uint32_t owner_ = kNoOwner;            // The exclusive holder.
  std::vector<uint32_t> shared_owners_;  // One entry per shared hold, in order.
};

}  // namespace northstar::sim
