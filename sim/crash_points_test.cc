// Crash-point enumeration (sim/crash_points.h, spec/fault_model.md FM-12).
#include "sim/crash_points.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

using ::testing::HasSubstr;

// A short workload: a dozen transactions, a small log that checkpoints and wraps, a reader.
Scenario Short(uint64_t seed) {
  Scenario scenario;
  scenario.name = "test-crash-points";
  scenario.seed = seed;
  scenario.engine.checkpoint_log_bytes = 4096;
  scenario.engine.log_preallocate_bytes = 16384;
  scenario.workload.readers = 1;
  scenario.workload.transactions = 12;
  scenario.workload.ops_per_transaction_max = 6;
  scenario.workload.key_space = 100;
  scenario.workload.reads_per_reader = 10;
  scenario.faults.crash_points = CrashPointMode::kEveryIo;
  return scenario;
}

TEST(CrashPointsTest, TheEnumerationCoversEveryIoIndexAndEveryVariantOfEachWrite) {
  const Scenario scenario = Short(1);
  const CrashPointReference reference = RunCrashPointReference(scenario, {});
  ASSERT_EQ(reference.result.verdict, Verdict::kPass) << reference.result.message;
  const CrashStatePlan& plan = reference.plan;
  ASSERT_GT(plan.io_count(), 50u);
  // Every I/O of the reference run, which ends with its workload (no crash, no recovery).
  EXPECT_EQ(plan.io_count(), reference.result.stats.ios);
  EXPECT_EQ(reference.result.stats.crashes, 0u);
  uint64_t writes = 0;
  uint64_t states = 0;
  for (uint64_t io_index = 1; io_index <= plan.io_count(); io_index++) {
    const std::vector<CrashState> at = plan.states_at(io_index);
    ASSERT_EQ(at.size(), plan.variant_count(io_index));
    states += at.size();
    if (at.size() == 1) {
      EXPECT_EQ(at[0], (CrashState{io_index, -1}));
      continue;
    }
    writes++;
    ASSERT_GE(at.size(), 3u);  // None, all, torn: at least.
    for (size_t variant = 0; variant < at.size(); variant++) {
      EXPECT_EQ(at[variant], (CrashState{io_index, static_cast<int64_t>(variant)}));
    }
    EXPECT_THAT(plan.describe(at.back()), HasSubstr("torn inside"));
  }
  EXPECT_GT(writes, 10u);
  EXPECT_EQ(states, plan.state_count());

  const CrashStatesResult run = RunCrashStates(scenario, plan, 1, plan.io_count(), {});
  EXPECT_EQ(run.verdict, Verdict::kPass) << run.message;
  EXPECT_EQ(run.stats.crash_io_indexes, plan.io_count());
  EXPECT_EQ(run.stats.crash_states, plan.state_count());
  EXPECT_EQ(run.stats.crashes, plan.state_count()) << "one crash per crash state";
  EXPECT_EQ(run.stats.recoveries, plan.state_count()) << "each checked after recovery";
}

TEST(CrashPointsTest, WithoutTornWritesAWriteHasNoTornVariant) {
  Scenario scenario = Short(2);
  scenario.faults.torn_writes = false;
  const CrashPointReference reference = RunCrashPointReference(scenario, {});
  ASSERT_EQ(reference.result.verdict, Verdict::kPass) << reference.result.message;
  for (uint64_t io_index = 1; io_index <= reference.plan.io_count(); io_index++) {
    for (const CrashState& state : reference.plan.states_at(io_index)) {
      EXPECT_THAT(reference.plan.describe(state), testing::Not(HasSubstr("torn")));
    }
  }
}

TEST(CrashPointsTest, TheEngineAsIsPassesEveryCrashState) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    const Scenario scenario = Short(seed);
    ASSERT_OK_AND_ASSIGN(const RunResult result, RunScenario(scenario));
    EXPECT_EQ(result.verdict, Verdict::kPass) << "seed " << seed << ": " << result.message;
    EXPECT_GT(result.stats.crash_states, result.stats.crash_io_indexes);
    EXPECT_EQ(result.repro_scenario, std::nullopt);
  }
}

