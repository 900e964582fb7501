#include "bench/report.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace northstar::bench {
namespace {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

absl::Status Disagree(const std::string& benchmark, uint32_t repeat, const char* what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: repeat %d ran with a different %s than repeat 0; rerun it", benchmark, repeat, what));
}

std::string CvText(const BenchSummary& summary) {
  if (!summary.cv) return "-";
  return absl::StrFormat("%.1f%%", *summary.cv * 100);
}

const BenchSummary* Find(const std::vector<BenchSummary>& summaries, std::string_view name) {
  for (const BenchSummary& summary : summaries) {
    if (summary.benchmark == name) return &summary;
  }
  return nullptr;
}

}  // namespace

std::string HumanCount(double value) {
  if (value >= 1e9) return absl::StrFormat("%.3gG", value / 1e9);
  if (value >= 1e6) return absl::StrFormat("%.3gM", value / 1e6);
  if (value >= 1e3) return absl::StrFormat("%.3gk", value / 1e3);
  return absl::StrFormat("%.3g", value);
}

std::string HumanNanoseconds(double nanoseconds) {
  if (nanoseconds >= 1e9) return absl::StrFormat("%.3g s", nanoseconds / 1e9);
  if (nanoseconds >= 1e6) return absl::StrFormat("%.3g ms", nanoseconds / 1e6);
  if (nanoseconds >= 1e3) return absl::StrFormat("%.3g us", nanoseconds / 1e3);
  return absl::StrFormat("%.0f ns", nanoseconds);
}

std::string HumanBytes(double bytes) {
  if (bytes >= double(1ull << 30)) return absl::StrFormat("%.1f GiB", bytes / double(1ull << 30));
  if (bytes >= double(1ull << 20)) return absl::StrFormat("%.1f MiB", bytes / double(1ull << 20));
  if (bytes >= 1024) return absl::StrFormat("%.1f KiB", bytes / 1024);
  return absl::StrFormat("%.0f B", bytes);
}

absl::StatusOr<BenchSummary> Summarize(const std::vector<RepeatResult>& repeats) {
  if (repeats.empty()) return absl::InvalidArgumentError("no repeats to summarize");
  const RepeatResult& first = repeats.front();
  BenchSummary summary{.benchmark = first.benchmark,
                       .unit = first.unit,
                       .repeats = static_cast<uint32_t>(repeats.size()),
                       .parameters = first.parameters,
                       .backend = first.config.backend,
                       .items_per_op = first.config.items_per_op,
                       .plant_slowdown = first.config.plant_slowdown};
  std::vector<double> throughput, p50, p99, syncs, allocations, written;
  bool all_allocations = true;
  for (const RepeatResult& repeat : repeats) {
    if (repeat.parameters != first.parameters)
      return Disagree(first.benchmark, repeat.repeat, "parameters");
    if (repeat.config.backend != first.config.backend)
      return Disagree(first.benchmark, repeat.repeat, "backend");
    if (repeat.unit != first.unit) return Disagree(first.benchmark, repeat.repeat, "unit");
    if (repeat.config.items_per_op != first.config.items_per_op) {
      return Disagree(first.benchmark, repeat.repeat, "items per op");
    }
    const Measurement& m = repeat.results;
    throughput.push_back(m.items_per_second);
    p50.push_back(static_cast<double>(m.latency_ns_p50));
    p99.push_back(static_cast<double>(m.latency_ns_p99));
    syncs.push_back(m.syncs_per_op);
    written.push_back(static_cast<double>(m.bytes_written) / static_cast<double>(m.ops));
    if (m.allocations_per_op) {
      allocations.push_back(*m.allocations_per_op);
    } else {
      all_allocations = false;
    }
    summary.peak_rss_bytes = std::max(summary.peak_rss_bytes, m.peak_rss_bytes);
  }
  summary.items_per_second = Median(throughput);
  summary.latency_ns_p50 = Median(p50);
  summary.latency_ns_p99 = Median(p99);
  summary.syncs_per_op = Median(syncs);
  summary.bytes_written_per_op = Median(written);
  if (all_allocations) summary.allocations_per_op = Median(allocations);
  summary.cv = CoefficientOfVariation(throughput);
  summary.stability = StabilityOf(summary.cv);
  return summary;
}

