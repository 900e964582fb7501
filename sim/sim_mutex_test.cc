#include "sim/sim_mutex.h"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/sim_runtime.h"
#include "sim/sites.h"

namespace northstar::sim {
namespace {

constexpr uint16_t kInside = kUserSiteBase + 2;

TEST(SimMutexTest, LockEventsAndYieldSitesGoToTheTrace) {
  Scheduler scheduler({.strategy = StrategyKind::kRoundRobin}, 1, {.keep_events = true});
  SimMutex mutex(scheduler, "db.writer");
  scheduler.spawn("a", [&] { std::lock_guard lock(mutex); });
  ASSERT_TRUE(scheduler.run().ok());
  std::vector<std::string> kinds;
  for (const TraceEvent& event : scheduler.trace().events()) {
    kinds.push_back(std::string(TraceEventKindName(event.kind)) + "@" + SiteName(event.site));
  }
  EXPECT_THAT(kinds, ::testing::ElementsAre(
                         "fiber_start@not_started", "schedule@run_start", "yield@lock_acquire",
                         "lock_acquire@lock_acquire", "lock_release@lock_release",
                         "yield@lock_release", "fiber_end@fiber_end", "schedule@fiber_end"));
  const TraceEvent& acquire = scheduler.trace().events()[3];
  EXPECT_EQ(acquire.args[0], 1u);  // The first lock's id.
  EXPECT_EQ(acquire.text, "db.writer");
}

TEST(SimMutexTest, ABlockedFiberParksAndIsWokenByTheRelease) {
  Scheduler scheduler({.strategy = StrategyKind::kRoundRobin}, 1, {.keep_events = true});
  SimMutex mutex(scheduler, "m");
  std::string order;
  for (const char* name : {"a", "b"}) {
    scheduler.spawn(name, [&, name] {
      std::lock_guard lock(mutex);
      order += std::string(name) + "+";
      scheduler.yield(kInside);
      order += std::string(name) + "-";
    });
  }
  ASSERT_TRUE(scheduler.run().ok());
  EXPECT_EQ(order, "a+a-b+b-");
  int blocks = 0;
  for (const TraceEvent& event : scheduler.trace().events()) {
    if (event.kind == TraceEventKind::kLockBlock) blocks++;
  }
  EXPECT_EQ(blocks, 1);
}

TEST(SimMutexTest, TryLockNeverParks) {
  Scheduler scheduler({.strategy = StrategyKind::kRoundRobin}, 1);
  SimMutex mutex(scheduler, "m");
  std::vector<bool> results;
  scheduler.spawn("holder", [&] {
    mutex.lock();
    scheduler.yield(kInside);
    scheduler.yield(kInside);
    mutex.unlock();
  });
  scheduler.spawn("trier", [&] {
    scheduler.yield(kInside);
    results.push_back(mutex.try_lock());
  });
  ASSERT_TRUE(scheduler.run().ok());
  EXPECT_THAT(results, ::testing::ElementsAre(false));
}

TEST(SimSharedMutexTest, ReadersShareWritersExclude) {
  Scheduler scheduler({.strategy = StrategyKind::kRoundRobin}, 1);
  SimSharedMutex mutex(scheduler, "rw");
  int readers_inside = 0, readers_inside_max = 0, writer_overlaps = 0;
  for (int index = 0; index < 3; index++) {
    scheduler.spawn("reader", [&] {
      std::shared_lock lock(mutex);
      readers_inside++;
      readers_inside_max = std::max(readers_inside_max, readers_inside);
      scheduler.yield(kInside);
      readers_inside--;
    });
  }
  scheduler.spawn("writer", [&] {
    std::lock_guard lock(mutex);
    writer_overlaps += readers_inside;
    scheduler.yield(kInside);
    writer_overlaps += readers_inside;
  });
  ASSERT_TRUE(scheduler.run().ok());
  EXPECT_EQ(readers_inside_max, 3);
  EXPECT_EQ(writer_overlaps, 0);
}

TEST(SimRuntimeTest, MainContextTakesFreeLocksAndReadsTheVirtualClock) {
  Scheduler scheduler({}, 1);
  SimRuntime runtime(scheduler);
  std::unique_ptr<engine::Mutex> mutex = runtime.make_mutex("m");
  {
    std::lock_guard lock(*mutex);
  }
  runtime.yield(engine::YieldSite::kCacheHit);  // No run: nothing to decide.
  EXPECT_EQ(runtime.now_ns(), 0u);
  scheduler.advance_clock(5);
  EXPECT_EQ(runtime.now_ns(), 5u);
  runtime.record_op("put k", 1, 2, 3);
  EXPECT_EQ(scheduler.trace().event_count(), 4u);  // acquire, release, clock, op.
}

TEST(SimMutexDeathTest, TheMainContextCannotWaitForAFiber) {
  EXPECT_DEATH(
      {
        Scheduler scheduler({.steps_max = 10}, 1);
        SimMutex mutex(scheduler, "held");
        scheduler.spawn("holder", [&] {
          mutex.lock();
          while (true) scheduler.yield(kInside);
        });
        (void)scheduler.run();
        mutex.lock();
      },
      "main context would block on lock \"held\"");
}

}  // namespace
}  // namespace northstar::sim
