// ValidateScenario and the names of the scenario enums (spec/scenario_format.md).
#include "sim/scenario.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/scenario_io.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

using ::testing::HasSubstr;

Scenario Valid() {
  Scenario scenario;
  scenario.name = "test";
  scenario.scheduler.fibers_max = FibersMaxFor(scenario.workload);
  return scenario;
}

// The message ValidateScenario gives after `change` is applied to a valid scenario.
std::string ErrorAfter(const std::function<void(Scenario&)>& change) {
  Scenario scenario = Valid();
  change(scenario);
  const absl::Status status = ValidateScenario(scenario);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(ValidateScenarioTest, DefaultsWithANameAreValid) { EXPECT_OK(ValidateScenario(Valid())); }

// SF-10: the name.
TEST(ValidateScenarioTest, NameIsOneToSixtyFourLowerCaseCharacters) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.name = ""; }),
            "name: \"\" is not 1..64 characters of [a-z0-9-]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.name = "Smoke"; }), HasSubstr("\"Smoke\""));
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.name = "a b"; }), HasSubstr("name:"));
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.name = std::string(65, 'a'); }), HasSubstr("name:"));
  Scenario longest = Valid();
  longest.name = std::string(64, 'z');
  EXPECT_OK(ValidateScenario(longest));
}

TEST(ValidateScenarioTest, DescriptionIsBoundedUtf8) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.description = "bad \xc3("; }),
            "description: not valid UTF-8");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.description = "\xed\xa0\x80"; }),  // A surrogate.
            "description: not valid UTF-8");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.description = std::string(4097, 'x'); }),
            "description: 4097 bytes is more than 4096");
  Scenario unicode = Valid();
  unicode.description = "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x90\x9b\ttab \"quoted\"";
  EXPECT_OK(ValidateScenario(unicode));
}

// SF-20..SF-25: the engine.
TEST(ValidateScenarioTest, EngineRanges) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.engine.page_size_bytes = 5000; }),
            "engine.page_size_bytes: 5000 is not a power of two in [4096, 65536]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.engine.page_size_bytes = 2048; }),
              HasSubstr("page_size_bytes"));
  EXPECT_EQ(ErrorAfter([](Scenario& s) {
              s.engine.page_size_bytes = 65536;
              s.engine.cache_bytes = 65536 * 7;
            }),
            "engine.cache_bytes: 458752 is not in [524288, 1073741824]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.engine.checkpoint_log_bytes = 0; }),
              HasSubstr("engine.checkpoint_log_bytes: 0 is not in [1, "));
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.engine.log_preallocate_bytes = uint64_t{2} << 30; }),
              HasSubstr("engine.log_preallocate_bytes"));
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.engine.retained_snapshots = 1001; }),
            "engine.retained_snapshots: 1001 is not in [0, 1000]");
}

// SF-30..SF-44: the workload.
TEST(ValidateScenarioTest, WorkloadRanges) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.writers = 0; }),
            "workload.writers: 0 is not in [1, 16]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.readers = 100; }),
            "workload.readers: 100 is not in [0, 64]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.ops_per_transaction_max = 0; }),
            "workload.ops_per_transaction_max: 0 is not in [1, 100000]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.value_size_min_bytes = 300; }),
            "workload.value_size_max_bytes: 200 is not in [300, 16777216]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.zipf_theta = 0; }),
            "workload.zipf_theta: 0 is not in (0, 10)");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.abort_probability = 1.5; }),
            "workload.abort_probability: 1.5 is not in [0, 1]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.workload.big_value_probability = std::nan(""); }),
              HasSubstr("workload.big_value_probability: nan"));
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.key_space = 0; }),
            "workload.key_space: 0 is not in [1, 1000000000]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) {
                s.workload.ops_per_transaction_max = 100'000;
                s.workload.big_value_size_bytes = 1 << 20;
              }),
              HasSubstr("exceed a commit record's 1073741824 bytes"));
}

