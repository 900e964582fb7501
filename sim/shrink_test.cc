#include "sim/shrink.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

// scenarios/smoke.toml's settings: one writer, two readers, 200 transactions of 1..16
// operations on 500 keys, two random crashes with torn writes.
Scenario Smoke(uint64_t seed) {
  Scenario scenario;
  scenario.name = "smoke";
  scenario.seed = seed;
  scenario.engine.checkpoint_log_bytes = 32 << 10;
  scenario.workload.ops_per_transaction_max = 16;
  scenario.workload.key_space = 500;
  return scenario;
}

ShrinkOptions AckWithoutSync() {
  ShrinkOptions options;
  options.planted_bug = PlantedBug::kAckWithoutSync;
  return options;
}

TEST(ShrinkTest, APlantedDurabilityBugShrinksBelowATenthOfTheOperations) {
  std::vector<ShrinkStep> steps;
  ShrinkOptions options = AckWithoutSync();
  options.on_step = [&](const ShrinkStep& step) { steps.push_back(step); };
  ASSERT_OK_AND_ASSIGN(const ShrinkResult result, Shrink(Smoke(0x2), options));
  ASSERT_TRUE(result.failed);
  EXPECT_EQ(result.verdict, Verdict::kDurability);
  EXPECT_EQ(result.shrunk.verdict, Verdict::kDurability);
  EXPECT_EQ(result.scenario.expect, Verdict::kDurability);
  EXPECT_EQ(result.scenario.seed, 0x2u);
  EXPECT_FALSE(result.budget_spent);
  EXPECT_GT(result.before.ops, 0u);
  EXPECT_LT(result.after.ops * 10, result.before.ops)
      << result.before.ops << " -> " << result.after.ops;
  EXPECT_LE(result.after.fibers, result.before.fibers);
  EXPECT_OK(ValidateScenario(result.scenario));
  EXPECT_EQ(result.scenario.scheduler.fibers_max,
            result.scenario.workload.writers + result.scenario.workload.readers + 1);
  ASSERT_FALSE(steps.empty());
  for (const ShrinkStep& step : steps) EXPECT_NE(step.from, step.to) << step.field;
  EXPECT_EQ(steps.back().stats.ops, result.after.ops);

  // The shrunk scenario reproduces on its own, with the same trace.
  RunOptions run_options;
  run_options.planted_bug = PlantedBug::kAckWithoutSync;
  ASSERT_OK_AND_ASSIGN(const RunResult again, RunScenario(result.scenario, run_options));
  EXPECT_EQ(again.verdict, Verdict::kDurability);
  EXPECT_EQ(again.trace_hash, result.shrunk.trace_hash);
  EXPECT_EQ(again.stats.ops, result.after.ops);
}

TEST(ShrinkTest, APassingScenarioIsReportedAsNotFailing) {
  const Scenario smoke = Smoke(0x2);
  ASSERT_OK_AND_ASSIGN(const ShrinkResult result, Shrink(smoke));
  EXPECT_FALSE(result.failed);
  EXPECT_EQ(result.verdict, Verdict::kPass);
  EXPECT_EQ(result.runs, 1u);
  EXPECT_EQ(result.scenario.workload.transactions, smoke.workload.transactions);
  EXPECT_EQ(result.scenario.expect, Verdict::kPass);
  EXPECT_EQ(result.before.ops, result.after.ops);
}

TEST(ShrinkTest, AnotherVerdictThanTheTargetIsNotShrunk) {
  ShrinkOptions options = AckWithoutSync();
  options.target = Verdict::kAtomicity;
  ASSERT_OK_AND_ASSIGN(const ShrinkResult result, Shrink(Smoke(0x2), options));
  EXPECT_FALSE(result.failed);
  EXPECT_EQ(result.verdict, Verdict::kDurability);
  EXPECT_EQ(result.runs, 1u);
}

TEST(ShrinkTest, AnInvalidScenarioIsAnError) {
  Scenario scenario = Smoke(0x2);
  scenario.workload.readers = 100;
  const absl::StatusOr<ShrinkResult> result = Shrink(scenario);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), ::testing::HasSubstr("workload.readers"));
}

