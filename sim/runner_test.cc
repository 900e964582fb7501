#include "sim/runner.h"

#include <set>

#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

Scenario Smoke(uint64_t seed) {
  Scenario scenario;
  scenario.name = "test-smoke";
  scenario.seed = seed;
  scenario.workload.transactions = 60;
  scenario.workload.reads_per_reader = 60;
  scenario.faults.crashes = 2;
  return scenario;
}

TEST(RunnerTest, SmokeScenarioPassesWithCrashesAndRecoveries) {
  for (uint64_t seed = 1; seed <= 20; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult result, RunScenario(Smoke(seed)));
    ASSERT_EQ(result.verdict, Verdict::kPass) << "seed " << seed << ": " << result.message;
    EXPECT_GE(result.stats.crashes, 1u) << "seed " << seed;
    EXPECT_GT(result.stats.commits, 0u);
    EXPECT_GT(result.stats.reads, 0u);
  }
}

TEST(RunnerTest, SameSeedSameTraceHashOtherSeedsDiffer) {
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult first, RunScenario(Smoke(seed)));
    ASSERT_OK_AND_ASSIGN(const RunResult second, RunScenario(Smoke(seed)));
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    hashes.insert(first.trace_hash);
  }
  EXPECT_EQ(hashes.size(), 10u);
}

TEST(RunnerTest, SeveralWritersTakeTurns) {
  Scenario scenario = Smoke(3);
  scenario.workload.writers = 3;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    scenario.seed = seed;
    ASSERT_OK_AND_ASSIGN(const RunResult result, RunScenario(scenario));
    ASSERT_EQ(result.verdict, Verdict::kPass) << "seed " << seed << ": " << result.message;
  }
}

TEST(RunnerTest, FaultyScenariosPass) {
  Scenario scenario = Smoke(7);
  scenario.faults.disk.write_error_probability = 0.01;
  scenario.faults.disk.sync_error_probability = 0.02;
  scenario.faults.disk.read_error_probability = 0.01;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    scenario.seed = seed;
    ASSERT_OK_AND_ASSIGN(const RunResult result, RunScenario(scenario));
    ASSERT_EQ(result.verdict, Verdict::kPass) << "seed " << seed << ": " << result.message;
  }
}

TEST(RunnerTest, TheDurabilityCheckerCatchesAcknowledgementsWithoutSync) {
  int caught = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult result,
                         RunScenario(Smoke(seed), {.planted_bug = PlantedBug::kAckWithoutSync}));
    if (result.verdict == Verdict::kDurability) caught++;
    EXPECT_TRUE(result.verdict == Verdict::kPass || result.verdict == Verdict::kDurability)
        << result.message;
  }
  EXPECT_GE(caught, 10) << "the planted bug must be caught by most seeds";
}

TEST(RunnerTest, AnInvalidScenarioIsAnError) {
  Scenario scenario = Smoke(1);
  scenario.engine.page_size_bytes = 5000;
  EXPECT_EQ(RunScenario(scenario).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace northstar::sim
