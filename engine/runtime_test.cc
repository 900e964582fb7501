// The production runtime: std:: locks behind the Mutex interfaces, names for every yield site,
// a monotonic clock.
#include "engine/runtime.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace northstar::engine {
namespace {

// Runs `body` on another thread and returns its result: try_lock on a lock the calling thread
// already holds is undefined for std:: locks, so every such probe runs elsewhere.
template <typename Body>
bool OnOtherThread(Body body) {
  bool result = false;
  std::thread thread([&] { result = body(); });
  thread.join();
  return result;
}

TEST(ProductionRuntimeTest, IsOneProcessWideInstance) {
  EXPECT_EQ(&ProductionRuntime(), &ProductionRuntime());
}

TEST(ProductionRuntimeTest, MutexWorksWithLockGuardAndTryLock) {
  std::unique_ptr<Mutex> mutex = ProductionRuntime().make_mutex("test");
  ASSERT_NE(mutex, nullptr);
  {
    std::lock_guard<Mutex> lock(*mutex);
    EXPECT_FALSE(OnOtherThread([&] { return mutex->try_lock(); }));
  }
  ASSERT_TRUE(mutex->try_lock());
  EXPECT_FALSE(OnOtherThread([&] { return mutex->try_lock(); }));
  mutex->unlock();
  EXPECT_TRUE(OnOtherThread([&] {
    if (!mutex->try_lock()) return false;
    mutex->unlock();
    return true;
  }));
}

TEST(ProductionRuntimeTest, MutexExcludesOtherThreads) {
  constexpr int kThreadCount = 4;
  constexpr int kIncrementsPerThread = 20000;
  std::unique_ptr<Mutex> mutex = ProductionRuntime().make_mutex("counter");
  int64_t counter = 0;  // Guarded by mutex; a lost update shows a broken lock.
  std::vector<std::thread> threads;
  for (int index = 0; index < kThreadCount; index++) {
    threads.emplace_back([&] {
      for (int increment = 0; increment < kIncrementsPerThread; increment++) {
        std::lock_guard<Mutex> lock(*mutex);
        counter++;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter, int64_t{kThreadCount} * kIncrementsPerThread);
}

TEST(ProductionRuntimeTest, SharedMutexAdmitsReadersTogetherAndWritersAlone) {
  std::unique_ptr<SharedMutex> mutex = ProductionRuntime().make_shared_mutex("test");
  ASSERT_NE(mutex, nullptr);
  {
    std::shared_lock<SharedMutex> reader(*mutex);
    EXPECT_TRUE(OnOtherThread([&] {
      if (!mutex->try_lock_shared()) return false;
      mutex->unlock_shared();
      return true;
    }));
    EXPECT_FALSE(OnOtherThread([&] { return mutex->try_lock(); }));
  }
  {
    std::unique_lock<SharedMutex> writer(*mutex);
    EXPECT_FALSE(OnOtherThread([&] { return mutex->try_lock_shared(); }));
    EXPECT_FALSE(OnOtherThread([&] { return mutex->try_lock(); }));
  }
  EXPECT_TRUE(OnOtherThread([&] {
    if (!mutex->try_lock()) return false;
    mutex->unlock();
    return true;
  }));
}

TEST(ProductionRuntimeTest, YieldIsANoOpAtEverySite) {
  for (int index = 0; index < kYieldSiteCount; index++) {
    ProductionRuntime().yield(static_cast<YieldSite>(index));
  }
}

TEST(ProductionRuntimeTest, NowIsMonotonicAndAdvances) {
  Runtime& runtime = ProductionRuntime();
  uint64_t previous_ns = runtime.now_ns();
  for (int index = 0; index < 1000; index++) {
    const uint64_t now_ns = runtime.now_ns();
    EXPECT_GE(now_ns, previous_ns);
    previous_ns = now_ns;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_GE(runtime.now_ns() - previous_ns, uint64_t{2'000'000});
}

TEST(YieldSiteNameTest, EverySiteHasADistinctName) {
  std::set<std::string> names;
  for (int index = 0; index < kYieldSiteCount; index++) {
    const char* name = YieldSiteName(static_cast<YieldSite>(index));
    ASSERT_NE(name, nullptr);
    EXPECT_NE(std::string(name), "") << "site " << index;
    EXPECT_NE(std::string(name), "unknown") << "site " << index;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kYieldSiteCount));
}

TEST(YieldSiteNameTest, NamesAreStableSnakeCase) {
  // Traces and saved repro files carry these names: changing one breaks old traces.
  EXPECT_STREQ(YieldSiteName(YieldSite::kLockAcquire), "lock_acquire");
  EXPECT_STREQ(YieldSiteName(YieldSite::kLockRelease), "lock_release");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCacheHit), "cache_hit");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCacheMiss), "cache_miss");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCacheEvict), "cache_evict");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCachePin), "cache_pin");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCacheUnpin), "cache_unpin");
  EXPECT_STREQ(YieldSiteName(YieldSite::kIoSubmit), "io_submit");
  EXPECT_STREQ(YieldSiteName(YieldSite::kIoComplete), "io_complete");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCommitBegin), "commit_begin");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCommitWritePages), "commit_write_pages");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCommitSyncData), "commit_sync_data");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCommitWriteMeta), "commit_write_meta");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCommitSyncMeta), "commit_sync_meta");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCommitEnd), "commit_end");
  EXPECT_STREQ(YieldSiteName(YieldSite::kLogAppend), "log_append");
  EXPECT_STREQ(YieldSiteName(YieldSite::kCheckpoint), "checkpoint");
}

TEST(YieldSiteNameDeathTest, OutOfRangeSiteAsserts) {
  EXPECT_DEATH((void)YieldSiteName(static_cast<YieldSite>(kYieldSiteCount)), "has no name");
}

}  // namespace
}  // namespace northstar::engine
