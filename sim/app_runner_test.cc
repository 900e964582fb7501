// The application workloads end to end (workload.kind = "task-queue", "time-travel",
// "code-graph"): they pass with crashes, do what they say (claims, completions, as-of snapshots
// and log replays, queries; as the trace shows), stay deterministic, and each one's checks catch
// a planted bug of its own.
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/runner.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {

using ::testing::HasSubstr;

Scenario TaskQueue(uint64_t seed) {
  Scenario scenario;
  scenario.name = "test-task-queue";
  scenario.seed = seed;
  scenario.workload.kind = WorkloadKind::kTaskQueue;
  scenario.workload.writers = 4;
  scenario.workload.readers = 2;
  scenario.workload.transactions = 40;
  scenario.workload.ops_per_transaction_max = 6;
  scenario.workload.key_space = 80;
  scenario.workload.reads_per_reader = 30;
  scenario.faults.crashes = 2;
  scenario.scheduler.fibers_max = 7;
  return scenario;
}

Scenario TimeTravel(uint64_t seed) {
  Scenario scenario;
  scenario.name = "test-time-travel";
  scenario.seed = seed;
  scenario.workload.kind = WorkloadKind::kTimeTravel;
  scenario.engine.recycle_log = false;
  scenario.engine.retained_snapshots = 10;
  scenario.workload.transactions = 120;
  scenario.workload.ops_per_transaction_max = 4;
  scenario.workload.key_space = 100;
  scenario.workload.reads_per_reader = 60;
  scenario.workload.mix.as_of_read = 60;
  scenario.faults.crashes = 2;
  return scenario;
}

Scenario CodeGraph(uint64_t seed) {
  Scenario scenario;
  scenario.name = "test-code-graph";
  scenario.seed = seed;
  scenario.workload.kind = WorkloadKind::kCodeGraph;
  scenario.workload.writers = 3;
  scenario.workload.readers = 2;
  scenario.workload.ops_per_transaction_max = 30;
  scenario.workload.reads_per_reader = 60;
  scenario.workload.code_graph = {.modules = 5, .files_per_module = 3, .functions_per_file = 6,
                                  .calls_per_function = 3, .imports_per_file = 2};
  scenario.faults.crashes = 2;
  scenario.scheduler.fibers_max = 6;
  return scenario;
}

struct Traced {
  RunResult result;
  std::string trace;  // JSON lines.
};

Traced RunTraced(const Scenario& scenario, PlantedBug bug = PlantedBug::kNone) {
  std::ostringstream trace;
  RunOptions options{.planted_bug = bug, .trace_json_lines = &trace};
  options.trace.keep_events = true;
  absl::StatusOr<RunResult> result = RunScenario(scenario, options);
  EXPECT_TRUE(result.ok()) << result.status();
  return {result.ok() ? *result : RunResult{}, trace.str()};
}

size_t CountOps(const std::string& trace, const std::string& op) {
  const std::string needle = absl::StrFormat("\"text\":\"%s\"", op);
  size_t count = 0;
  for (size_t at = trace.find(needle); at != std::string::npos; at = trace.find(needle, at + 1)) {
    count++;
  }
  return count;
}

TEST(TaskQueueRunTest, PassesWithCrashesWhileAgentsClaimAndCompleteTasks) {
  size_t claims = 0;
  size_t completions = 0;
  size_t queue_reads = 0;
  for (uint64_t seed = 1; seed <= 12; seed++) {
    const Traced run = RunTraced(TaskQueue(seed));
    ASSERT_EQ(run.result.verdict, Verdict::kPass) << "seed " << seed << ": " << run.result.message;
    EXPECT_GE(run.result.stats.crashes, 1u) << "seed " << seed;
    EXPECT_GT(run.result.stats.commits, 20u) << "seed " << seed;
    EXPECT_GT(CountOps(run.trace, "produce"), 0u) << "seed " << seed;
    claims += CountOps(run.trace, "claim");
    completions += CountOps(run.trace, "complete");
    queue_reads += CountOps(run.trace, "queue");
  }
  EXPECT_GT(claims, 200u);
  EXPECT_GT(completions, 100u);
  EXPECT_GT(queue_reads, 100u);
}

TEST(TaskQueueRunTest, SameSeedSameTraceHash) {
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 4; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult first, RunScenario(TaskQueue(seed)));
    ASSERT_OK_AND_ASSIGN(const RunResult second, RunScenario(TaskQueue(seed)));
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    hashes.insert(first.trace_hash);
  }
  EXPECT_EQ(hashes.size(), 4u);
}

// The planted bug: agents skip the check for an existing claim. The engine stores what it is
// given and the model follows it, so durability, atomicity, crash-state and snapshot isolation
// all hold; only the task-queue checker sees two agents holding one task.
TEST(TaskQueueRunTest, TheTaskQueueCheckerCatchesAgentsClaimingWithoutChecking) {
  int caught = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    const Traced run = RunTraced(TaskQueue(seed), PlantedBug::kClaimWithoutCheck);
    ASSERT_EQ(run.result.verdict, Verdict::kTaskQueue) << "seed " << seed << ": "
                                                       << run.result.message;
    EXPECT_THAT(run.result.message, HasSubstr(" claims (agents "));
    caught++;
  }
  EXPECT_EQ(caught, 10);
}

