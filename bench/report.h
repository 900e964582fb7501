// Reading results back: per-benchmark summaries over repeats (medians, coefficient of
// variation, a stability mark), the suite table with pass/fail counts, and CSV export.
//
// Medians, not means: on a shared machine one disturbed repeat moves a mean but not a median.
//
// Thread safety: pure functions over their arguments.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/results.h"
#include "bench/stats.h"

namespace northstar::bench {

struct BenchSummary {
  std::string benchmark;
  std::string unit;
  uint32_t repeats = 0;
  // Identity: what the repeats ran with (all repeats agree; Summarize checks).
  nlohmann::json parameters;
  std::string backend;
  uint64_t items_per_op = 1;
  double plant_slowdown = 0;
  // Medians over repeats.
  double items_per_second = 0;
  double latency_ns_p50 = 0;
  double latency_ns_p99 = 0;
  double syncs_per_op = 0;
  std::optional<double> allocations_per_op;  // nullopt if any repeat has none.
  double bytes_written_per_op = 0;
  uint64_t peak_rss_bytes = 0;  // The largest.
  // Of items_per_second over repeats.
  std::optional<double> cv;
  Stability stability = Stability::kSingle;
};

// InvalidArgument when the repeats (at least one, of one benchmark) disagree on parameters,
// backend, unit or items per op.
[[nodiscard]] absl::StatusOr<BenchSummary> Summarize(const std::vector<RepeatResult>& repeats);
[[nodiscard]] absl::StatusOr<std::vector<BenchSummary>> SummarizeAll(const ResultSet& results);

// A benchmark that could not run, for the suite table.
struct BenchFailure {
  std::string benchmark;
  std::string message;
};

// The suite table: one row per benchmark (throughput with its unit, p50, p99, syncs/op,
// allocations/op, written bytes/op, peak RSS, CV and stability), a row per failure, the durable
// commit against its floor when both ran, and "suite: N benchmarks, P passed, F failed".
void PrintSuiteSummary(const std::vector<BenchSummary>& summaries,
                       const std::vector<BenchFailure>& failures, std::ostream& out);

// "commit/durable_single_put against floor/overwrite_4k_fdatasync: p50 latency 1.9x, ..." or
// nullopt when either is missing.
[[nodiscard]] std::optional<std::string> FloorRatioLine(const std::vector<BenchSummary>& summaries);

// CSV, one row per repeat file, with a header row.
void WriteRepeatsCsv(const ResultSet& results, std::ostream& out);

// 1234567.8 -> "1.23M"; 1234 -> "1.23k"; 12.3 -> "12.3".
[[nodiscard]] std::string HumanCount(double value);
// Nanoseconds as "812 ns", "12.3 us", "4.56 ms", "1.23 s".
[[nodiscard]] std::string HumanNanoseconds(double nanoseconds);
// Bytes as "512 B", "4.0 KiB", "12.3 MiB", "1.2 GiB".
[[nodiscard]] std::string HumanBytes(double bytes);

}  // namespace northstar::bench
