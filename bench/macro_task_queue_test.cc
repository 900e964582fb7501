// macro/task_queue_claims counts duplicates from the database: zero on a real run (with the count
// of claims the scan found equal to the claims the agents made), above zero with a planted double
// claim, and then the run fails as it would on a real one (bench/macro_task_queue.h).
#include "bench/macro_task_queue.h"

#include <limits>
#include <memory>
#include <string>

#include "bench/harness.h"
#include "bench/runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar::bench {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kAgents = 8;  // The benchmark's agents, each claiming once per op here.
constexpr uint64_t kMeasuredOps = 3;
constexpr uint64_t kWarmupOps = 1;

double Extra(const nlohmann::json& extra, const std::string& name) {
  return extra.value(name, std::numeric_limits<double>::quiet_NaN());
}

class MacroTaskQueueTest : public ::testing::Test {
 protected:
  // One repeat through the harness of macro/task_queue_claims made with `plant`.
  absl::StatusOr<RepeatResult> Run(std::optional<PlantedDoubleClaim> plant) {
    const BenchSpec* registered = nullptr;
    for (const BenchSpec& spec : Benchmarks()) {
      if (spec.name == "macro/task_queue_claims") registered = &spec;
    }
    if (registered == nullptr) return absl::NotFoundError("macro/task_queue_claims");
    BenchSpec spec = *registered;
    spec.make = [plant] { return MakeTaskQueueClaims(plant); };
    RunOptions options{.fs = &fs_,
                       .dir = dir_.path(),
                       .scale = 0.001,
                       .repeats = 1,
                       .ops = kMeasuredOps,
                       .warmup_ops = kWarmupOps};
    return RunRepeat(spec, options, 0, SystemInfo{});
  }

  // The case driven by hand: setup and `ops` ops; the first failing op's status.
  absl::Status Drive(BenchCase& bench_case, uint64_t ops) {
    const BenchEnv env{.fs = &fs_,
                       .dir = dir_.path(),
                       .backend = "posix",
                       .scale = 0.001,
                       .ops = ops,
                       .warmup_ops = 0};
    NS_RETURN_IF_ERROR(bench_case.setup(env));
    for (uint64_t index = 0; index < ops; index++) NS_RETURN_IF_ERROR(bench_case.op(index));
    return absl::OkStatus();
  }

  vfs::PosixFileSystem fs_;
  ScopedTempDir dir_{"macro_task_queue"};
};

TEST_F(MacroTaskQueueTest, ARealRunCountsEveryClaimAndNoDuplicate) {
  ASSERT_OK_AND_ASSIGN(const RepeatResult result, Run(std::nullopt));
  EXPECT_EQ(Extra(result.extra, "claims_in_database"), (kMeasuredOps + kWarmupOps) * kAgents);
  EXPECT_EQ(Extra(result.extra, "duplicate_claims"), 0);
  EXPECT_EQ(Extra(result.extra, "duplicate_rate"), 0);
}

// The second claim lands in the round that claimed the task: the op's own check fails the run,
// and its message carries the scan's count.
TEST_F(MacroTaskQueueTest, PlantedDoubleClaimInItsRoundFailsThatOpWithTheCount) {
  const absl::StatusOr<RepeatResult> result =
      Run(PlantedDoubleClaim{.at_op = kWarmupOps + 1, .task_of_op = kWarmupOps + 1});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("measured of op 2"));
  EXPECT_THAT(result.status().message(), HasSubstr("has 2 claims"));
  EXPECT_THAT(result.status().message(),
              HasSubstr("the database holds 25 claims of 24 tasks: 1 duplicate claims on 1 tasks"));
}

// The second claim is of a task an earlier round claimed: the op checks miss it, the scan of
// every claim after the measured ops finds it and fails the run.
TEST_F(MacroTaskQueueTest, PlantedDoubleClaimOfAnEarlierRoundFailsTheRunAtVerify) {
  const absl::StatusOr<RepeatResult> result =
      Run(PlantedDoubleClaim{.at_op = kWarmupOps + kMeasuredOps - 1, .task_of_op = 0});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("verify after the measured ops"));
  EXPECT_THAT(result.status().message(),
              HasSubstr("the database holds 33 claims of 32 tasks: 1 duplicate claims on 1 tasks "
                        "(duplicate rate 0.030303)"));
  EXPECT_THAT(result.status().message(), HasSubstr("where the agents made 32 claims"));
}

// The figures a result file would carry, read from the case itself after a planted double claim.
TEST_F(MacroTaskQueueTest, PlantedDoubleClaimIsReportedAsADuplicateRateAboveZero) {
  std::unique_ptr<BenchCase> bench_case =
      MakeTaskQueueClaims(PlantedDoubleClaim{.at_op = 1, .task_of_op = 0});
  ASSERT_OK(Drive(*bench_case, 2));
  EXPECT_THAT(bench_case->verify().message(), HasSubstr("1 duplicate claims on 1 tasks"));
  const nlohmann::json extra = bench_case->extra_metrics();
  EXPECT_EQ(Extra(extra, "claims_in_database"), 2 * kAgents + 1);
  EXPECT_EQ(Extra(extra, "duplicate_claims"), 1);
  EXPECT_DOUBLE_EQ(Extra(extra, "duplicate_rate"), 1.0 / (2 * kAgents + 1));
  bench_case->teardown();
}

}  // namespace
}  // namespace northstar::bench
