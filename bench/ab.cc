#include "bench/ab.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/stats.h"
#include "util/assert.h"

namespace northstar::bench {
namespace {

// Rounds beyond this are a mistake in the caller (each is a process per side).
constexpr size_t kRoundsMax = 10'000;

// P(Binomial(n, 1/2) < k), summed in logs so that large n does not overflow.
double BinomialBelow(size_t n, size_t k) {
  double total = 0;
  for (size_t i = 0; i < k; i++) {
    const double log_choose = std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0);
    total += std::exp(log_choose - static_cast<double>(n) * std::log(2.0));
  }
  return total;
}

std::string Ratio(double ratio) { return absl::StrFormat("%.3fx", ratio); }

}  // namespace

std::optional<MedianInterval> SignTestInterval(std::vector<double> values, double confidence) {
  NS_ASSERT(confidence > 0.5 && confidence < 1);
  const size_t n = values.size();
  NS_ASSERT(n <= kRoundsMax);
  if (n == 0) return std::nullopt;
  std::sort(values.begin(), values.end());
  std::optional<MedianInterval> best;
  for (size_t k = 1; 2 * k <= n + 1; k++) {
    const double coverage = 1 - 2 * BinomialBelow(n, k);
    if (coverage < confidence) break;  // Coverage falls as k grows.
    best = MedianInterval{values[k - 1], values[n - k], coverage};
  }
  return best;
}

size_t AbRoundsNeeded(double confidence) {
  for (size_t n = 1; n <= kRoundsMax; n++) {
    if (1 - 2 * BinomialBelow(n, 1) >= confidence) return n;
  }
  NS_ASSERT_MSG(false, "no round count reaches the confidence");
  return kRoundsMax;
}

AbVerdict JudgeAb(const AbRounds& rounds, const AbThresholds& thresholds) {
  AbVerdict verdict{.benchmark = rounds.benchmark};
  const size_t n = std::min(rounds.a_throughput.size(), rounds.b_throughput.size());
  verdict.rounds = n;
  std::vector<double> log_ratios;
  for (size_t r = 0; r < n; r++) {
    const double a = rounds.a_throughput[r];
    const double b = rounds.b_throughput[r];
    if (!(a > 0 && b > 0)) {
      verdict.failures.push_back(absl::StrFormat("round %d: throughput %g vs %g", r, a, b));
      return verdict;
    }
    log_ratios.push_back(std::log(b / a));
  }
  const std::optional<MedianInterval> interval =
      SignTestInterval(log_ratios, thresholds.confidence);
  if (!interval) {
    verdict.failures.push_back(
        absl::StrFormat("%d rounds cannot give a %g interval (%d needed)", n,
                        thresholds.confidence, AbRoundsNeeded(thresholds.confidence)));
    return verdict;
  }
  verdict.ratio = std::exp(Median(log_ratios));
  verdict.ratio_low = std::exp(interval->low);
  verdict.ratio_high = std::exp(interval->high);
  verdict.coverage = interval->coverage;
  if (verdict.ratio_high < 1 - thresholds.throughput_drop) {
    verdict.failures.push_back(absl::StrFormat("throughput %s, surely below %s", Ratio(verdict.ratio),
                                               Ratio(1 - thresholds.throughput_drop)));
  }
  if (!rounds.a_syncs_per_op.empty() && !rounds.b_syncs_per_op.empty()) {
    const double a = Median(rounds.a_syncs_per_op);
    const double b = Median(rounds.b_syncs_per_op);
    if (b > a + 1e-9) {
      verdict.failures.push_back(absl::StrFormat("syncs/op %.4g -> %.4g", a, b));
    }
  }
  return verdict;
}

void PrintAbReport(const std::vector<AbVerdict>& verdicts, const AbThresholds& thresholds,
                   const std::string& label_a, const std::string& label_b, std::ostream& out) {
  out << absl::StrFormat(
      "A = %s\nB = %s\nB/A throughput: median over rounds taken in turns, [%g%% interval of the "
      "median]; a benchmark fails when the whole interval lies below %s\n\n",
      label_a, label_b, thresholds.confidence * 100, Ratio(1 - thresholds.throughput_drop));
  out << absl::StrFormat("%-38s %6s %9s %21s  %s\n", "benchmark", "rounds", "B/A", "interval",
                         "verdict");
  size_t failed = 0;
  for (const AbVerdict& verdict : verdicts) {
    if (!verdict.failures.empty()) failed++;
    out << absl::StrFormat(
        "%-38s %6d %9s %21s  %s\n", verdict.benchmark, verdict.rounds, Ratio(verdict.ratio),
        absl::StrFormat("[%s, %s]", Ratio(verdict.ratio_low), Ratio(verdict.ratio_high)),
        verdict.failures.empty() ? "pass" : "FAIL: " + absl::StrJoin(verdict.failures, "; "));
  }
  out << absl::StrFormat("\nab: %d benchmarks, %d passed, %d failed\n", verdicts.size(),
                         verdicts.size() - failed, failed);
}

}  // namespace northstar::bench
