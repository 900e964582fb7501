// Comparing two result directories (A, the reference, and B), and the regression gate.
//
// Every figure compared is a median over repeats (report.h). Ratios are B / A: above 1 is more
// throughput, or more latency, allocations or syncs. A benchmark whose two sides ran with
// different parameters (keys, sizes, batch), a different backend, unit or items per op is not
// comparable: compare marks it ("!" and the difference), gate refuses to judge it.
//
// Gate rules (GateThresholds), checked per benchmark of the baseline, on medians:
//   throughput    fails when B/A < 1 - throughput_drop     (default 0.05: -5%)
//   p99 latency   fails when B/A > 1 + p99_rise            (default 0.10: +10%)
//   allocs/op     fails when B/A > 1 + allocations_rise    (default 0.05: +5%) and B - A >
//                 allocations_slack_per_op (default 0.01, so that 0 -> 0.001 is not a regression)
//   syncs/op      fails when B > A * (1 + syncs_rise) + 1e-9   (default 0: any increase)
// A benchmark of the baseline that the candidate lacks fails too.
//
// Thread safety: pure functions over their arguments.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bench/report.h"
#include "bench/results.h"

namespace northstar::bench {

struct ComparisonRow {
  std::string benchmark;
  std::optional<BenchSummary> a;  // nullopt: only in B.
  std::optional<BenchSummary> b;  // nullopt: only in A.
  // Why the two sides are not comparable ("parameters differ: {...} vs {...}"); empty if they are.
  std::vector<std::string> mismatches;

  [[nodiscard]] bool comparable() const { return a && b && mismatches.empty(); }
  // B / A of the medians; nullopt when a side is missing or A's figure is 0.
  [[nodiscard]] std::optional<double> throughput_ratio() const;
  [[nodiscard]] std::optional<double> p99_ratio() const;
  [[nodiscard]] std::optional<double> allocations_ratio() const;
  [[nodiscard]] std::optional<double> syncs_ratio() const;
};

// One row per benchmark in either set, ordered by name.
[[nodiscard]] std::vector<ComparisonRow> Compare(const std::vector<BenchSummary>& a,
                                                 const std::vector<BenchSummary>& b);

void PrintComparison(const std::vector<ComparisonRow>& rows, const std::string& label_a,
                     const std::string& label_b, std::ostream& out);
void WriteComparisonCsv(const std::vector<ComparisonRow>& rows, std::ostream& out);
// A horizontal bar chart of the throughput and p99 ratios of each benchmark both sides have
// (marked "!" when not like for like), as a self-contained SVG document.
void WriteComparisonSvg(const std::vector<ComparisonRow>& rows, const std::string& label_a,
                        const std::string& label_b, std::ostream& out);

struct GateThresholds {
  double throughput_drop = 0.05;
  double p99_rise = 0.10;
  double allocations_rise = 0.05;
  double allocations_slack_per_op = 0.01;
  double syncs_rise = 0;
};

// "throughput -5%, p99 +10%, allocations/op +5% (and > +0.01), syncs/op any increase".
[[nodiscard]] std::string DescribeThresholds(const GateThresholds& thresholds);

struct GateVerdict {
  ComparisonRow row;
  std::vector<std::string> failures;  // Empty: passed. E.g. "throughput 0.83x < 0.95x".
};

struct GateReport {
  std::vector<GateVerdict> verdicts;  // One per baseline benchmark (comparable ones only).
  std::vector<std::string> refused;   // "<benchmark>: parameters differ ..." (not comparable).
  [[nodiscard]] size_t failed() const;
  [[nodiscard]] size_t passed() const { return verdicts.size() - failed(); }
};

// Judges each benchmark of `baseline` against `candidate`.
[[nodiscard]] GateReport Gate(const std::vector<BenchSummary>& baseline,
                              const std::vector<BenchSummary>& candidate,
                              const GateThresholds& thresholds);

void PrintGateReport(const GateReport& report, const GateThresholds& thresholds, std::ostream& out);

}  // namespace northstar::bench