absl::StatusOr<std::vector<BenchSummary>> SummarizeAll(const ResultSet& results) {
  std::vector<BenchSummary> summaries;
  for (const auto& [name, repeats] : results) {
    absl::StatusOr<BenchSummary> summary = Summarize(repeats);
    if (!summary.ok()) return summary.status();
    summaries.push_back(*std::move(summary));
  }
  return summaries;
}

std::optional<std::string> FloorRatioLine(const std::vector<BenchSummary>& summaries) {
  const BenchSummary* commit = Find(summaries, "commit/durable_single_put");
  const BenchSummary* floor = Find(summaries, "floor/overwrite_4k_fdatasync");
  if (commit == nullptr || floor == nullptr || floor->latency_ns_p50 <= 0 ||
      commit->items_per_second <= 0) {
    return std::nullopt;
  }
  return absl::StrFormat(
      "commit/durable_single_put against floor/overwrite_4k_fdatasync (same run): p50 latency "
      "%.2fx (%s vs %s), p99 %.2fx, throughput %.2fx",
      commit->latency_ns_p50 / floor->latency_ns_p50, HumanNanoseconds(commit->latency_ns_p50),
      HumanNanoseconds(floor->latency_ns_p50), commit->latency_ns_p99 / floor->latency_ns_p99,
      commit->items_per_second / floor->items_per_second);
}

void PrintSuiteSummary(const std::vector<BenchSummary>& summaries,
                       const std::vector<BenchFailure>& failures, std::ostream& out) {
  out << absl::StrFormat("%-38s %16s %9s %9s %8s %9s %10s %9s %6s %s\n", "benchmark", "throughput",
                         "p50", "p99", "syncs/op", "allocs/op", "written/op", "peak RSS", "CV",
                         "stability");
  for (const BenchSummary& s : summaries) {
    const std::string allocations =
        s.allocations_per_op ? absl::StrFormat("%.3g", *s.allocations_per_op) : "-";
    out << absl::StrFormat(
        "%-38s %16s %9s %9s %8.3g %9s %10s %9s %6s %s%s\n", s.benchmark,
        HumanCount(s.items_per_second) + " " + s.unit + "/s", HumanNanoseconds(s.latency_ns_p50),
        HumanNanoseconds(s.latency_ns_p99), s.syncs_per_op, allocations,
        HumanBytes(s.bytes_written_per_op), HumanBytes(static_cast<double>(s.peak_rss_bytes)),
        CvText(s), StabilityName(s.stability), s.plant_slowdown > 0 ? " (PLANTED SLOWDOWN)" : "");
  }
  for (const BenchFailure& failure : failures) {
    out << absl::StrFormat("%-38s FAILED: %s\n", failure.benchmark, failure.message);
  }
  if (std::optional<std::string> floor = FloorRatioLine(summaries)) out << *floor << "\n";
  out << absl::StrFormat(
      "suite: %d benchmarks, %d passed, %d failed (medians over repeats; CV "
      "of throughput: stable <= %.0f%%, noisy <= %.0f%%)\n",
      summaries.size() + failures.size(), summaries.size(), failures.size(), kStableCvMax * 100,
      kNoisyCvMax * 100);
}

void WriteRepeatsCsv(const ResultSet& results, std::ostream& out) {
  out << "benchmark,repeat,unit,backend,scale,ops,items,seconds,items_per_second,ops_per_second,"
         "latency_ns_mean,latency_ns_p50,latency_ns_p95,latency_ns_p99,latency_ns_max,bytes_read,"
         "bytes_written,syncs_per_op,allocations_per_op,peak_rss_bytes,parameters\n";
  for (const auto& [name, repeats] : results) {
    for (const RepeatResult& r : repeats) {
      const Measurement& m = r.results;
      out << absl::StrFormat(
          "%s,%d,%s,%s,%g,%d,%d,%.9g,%.9g,%.9g,%.9g,%d,%d,%d,%d,%d,%d,%.9g,%s,%d,%s\n",
          CsvField(name), r.repeat, r.unit, r.config.backend, r.config.scale, m.ops, m.items,
          m.seconds, m.items_per_second, m.ops_per_second, m.latency_ns_mean, m.latency_ns_p50,
          m.latency_ns_p95, m.latency_ns_p99, m.latency_ns_max, m.bytes_read, m.bytes_written,
          m.syncs_per_op,
          m.allocations_per_op ? absl::StrFormat("%.9g", *m.allocations_per_op) : "",
          m.peak_rss_bytes, CsvField(r.parameters.dump()));
    }
  }
}

}  // namespace northstar::bench
