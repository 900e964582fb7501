#include "sim/determinism.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/scheduler.h"
#include "sim/sites.h"
#include "util/status.h"

namespace northstar::sim {
namespace {

using ::testing::HasSubstr;

struct Item {
  int id = 0;
};

// Spawns one fiber per item, in `items` order; each yields a few times.
absl::StatusOr<RunSummary> RunItems(uint64_t seed, TraceOptions trace_options,
                                    const std::vector<const Item*>& items) {
  Scheduler scheduler({.switch_probability = 0.5}, seed, trace_options);
  for (const Item* item : items) {
    scheduler.spawn(absl::StrCat("item-", item->id), [&scheduler] {
      for (int index = 0; index < 3; index++) scheduler.yield(kUserSiteBase);
    });
  }
  NS_RETURN_IF_ERROR(scheduler.run());
  return SummarizeTrace(scheduler.trace());
}

constexpr int kItemCount = 16;

TEST(DeterminismTest, ADeterministicRunPasses) {
  const RunFunction run = [](uint64_t seed, TraceOptions trace_options) {
    std::vector<std::unique_ptr<Item>> owned;
    std::vector<const Item*> items;
    for (int id = 0; id < kItemCount; id++) {
      owned.push_back(std::make_unique<Item>(Item{id}));
      items.push_back(owned.back().get());
    }
    return RunItems(seed, trace_options, items);
  };
  EXPECT_TRUE(CheckDeterminism(run, 1).ok());
  EXPECT_TRUE(CheckDeterminism(run, 2, /*window_events=*/8).ok());
}

// The bug the check exists for: fibers spawned in the iteration order of a hash set of
// pointers. Every run allocates fresh items while the earlier runs' items stay alive, so the
// addresses (and Abseil's salted hash of them) differ between two runs in one process.
TEST(DeterminismTest, IteratingAHashSetOfPointersIsCaughtAndTheFirstDifferingEventNamed) {
  std::vector<std::unique_ptr<Item>> keep_alive;
  const RunFunction run = [&keep_alive](uint64_t seed, TraceOptions trace_options) {
    absl::flat_hash_set<const Item*> set;
    for (int id = 0; id < kItemCount; id++) {
      keep_alive.push_back(std::make_unique<Item>(Item{id}));
      set.insert(keep_alive.back().get());
    }
    const std::vector<const Item*> items(set.begin(), set.end());
    return RunItems(seed, trace_options, items);
  };
  const absl::Status status = CheckDeterminism(run, 1, /*window_events=*/4);
  ASSERT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(status.message(), HasSubstr("nondeterminism: seed 1 ran twice"));
  EXPECT_THAT(status.message(), HasSubstr("first differing window"));
  EXPECT_THAT(status.message(), HasSubstr("first differing event #"));
  // The spawns differ first: the same fiber index names a different item.
  EXPECT_THAT(status.message(), HasSubstr("fiber_start site 258"));
  EXPECT_THAT(status.message(), HasSubstr("\"item-"));
  EXPECT_EQ(keep_alive.size(), 4u * kItemCount);  // Two runs, then two re-runs of one window.
}

TEST(DeterminismTest, ARunErrorIsReturnedAsIs) {
  const RunFunction run = [](uint64_t, TraceOptions) -> absl::StatusOr<RunSummary> {
    return absl::UnavailableError("disk halted");
  };
  EXPECT_EQ(CheckDeterminism(run, 1).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace northstar::sim