// SF-29, SF-26, SF-45: what a workload kind requires, and the code-graph sizes.
TEST(ValidateScenarioTest, WorkloadKinds) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) {
              s.workload.kind = WorkloadKind::kTaskQueue;
              s.workload.key_space = 1'000'001;
            }),
            "workload.key_space: 1000001 tasks is more than 1000000 (workload.kind = "
            "\"task-queue\")");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.kind = WorkloadKind::kTimeTravel; }),
            "engine.recycle_log: must be false for workload.kind = \"time-travel\" (its readers "
            "replay the log from its start)");
  EXPECT_EQ(ErrorAfter([](Scenario& s) {
              s.workload.kind = WorkloadKind::kTimeTravel;
              s.engine.recycle_log = false;
              s.engine.durability = DurabilityMode::kMetaFlip;
            }),
            "engine.durability: \"meta-flip\" keeps no log to replay (workload.kind = "
            "\"time-travel\")");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.code_graph.files_per_module = 10'000; }),
            "workload.code_graph.files_per_module: 10000 is not in [1, 9999]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.code_graph.calls_per_function = 65; }),
            "workload.code_graph.calls_per_function: 65 is not in [0, 64]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) {
              s.workload.code_graph = {.modules = 1000, .files_per_module = 100,
                                       .functions_per_file = 11};
            }),
            "workload.code_graph.functions_per_file: modules x files_per_module x "
            "functions_per_file = 1100000 functions, more than 1000000");
  // A task-queue transaction's operations carry longer keys and JSON around the payload.
  EXPECT_THAT(ErrorAfter([](Scenario& s) {
                s.workload.kind = WorkloadKind::kTaskQueue;
                s.workload.ops_per_transaction_max = 100'000;
                s.workload.big_value_size_bytes = 10'700;
              }),
              HasSubstr("exceed a commit record's"));
  for (WorkloadKind kind : {WorkloadKind::kKv, WorkloadKind::kTaskQueue,
                            WorkloadKind::kTimeTravel, WorkloadKind::kCodeGraph}) {
    Scenario scenario = Valid();
    scenario.workload.kind = kind;
    scenario.engine.recycle_log = kind != WorkloadKind::kTimeTravel;
    EXPECT_OK(ValidateScenario(scenario));
  }
}

TEST(ValidateScenarioTest, MixWeights) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.mix.as_of_read = 1001; }),
            "workload.mix.as_of_read: 1001 is not in [0, 1000]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.mix = OpMix{0, 0, 0, 0, 0, 0, 0}; }),
            "workload.mix: every weight is 0");
  Scenario one = Valid();
  one.workload.mix = OpMix{0, 0, 0, 0, 0, 0, 1};
  EXPECT_OK(ValidateScenario(one));
}

// SF-50..SF-59: the fault plan.
TEST(ValidateScenarioTest, FaultRanges) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.faults.crashes = 1001; }),
            "faults.crashes: 1001 is not in [0, 1000]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) {
              s.faults.crash_at_io = {5, 9, 9};
            }),
            "faults.crash_at_io: 9 after 9: the I/O indexes must be strictly ascending");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.faults.sector_size_bytes = 1024; }),
            "faults.sector_size_bytes: 1024 is not 512 or 4096");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.faults.disk.misdirected_write_probability = -0.5; }),
            "faults.misdirected_write_probability: -0.5 is not in [0, 1]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.faults.disk.read_latency_us_max = 2'000'000; }),
              HasSubstr("faults.read_latency_us_max"));
  Scenario ascending = Valid();
  ascending.faults.crash_at_io = {0, 1, 1000000};
  EXPECT_OK(ValidateScenario(ascending));
}