// CO-14 in a run: with acknowledgements that are not durable (PlantedBug::kAckWithoutSync), a
// crash loses acknowledged claims, and the task-queue recovery check (which looks before the
// crash-state checkers) says which.
TEST(TaskQueueRunTest, TheRecoveryCheckReportsAcknowledgedClaimsLostInACrash) {
  int lost_claims = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult result,
                         RunScenario(TaskQueue(seed), {.planted_bug = PlantedBug::kAckWithoutSync}));
    EXPECT_TRUE(result.verdict == Verdict::kPass || result.verdict == Verdict::kTaskQueue ||
                result.verdict == Verdict::kDurability)
        << "seed " << seed << ": " << result.message;
    if (result.verdict == Verdict::kTaskQueue) {
      EXPECT_THAT(result.message, HasSubstr("which was acknowledged"));
      EXPECT_THAT(result.message, HasSubstr("is missing"));
      lost_claims++;
    }
  }
  EXPECT_GE(lost_claims, 3);
}

TEST(TimeTravelRunTest, PassesWithCrashesReadingPastCommitsBothWays) {
  size_t snapshots = 0;
  size_t replays = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    const Traced run = RunTraced(TimeTravel(seed));
    ASSERT_EQ(run.result.verdict, Verdict::kPass) << "seed " << seed << ": " << run.result.message;
    EXPECT_GE(run.result.stats.crashes, 1u) << "seed " << seed;
    snapshots += CountOps(run.trace, "as-of-snapshot");
    replays += CountOps(run.trace, "as-of-replay");
  }
  EXPECT_GT(snapshots, 100u);
  EXPECT_GT(replays, 30u);
}

TEST(TimeTravelRunTest, SameSeedSameTraceHash) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult first, RunScenario(TimeTravel(seed)));
    ASSERT_OK_AND_ASSIGN(const RunResult second, RunScenario(TimeTravel(seed)));
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
  }
}

// The as-of checks fire on an off-by-one AS OF (PlantedBug::kAsOfOffByOne), through both
// begin_read_at and the log replay.
TEST(TimeTravelRunTest, TheAsOfChecksCatchAnOffByOne) {
  std::map<std::string, int> caught;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    // With no retained snapshots, past commits are mostly read by replaying the log.
    for (uint32_t retained : {10, 0}) {
      Scenario scenario = TimeTravel(seed);
      scenario.engine.retained_snapshots = retained;
      ASSERT_OK_AND_ASSIGN(const RunResult result,
                           RunScenario(scenario, {.planted_bug = PlantedBug::kAsOfOffByOne}));
      ASSERT_EQ(result.verdict, Verdict::kSnapshotIsolation)
          << "seed " << seed << ": " << result.message;
      for (const char* path : {"begin_read_at", "the log replayed"}) {
        if (result.message.find(path) != std::string::npos) caught[path]++;
      }
    }
  }
  EXPECT_GE(caught["begin_read_at"], 5);
  EXPECT_GE(caught["the log replayed"], 5);
}

TEST(CodeGraphRunTest, IngestsTheWholeRepositoryThroughCrashesAndAnswersItsQueries) {
  for (uint64_t seed = 1; seed <= 10; seed++) {
    const Traced run = RunTraced(CodeGraph(seed));
    ASSERT_EQ(run.result.verdict, Verdict::kPass) << "seed " << seed << ": " << run.result.message;
    EXPECT_GE(run.result.stats.crashes, 1u) << "seed " << seed;
    // Once per run, the writer completing the ingest checks every module's dependencies and
    // listing and the callers of 64 functions at most (every other one of the 90) against the
    // generator: 5 + 5 + 45 queries, besides the readers' own on complete snapshots.
    EXPECT_EQ(CountOps(run.trace, "verify-ingest"), 1u) << "seed " << seed;
    EXPECT_GE(CountOps(run.trace, "answer-checked"), 55u) << "seed " << seed;
    for (const char* query : {"lookup", "path-scan", "dependencies", "callers"}) {
      EXPECT_GT(CountOps(run.trace, query), 0u) << "seed " << seed << ": " << query;
    }
  }
}

TEST(CodeGraphRunTest, SameSeedSameTraceHash) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult first, RunScenario(CodeGraph(seed)));
    ASSERT_OK_AND_ASSIGN(const RunResult second, RunScenario(CodeGraph(seed)));
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
  }
}

// The planted bug: after a crash, writers resume their ingest one record too far. The engine
// and the model agree on every commit, so only the code-graph checker sees the hole.
TEST(CodeGraphRunTest, TheCodeGraphCheckerCatchesAnIngestThatResumesTooFar) {
  int caught = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    ASSERT_OK_AND_ASSIGN(const RunResult result,
                         RunScenario(CodeGraph(seed), {.planted_bug = PlantedBug::kIngestResumeSkips}));
    EXPECT_TRUE(result.verdict == Verdict::kPass || result.verdict == Verdict::kCodeGraph)
        << "seed " << seed << ": " << result.message;
    if (result.verdict == Verdict::kCodeGraph) {
      EXPECT_THAT(result.message, HasSubstr("code-graph: "));
      caught++;
    }
  }
  EXPECT_GE(caught, 7);
}

}  // namespace
}  // namespace northstar::sim
