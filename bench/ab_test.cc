// The A/B judge (bench/ab.h): the sign test's interval, and verdicts on rounds whose figures
// the test sets (seeded noise), so that nothing here depends on this machine's timing.
#include "bench/ab.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/random.h"

namespace northstar::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(SignTestIntervalTest, ExactCoverageFromTheBinomial) {
  // n = 10 at 95%: k = 2, coverage 1 - 2 * (1 + 10) / 1024.
  const std::optional<MedianInterval> ten =
      SignTestInterval({9, 1, 8, 2, 7, 3, 6, 4, 5, 10}, 0.95);
  ASSERT_TRUE(ten.has_value());
  EXPECT_EQ(ten->low, 2);
  EXPECT_EQ(ten->high, 9);
  EXPECT_DOUBLE_EQ(ten->coverage, 1 - 22.0 / 1024);
  // Five rounds cannot reach 95% (the widest interval covers 1 - 2/32); six can.
  EXPECT_FALSE(SignTestInterval({1, 2, 3, 4, 5}, 0.95).has_value());
  EXPECT_EQ(AbRoundsNeeded(0.95), 6u);
  EXPECT_EQ(AbRoundsNeeded(0.99), 8u);
}

// Rounds whose B is A stretched by `slowdown`, each figure with seeded noise of +-`noise`.
AbRounds Rounds(double slowdown, double noise, uint64_t seed, size_t count = 10) {
  Rng rng(seed);
  const auto jitter = [&] { return 1 + noise * (2 * rng.NextDouble() - 1); };
  AbRounds rounds{.benchmark = "sim/fiber_switch"};
  for (size_t r = 0; r < count; r++) {
    rounds.a_throughput.push_back(1e6 * jitter());
    rounds.b_throughput.push_back(1e6 / (1 + slowdown) * jitter());
  }
  return rounds;
}

TEST(JudgeAbTest, APlantedSlowdownFailsAndAnUnchangedBuildPasses) {
  const AbThresholds thresholds;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    const AbVerdict slow = JudgeAb(Rounds(0.2, 0.03, seed), thresholds);
    EXPECT_THAT(slow.failures, ElementsAre(HasSubstr("surely below 0.950x"))) << seed;
    EXPECT_NEAR(slow.ratio, 1 / 1.2, 0.03);
    EXPECT_LT(slow.ratio_high, 0.95);
    const AbVerdict same = JudgeAb(Rounds(0, 0.03, seed + 100), thresholds);
    EXPECT_THAT(same.failures, IsEmpty()) << seed;
    EXPECT_LE(same.ratio_low, 1.0);
    EXPECT_GE(same.ratio_high, 0.97);
  }
}

TEST(JudgeAbTest, NoiseAloneNeverFailsAndASmallSlowdownNeedsConfidence) {
  const AbThresholds thresholds;
  // Heavy noise (+-30%) and a real 10% slowdown: the interval reaches above 0.95, so it passes:
  // the gate fails only on what it is sure of.
  EXPECT_THAT(JudgeAb(Rounds(0.1, 0.3, 7), thresholds).failures, IsEmpty());
  // The same slowdown measured quietly fails.
  EXPECT_THAT(JudgeAb(Rounds(0.1, 0.01, 7), thresholds).failures, ::testing::SizeIs(1));
  // 3% slower, quietly: within the 5% threshold.
  EXPECT_THAT(JudgeAb(Rounds(0.03, 0.005, 7), thresholds).failures, IsEmpty());
}

TEST(JudgeAbTest, SyncsAreCountsAndTooFewRoundsAreSaid) {
  AbRounds rounds = Rounds(0, 0.01, 3);
  rounds.a_syncs_per_op.assign(10, 1.0);
  rounds.b_syncs_per_op.assign(10, 2.0);
  EXPECT_THAT(JudgeAb(rounds, {}).failures, ElementsAre("syncs/op 1 -> 2"));
  EXPECT_THAT(JudgeAb(Rounds(0, 0.01, 3, 4), {}).failures,
              ElementsAre("4 rounds cannot give a 0.95 interval (6 needed)"));
  AbRounds zero = Rounds(0, 0.01, 3);
  zero.b_throughput[2] = 0;
  EXPECT_THAT(JudgeAb(zero, {}).failures, ElementsAre(HasSubstr("round 2: throughput")));
}

TEST(PrintAbReportTest, StatesTheRuleAndCounts) {
  std::ostringstream out;
  PrintAbReport({JudgeAb(Rounds(0.2, 0.01, 1), {}), JudgeAb(Rounds(0, 0.01, 2), {})}, {}, "base",
                "head", out);
  EXPECT_THAT(out.str(), HasSubstr("a benchmark fails when the whole interval lies below 0.950x"));
  EXPECT_THAT(out.str(), HasSubstr("ab: 2 benchmarks, 1 passed, 1 failed"));
}

}  // namespace
}  // namespace northstar::bench
