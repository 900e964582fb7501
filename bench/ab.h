// A/B comparison of two builds taking turns (northstar bench ab; .ci/run's regression gate).
//
// The two builds run each benchmark in rounds, A then B, then B then A, so that each pair of
// runs is adjacent in time and a machine that drifts (another job, a busy disk) moves both
// sides of a pair alike. Each round r gives d_r = ln(B_r / A_r) of throughput. The estimate is
// the median of the d_r; its confidence interval is the distribution-free one of the sign test
// (the k-th smallest and k-th largest d_r, k from the binomial distribution), so nothing is
// assumed about the noise. A benchmark fails only when B is slower than A by more than the
// threshold with that confidence: the interval's upper end (as a ratio) is below 1 - threshold.
// Syncs per op are counts, not timings: any rise fails.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace northstar::bench {

struct AbThresholds {
  double throughput_drop = 0.05;  // Fail when B/A is surely below 1 - this.
  double confidence = 0.95;       // Of the interval, in (0.5, 1).
};

// One benchmark's rounds: throughput (items/s) and syncs per op of each side, per round.
struct AbRounds {
  std::string benchmark;
  std::vector<double> a_throughput;
  std::vector<double> b_throughput;
  std::vector<double> a_syncs_per_op;
  std::vector<double> b_syncs_per_op;
};

struct AbVerdict {
  std::string benchmark;
  size_t rounds = 0;
  double ratio = 1;        // B/A throughput, the median over rounds.
  double ratio_low = 1;    // The interval, as ratios.
  double ratio_high = 1;
  double coverage = 0;     // The interval's exact coverage (>= the confidence asked for).
  std::vector<std::string> failures;  // Empty: passed.
};

// The sign test's interval for the median of `values`: indexes (k - 1, n - k) into the sorted
// values, the largest k whose coverage 1 - 2 P(Binomial(n, 1/2) < k) is at least `confidence`;
// nullopt when even the widest interval (k = 1) covers less (too few rounds).
struct MedianInterval {
  double low = 0;
  double high = 0;
  double coverage = 0;
};
[[nodiscard]] std::optional<MedianInterval> SignTestInterval(std::vector<double> values,
                                                             double confidence);

// The fewest rounds whose widest interval reaches `confidence` (6 for 0.95).
[[nodiscard]] size_t AbRoundsNeeded(double confidence);

// Judges one benchmark; InvalidArgument-like failures (no rounds, a side with zero throughput,
// too few rounds) are reported as failures naming the problem.
[[nodiscard]] AbVerdict JudgeAb(const AbRounds& rounds, const AbThresholds& thresholds);

void PrintAbReport(const std::vector<AbVerdict>& verdicts, const AbThresholds& thresholds,
                   const std::string& label_a, const std::string& label_b, std::ostream& out);

}  // namespace northstar::bench