// EIO stops the workload's fibers and ends epochs in crashes of their own: the crash states
// after those still come exactly at their I/O index (the runner asserts it).
TEST(CrashPointsTest, FaultsThatEndEpochsEarlyStillReachEveryCrashPoint) {
  Scenario scenario = Short(7);
  scenario.faults.disk.write_error_probability = 0.02;
  scenario.faults.disk.sync_error_probability = 0.05;
  const CrashPointReference reference = RunCrashPointReference(scenario, {});
  ASSERT_EQ(reference.result.verdict, Verdict::kPass) << reference.result.message;
  EXPECT_GT(reference.result.stats.crashes, 0u) << "the faults should end an epoch";
  const CrashStatesResult run =
      RunCrashStates(scenario, reference.plan, 1, reference.plan.io_count(), {});
  EXPECT_EQ(run.verdict, Verdict::kPass) << run.message;
  EXPECT_EQ(run.stats.crash_io_indexes, reference.plan.io_count());
  EXPECT_EQ(run.stats.crash_states, reference.plan.state_count());
}

TEST(CrashPointsTest, SplittingTheRangesGivesTheSameResult) {
  const Scenario scenario = Short(4);
  const CrashPointReference reference = RunCrashPointReference(scenario, {});
  const uint64_t io_count = reference.plan.io_count();
  const uint64_t middle = io_count / 3;
  const RunResult whole = RunCrashPoints(scenario, {});
  const RunResult split =
      MergeCrashPointResults(scenario, reference,
                             {RunCrashStates(scenario, reference.plan, middle + 1, io_count, {}),
                              RunCrashStates(scenario, reference.plan, 1, middle, {})});
  EXPECT_EQ(split.verdict, Verdict::kPass);
  EXPECT_EQ(split.trace_hash, whole.trace_hash);
  EXPECT_EQ(split.stats.crash_states, whole.stats.crash_states);
  EXPECT_EQ(split.stats.steps, whole.stats.steps);
  ASSERT_OK_AND_ASSIGN(const RunResult again, RunScenario(scenario));
  EXPECT_EQ(again.trace_hash, whole.trace_hash) << "deterministic";
}

// A planted bug (commits acknowledged without a log sync) fails a crash state, named by its I/O
// index and variant; the single-point scenario of that state reproduces the verdict alone, with
// the same trace hash.
TEST(CrashPointsTest, APlantedBugFailsACrashStateWhoseScenarioReproducesIt) {
  const Scenario scenario = Short(5);
  const RunOptions planted{.planted_bug = PlantedBug::kAckWithoutSync};
  ASSERT_OK_AND_ASSIGN(const RunResult result, RunScenario(scenario, planted));
  ASSERT_EQ(result.verdict, Verdict::kDurability) << result.message;
  EXPECT_THAT(result.message, testing::StartsWith("durability: crash state I/O "));
  ASSERT_TRUE(result.repro_scenario.has_value());
  const Scenario& point = *result.repro_scenario;
  EXPECT_EQ(point.faults.crash_points, CrashPointMode::kRandom);
  EXPECT_EQ(point.faults.crashes, 0u);
  ASSERT_EQ(point.faults.crash_at_io.size(), 1u);
  EXPECT_THAT(result.message,
              HasSubstr(absl::StrFormat("crash state I/O %d", point.faults.crash_at_io[0])));
  EXPECT_GE(point.faults.crash_last_write_variant, -1);
  EXPECT_GT(result.stats.crash_states, 0u);

  ASSERT_OK_AND_ASSIGN(const RunResult alone, RunScenario(point, planted));
  EXPECT_EQ(alone.verdict, Verdict::kDurability) << alone.message;
  EXPECT_EQ(alone.trace_hash, result.trace_hash);
  EXPECT_EQ(alone.stats.crashes, 1u);
  // Without the bug, the same crash state passes.
  ASSERT_OK_AND_ASSIGN(const RunResult fixed, RunScenario(point));
  EXPECT_EQ(fixed.verdict, Verdict::kPass) << fixed.message;
}

TEST(CrashPointsTest, CrashStateScenarioIsAnOrdinaryScenarioWithOneCrash) {
  Scenario scenario = Short(6);
  scenario.faults.crashes = 7;
  scenario.faults.crash_at_io = {3, 9};
  const Scenario point = CrashStateScenario(scenario, {812, 3});
  EXPECT_EQ(point.faults.crash_points, CrashPointMode::kRandom);
  EXPECT_EQ(point.faults.crashes, 0u);
  EXPECT_EQ(point.faults.crash_at_io, std::vector<uint64_t>{812});
  EXPECT_EQ(point.faults.crash_last_write_variant, 3);
  EXPECT_EQ(point.workload.transactions, scenario.workload.transactions);
  EXPECT_TRUE(ValidateScenario(point).ok());
}

}  // namespace
}  // namespace northstar::sim