// A stand-in for the runner: a structure failure exactly when the scenario has at least two
// writers, 37 transactions, and a crash point at I/O 500 or later. Its ops count grows with the
// workload, so that every field not needed for the failure goes to its floor.
absl::StatusOr<RunResult> FakeRun(const Scenario& scenario, uint32_t& runs) {
  runs++;
  const WorkloadConfig& workload = scenario.workload;
  RunResult result;
  result.stats.ops = uint64_t{workload.writers + workload.readers} * workload.transactions *
                     workload.ops_per_transaction_max;
  const std::vector<uint64_t>& points = scenario.faults.crash_at_io;
  const bool late_crash = !points.empty() && points.back() >= 500;
  if (workload.writers >= 2 && workload.transactions >= 37 && late_crash) {
    result.verdict = Verdict::kStructure;
  }
  return result;
}

TEST(ShrinkTest, EachFieldGoesToItsFloorOrTheSmallestValueThatStillFails) {
  Scenario scenario = Smoke(0x7);
  scenario.workload.writers = 5;
  scenario.workload.transactions = 1000;
  scenario.workload.key_distribution = KeyDistribution::kZipf;
  scenario.faults.crash_at_io = {10, 20, 300, 700, 900};
  scenario.faults.disk.read_error_probability = 0.01;
  scenario.faults.disk.capacity_bytes = 1 << 20;
  scenario.scheduler.strategy = StrategyKind::kPct;
  scenario.scheduler.pct_depth = 5;
  uint32_t runs = 0;
  ShrinkOptions options;
  options.run = [&](const Scenario& candidate) { return FakeRun(candidate, runs); };
  ASSERT_OK_AND_ASSIGN(const ShrinkResult result, Shrink(scenario, options));
  ASSERT_TRUE(result.failed);
  EXPECT_EQ(result.verdict, Verdict::kStructure);
  EXPECT_EQ(result.runs, runs);
  const Scenario& shrunk = result.scenario;
  EXPECT_EQ(shrunk.workload.writers, 2u);
  EXPECT_EQ(shrunk.workload.transactions, 37u);
  EXPECT_EQ(shrunk.faults.crash_at_io, std::vector<uint64_t>({500}));
  EXPECT_EQ(shrunk.workload.readers, 0u);
  EXPECT_EQ(shrunk.workload.reads_per_reader, 0u);
  EXPECT_EQ(shrunk.workload.ops_per_transaction_max, 1u);
  EXPECT_EQ(shrunk.workload.key_space, 1u);
  EXPECT_EQ(shrunk.workload.key_distribution, KeyDistribution::kUniform);
  EXPECT_EQ(shrunk.workload.value_size_max_bytes, 0u);
  EXPECT_EQ(shrunk.workload.big_value_probability, 0);
  EXPECT_EQ(shrunk.workload.abort_probability, 0);
  EXPECT_EQ(shrunk.faults.crashes, 0u);
  EXPECT_FALSE(shrunk.faults.torn_writes);
  EXPECT_EQ(shrunk.faults.disk.read_error_probability, 0);
  EXPECT_EQ(shrunk.faults.disk.capacity_bytes, 0u);
  EXPECT_EQ(shrunk.scheduler.strategy, StrategyKind::kRoundRobin);
  EXPECT_EQ(result.after.faults, 0u);
  EXPECT_EQ(result.after.crashes, 1u);
  // One weight stays (they may not all be 0).
  const OpMix& mix = shrunk.workload.mix;
  EXPECT_EQ(mix.put + mix.del + mix.get + mix.range_scan + mix.prefix_scan + mix.reverse_scan +
                mix.as_of_read,
            1u);
}

TEST(ShrinkTest, TheRunBudgetStopsTheSearchWithAScenarioThatStillFails) {
  uint32_t runs = 0;
  Scenario scenario = Smoke(0x7);
  scenario.workload.writers = 5;
  scenario.faults.crash_at_io = {600};
  ShrinkOptions options;
  options.run = [&](const Scenario& candidate) { return FakeRun(candidate, runs); };
  options.runs_max = 4;
  ASSERT_OK_AND_ASSIGN(const ShrinkResult result, Shrink(scenario, options));
  EXPECT_TRUE(result.budget_spent);
  EXPECT_EQ(runs, 4u);
  EXPECT_EQ(result.shrunk.verdict, Verdict::kStructure);
  EXPECT_GE(result.scenario.workload.writers, 2u);
}

}  // namespace
}  // namespace northstar::sim
