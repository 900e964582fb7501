#include "engine/runtime.h"

#include <chrono>
#include <mutex>
#include <shared_mutex>

#include "absl/strings/str_format.h"
#include "util/assert.h"

namespace northstar::engine {

const char* YieldSiteName(YieldSite site) {
  // No default: -Wswitch flags a new enumerator that has no name here.
  switch (site) {
    case YieldSite::kLockAcquire:
      return "lock_acquire";
    case YieldSite::kLockRelease:
      return "lock_release";
    case YieldSite::kCacheHit:
      return "cache_hit";
    case YieldSite::kCacheMiss:
      return "cache_miss";
    case YieldSite::kCacheEvict:
      return "cache_evict";
    case YieldSite::kCachePin:
      return "cache_pin";
    case YieldSite::kCacheUnpin:
      return "cache_unpin";
    case YieldSite::kIoSubmit:
      return "io_submit";
    case YieldSite::kIoComplete:
      return "io_complete";
    case YieldSite::kCommitBegin:
      return "commit_begin";
    case YieldSite::kCommitWritePages:
      return "commit_write_pages";
    case YieldSite::kCommitSyncData:
      return "commit_sync_data";
    case YieldSite::kCommitWriteMeta:
      return "commit_write_meta";
    case YieldSite::kCommitSyncMeta:
      return "commit_sync_meta";
    case YieldSite::kCommitEnd:
      return "commit_end";
    case YieldSite::kLogAppend:
      return "log_append";
    case YieldSite::kCheckpoint:
      return "checkpoint";
  }
  NS_ASSERT_MSG(false, absl::StrFormat("YieldSite %d has no name", static_cast<int>(site)));
  return "unknown";
}

namespace {

class StdMutex final : public Mutex {
 public:
  void lock() override { mutex_.lock(); }
  void unlock() override { mutex_.unlock(); }
  bool try_lock() override { return mutex_.try_lock(); }

 private:
  std::mutex mutex_;
};

class StdSharedMutex final : public SharedMutex {
 public:
  void lock() override { mutex_.lock(); }
  void unlock() override { mutex_.unlock(); }
  bool try_lock() override { return mutex_.try_lock(); }
  void lock_shared() override { mutex_.lock_shared(); }
  void unlock_shared() override { mutex_.unlock_shared(); }
  bool try_lock_shared() override { return mutex_.try_lock_shared(); }

 private:
  std::shared_mutex mutex_;
};

// Lock names only matter to the simulator's traces and deadlock reports; std:: locks drop them.
class StdRuntime final : public Runtime {
 public:
  std::unique_ptr<Mutex> make_mutex(std::string_view /*name*/) override {
    return std::make_unique<StdMutex>();
  }
  std::unique_ptr<SharedMutex> make_shared_mutex(std::string_view /*name*/) override {
    return std::make_unique<StdSharedMutex>();
  }
  void yield(YieldSite /*site*/) override {}
  uint64_t now_ns() override {
    const auto since_origin = std::chrono::steady_clock::now().time_since_epoch();
    const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(since_origin);
    NS_ASSERT(nanoseconds.count() >= 0);
    return static_cast<uint64_t>(nanoseconds.count());
  }
};

}  // namespace

Runtime& ProductionRuntime() {
  // Never destroyed: engine threads may still use it while static destructors run at exit.
  static Runtime* const runtime = new StdRuntime;
  return *runtime;
}

}  // namespace northstar::engine