// SF-60..SF-66: the scheduler.
TEST(ValidateScenarioTest, SchedulerRanges) {
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.scheduler.switch_probability = 2; }),
            "scheduler.switch_probability: 2 is not in [0, 1]");
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.scheduler.pct_depth = 0; }),
            "scheduler.pct_depth: 0 is not in [1, 64]");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.scheduler.steps_max = 0; }),
              HasSubstr("scheduler.steps_max: 0 is not in [1, "));
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.scheduler.step_duration_ns = 0; }),
              HasSubstr("scheduler.step_duration_ns"));
  EXPECT_EQ(ErrorAfter([](Scenario& s) { s.workload.readers = 63; }),
            "scheduler.fibers_max: 4 is less than writers + readers + 1 = 65");
  EXPECT_THAT(ErrorAfter([](Scenario& s) { s.scheduler.stack_size_bytes = 1000; }),
              HasSubstr("scheduler.stack_size_bytes"));
}

TEST(ScenarioNamesTest, EveryNameReadsBackAsItsValue) {
  for (DurabilityMode mode :
       {DurabilityMode::kLog, DurabilityMode::kLogNoSync, DurabilityMode::kMetaFlip}) {
    EXPECT_EQ(DurabilityModeFromName(DurabilityModeName(mode)), mode);
  }
  for (KeyDistribution distribution :
       {KeyDistribution::kUniform, KeyDistribution::kZipf, KeyDistribution::kSequential}) {
    EXPECT_EQ(KeyDistributionFromName(KeyDistributionName(distribution)), distribution);
  }
  for (int index = 0; index <= static_cast<int>(Verdict::kWorkerCrash); index++) {
    const auto verdict = static_cast<Verdict>(index);
    EXPECT_EQ(VerdictFromName(VerdictName(verdict)), verdict);
  }
  for (StrategyKind kind :
       {StrategyKind::kRandomWalk, StrategyKind::kPct, StrategyKind::kRoundRobin}) {
    EXPECT_EQ(StrategyKindFromName(StrategyKindName(kind)), kind);
  }
  for (CrashPointMode mode : {CrashPointMode::kRandom, CrashPointMode::kEveryIo}) {
    EXPECT_EQ(CrashPointModeFromName(CrashPointModeName(mode)), mode);
  }
  for (WorkloadKind kind : {WorkloadKind::kKv, WorkloadKind::kTaskQueue,
                            WorkloadKind::kTimeTravel, WorkloadKind::kCodeGraph}) {
    EXPECT_EQ(WorkloadKindFromName(WorkloadKindName(kind)), kind);
  }
  EXPECT_EQ(DurabilityModeFromName("fsync"), std::nullopt);
  EXPECT_EQ(VerdictFromName("Pass"), std::nullopt);
}

TEST(ScenarioNamesTest, NamesAreTheDocumentedOnes) {
  EXPECT_STREQ(DurabilityModeName(DurabilityMode::kLogNoSync), "log-no-sync");
  EXPECT_STREQ(DurabilityModeName(DurabilityMode::kMetaFlip), "meta-flip");
  EXPECT_STREQ(KeyDistributionName(KeyDistribution::kSequential), "sequential");
  EXPECT_STREQ(VerdictName(Verdict::kSnapshotIsolation), "snapshot-isolation");
  EXPECT_STREQ(VerdictName(Verdict::kPageAccounting), "page-accounting");
  EXPECT_STREQ(VerdictName(Verdict::kWorkerCrash), "worker-crash");
  EXPECT_STREQ(VerdictName(Verdict::kCrashState), "crash-state");
  EXPECT_STREQ(CrashPointModeName(CrashPointMode::kEveryIo), "every-io");
  EXPECT_STREQ(WorkloadKindName(WorkloadKind::kTaskQueue), "task-queue");
  EXPECT_STREQ(WorkloadKindName(WorkloadKind::kCodeGraph), "code-graph");
  EXPECT_STREQ(VerdictName(Verdict::kTaskQueue), "task-queue");
  EXPECT_STREQ(VerdictName(Verdict::kCodeGraph), "code-graph");
}

}  // namespace
}  // namespace northstar::sim
