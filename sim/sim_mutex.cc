#include "sim/sim_mutex.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "util/assert.h"

namespace northstar::sim {

SimLockBase::SimLockBase(Scheduler& scheduler, std::string_view name)
    : SimLock(scheduler.register_lock(), std::string(name)), scheduler_(scheduler) {}

SimLockBase::~SimLockBase() {
  // Waiters remain only when a liveness failure stopped them for good.
  scheduler_.unregister_lock();
}

void SimLockBase::wait() {
  const uint32_t fiber = current();
  waiters_.push_back(fiber);
  scheduler_.block(*this, static_cast<uint16_t>(engine::YieldSite::kLockAcquire));
  NS_ASSERT(std::find(waiters_.begin(), waiters_.end(), fiber) == waiters_.end());
}

void SimLockBase::wake_waiters() {
  std::vector<uint32_t> waking;
  waking.swap(waiters_);
  for (const uint32_t fiber : waking) scheduler_.wake(fiber);
}

void SimMutex::lock() {
  yield(engine::YieldSite::kLockAcquire);
  NS_ASSERT_MSG(owner_ != current(), absl::StrFormat("lock \"%s\" is not recursive", name()));
  while (owner_ != kNoOwner) wait();
  owner_ = current();
  trace(TraceEventKind::kLockAcquire, /*shared=*/false);
}

void SimMutex::unlock() {
  NS_ASSERT_MSG(owner_ == current(),
                absl::StrFormat("unlock of \"%s\" by a fiber that does not hold it", name()));
  owner_ = kNoOwner;
  trace(TraceEventKind::kLockRelease, /*shared=*/false);
  wake_waiters();
  yield(engine::YieldSite::kLockRelease);
}

bool SimMutex::try_lock() {
  yield(engine::YieldSite::kLockAcquire);
  if (owner_ != kNoOwner) return false;
  owner_ = current();
  trace(TraceEventKind::kLockAcquire, /*shared=*/false);
  return true;
}

std::vector<uint32_t> SimMutex::holders() const {
  if (owner_ == kNoOwner) return {};
  return {owner_};
}

void SimSharedMutex::lock() {
  yield(engine::YieldSite::kLockAcquire);
  NS_ASSERT_MSG(owner_ != current(), absl::StrFormat("lock \"%s\" is not recursive", name()));
  while (owner_ != kNoOwner || !shared_owners_.empty()) wait();
  owner_ = current();
  trace(TraceEventKind::kLockAcquire, /*shared=*/false);
}

void SimSharedMutex::unlock() {
  NS_ASSERT_MSG(owner_ == current(),
                absl::StrFormat("unlock of \"%s\" by a fiber that does not hold it", name()));
  owner_ = kNoOwner;
  trace(TraceEventKind::kLockRelease, /*shared=*/false);
  wake_waiters();
  yield(engine::YieldSite::kLockRelease);
}

bool SimSharedMutex::try_lock() {
  yield(engine::YieldSite::kLockAcquire);
  if (owner_ != kNoOwner || !shared_owners_.empty()) return false;
  owner_ = current();
  trace(TraceEventKind::kLockAcquire, /*shared=*/false);
  return true;
}

void SimSharedMutex::lock_shared() {
  yield(engine::YieldSite::kLockAcquire);
  NS_ASSERT_MSG(owner_ != current(), absl::StrFormat("lock \"%s\" is not recursive", name()));
  while (owner_ != kNoOwner) wait();
  shared_owners_.push_back(current());
  trace(TraceEventKind::kLockAcquire, /*shared=*/true);
}

void SimSharedMutex::unlock_shared() {
  const auto found = std::find(shared_owners_.begin(), shared_owners_.end(), current());
  NS_ASSERT_MSG(found != shared_owners_.end(),
                absl::StrFormat("unlock_shared of \"%s\" by a fiber that does not hold it", name()));
  shared_owners_.erase(found);
  trace(TraceEventKind::kLockRelease, /*shared=*/true);
  wake_waiters();
  yield(engine::YieldSite::kLockRelease);
}

bool SimSharedMutex::try_lock_shared() {
  yield(engine::YieldSite::kLockAcquire);
  if (owner_ != kNoOwner) return false;
  shared_owners_.push_back(current());
  trace(TraceEventKind::kLockAcquire, /*shared=*/true);
  return true;
}

std::vector<uint32_t> SimSharedMutex::holders() const {
  if (owner_ != kNoOwner) return {owner_};
  return shared_owners_;
}

}  // namespace northstar::sim
