// The runtime hooks: everything the engine needs from its surroundings besides storage.
//
// The engine never creates a thread primitive or reads a clock directly. In production the
// runtime maps to std:: primitives, a no-op yield and the steady clock; in simulation (sim/) it
// maps to fibers on one OS thread, where yield() lets a seeded scheduler switch fibers and now()
// reads the virtual clock. That is what lets one engine binary run both ways.
//
// Yield sites name every point where the simulator may switch fibers; the engine calls
// runtime.yield(site) there. Thread safety: a Runtime and its primitives are used from every
// engine thread at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace northstar::engine {

enum class YieldSite : uint8_t {
  kLockAcquire,
  kLockRelease,
  kCacheHit,
  kCacheMiss,
  kCacheEvict,
  kCachePin,
  kCacheUnpin,
  kIoSubmit,
  kIoComplete,
  kCommitBegin,
  kCommitWritePages,
  kCommitSyncData,
  kCommitWriteMeta,
  kCommitSyncMeta,
  kCommitEnd,
  kLogAppend,
  kCheckpoint,
};
inline constexpr int kYieldSiteCount = static_cast<int>(YieldSite::kCheckpoint) + 1;

[[nodiscard]] const char* YieldSiteName(YieldSite site);

// A mutual-exclusion lock (meets the standard Lockable requirements, so std::lock_guard and
// std::unique_lock work with it).
class Mutex {
 public:
  virtual ~Mutex() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
  [[nodiscard]] virtual bool try_lock() = 0;
};

// A reader-writer lock (also SharedLockable: std::shared_lock works with it).
class SharedMutex : public Mutex {
 public:
  virtual void lock_shared() = 0;
  virtual void unlock_shared() = 0;
  [[nodiscard]] virtual bool try_lock_shared() = 0;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  // `name` identifies the lock in traces and deadlock reports.
  [[nodiscard]] virtual std::unique_ptr<Mutex> make_mutex(std::string_view name) = 0;
  [[nodiscard]] virtual std::unique_ptr<SharedMutex> make_shared_mutex(std::string_view name) = 0;
  // A point where another task may run. No-op in production.
  virtual void yield(YieldSite site) = 0;
  // Monotonic nanoseconds since an arbitrary origin.
  [[nodiscard]] virtual uint64_t now_ns() = 0;
};

// The production runtime: std::mutex, std::shared_mutex, no-op yield, steady clock. A process-
// wide instance; never destroyed.
[[nodiscard]] Runtime& ProductionRuntime();

}  // namespace northstar::engine
