#include "bench/runner.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "bench/alloc_counter.h"
#include "bench/stats.h"
#include "bench/system_info.h"
#include "util/assert.h"
#include "vfs/counting.h"

namespace northstar::bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t NanosecondsBetween(Clock::time_point start, Clock::time_point end) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

absl::Status OpError(const BenchSpec& spec, uint32_t repeat, uint64_t index, const char* phase,
                     const absl::Status& status) {
  return absl::Status(status.code(), absl::StrFormat("%s repeat %d: %s of op %d: %s", spec.name,
                                                     repeat, phase, index, status.message()));
}

// Runs the warmup ops from index 0; returns how many ran.
absl::StatusOr<uint64_t> Warmup(BenchCase& bench_case, const BenchSpec& spec,
                                const RunOptions& options, uint32_t repeat) {
  const uint64_t warmup_ops = options.warmup_ns ? kWarmupOpsMax : WarmupOps(spec, options);
  const Clock::time_point start = Clock::now();
  uint64_t index = 0;
  for (; index < warmup_ops; index++) {
    if (options.warmup_ns && NanosecondsBetween(start, Clock::now()) >= *options.warmup_ns) break;
    if (absl::Status status = bench_case.before_op(index); !status.ok()) {
      return OpError(spec, repeat, index, "before", status);
    }
    if (absl::Status status = bench_case.op(index); !status.ok()) {
      return OpError(spec, repeat, index, "warmup", status);
    }
  }
  return index;
}

// Times ops first_index .. first_index + latencies.size() - 1, one sample each.
absl::Status Measure(BenchCase& bench_case, const BenchSpec& spec, const RunOptions& options,
                     uint32_t repeat, uint64_t first_index, std::vector<uint64_t>& latencies) {
  const double stretch = 1 + options.plant_slowdown;
  for (size_t sample = 0; sample < latencies.size(); sample++) {
    const uint64_t index = first_index + sample;
    if (absl::Status status = bench_case.before_op(index); !status.ok()) {
      return OpError(spec, repeat, index, "before", status);
    }
    const Clock::time_point start = Clock::now();
    const absl::Status status = bench_case.op(index);
    Clock::time_point end = Clock::now();
    if (!status.ok()) return OpError(spec, repeat, index, "measured", status);
    if (options.plant_slowdown > 0) {
      const auto target = std::chrono::nanoseconds(
          static_cast<int64_t>(static_cast<double>(NanosecondsBetween(start, end)) * stretch));
      while (end - start < target) end = Clock::now();
    }
    latencies[sample] = NanosecondsBetween(start, end);
  }
  return absl::OkStatus();
}

void FillLatencies(std::vector<uint64_t> latencies, uint64_t items_per_op, Measurement& m) {
  uint64_t total_ns = 0;
  for (uint64_t latency : latencies) total_ns += latency;
  std::sort(latencies.begin(), latencies.end());
  m.ops = latencies.size();
  m.items = m.ops * items_per_op;
  m.seconds = static_cast<double>(std::max<uint64_t>(total_ns, 1)) / 1e9;
  m.ops_per_second = static_cast<double>(m.ops) / m.seconds;
  m.items_per_second = static_cast<double>(m.items) / m.seconds;
  m.latency_ns_mean = static_cast<double>(total_ns) / static_cast<double>(m.ops);
  m.latency_ns_p50 = Percentile(latencies, 0.50);
  m.latency_ns_p95 = Percentile(latencies, 0.95);
  m.latency_ns_p99 = Percentile(latencies, 0.99);
  m.latency_ns_max = latencies.back();
}

void FillCounters(const BenchCase& bench_case, const BenchSpec& spec,
                  const vfs::CountingFileSystem& counting, Measurement& m) {
  const ExternalCounters external = bench_case.external_counters();
  if (external.valid) {
    m.io_counters = "external";
    m.bytes_read = external.bytes_read;
    m.bytes_written = external.bytes_written;
    m.syncs = external.syncs;
  } else if (spec.needs_disk) {
    const vfs::IoCounters total = counting.total();
    m.io_counters = "vfs";
    m.bytes_read = total.bytes_read;
    m.bytes_written = total.bytes_written;
    m.syncs = total.syncs + total.dir_syncs;
  } else {
    m.io_counters = "none";
  }
  m.syncs_per_op = static_cast<double>(m.syncs) / static_cast<double>(m.ops);
}

// The repeat's scratch directory, made fresh; "" for benchmarks that touch no disk.
absl::StatusOr<std::string> MakeScratch(const BenchSpec& spec, const RunOptions& options,
                                        uint32_t repeat) {
  if (!spec.needs_disk) return std::string();
  const std::filesystem::path scratch =
      std::filesystem::path(options.dir) /
      absl::StrFormat("%s_r%03d", ResultFileStem(spec.name), repeat);
  std::error_code error;
  std::filesystem::remove_all(scratch, error);
  if (!std::filesystem::create_directories(scratch, error) || error) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: cannot create the scratch directory: %s",
                                                      scratch.string(), error.message()));
  }
  return scratch.string();
}

}  // namespace

uint64_t MeasuredOps(const BenchSpec& spec, const RunOptions& options) {
  if (options.ops) return *options.ops;
  return ScaledCount(spec.ops_default, options.scale, std::min(spec.ops_default, kScaledOpsMin));
}

uint64_t WarmupOps(const BenchSpec& spec, const RunOptions& options) {
  if (options.warmup_ops) return *options.warmup_ops;
  return ScaledCount(spec.warmup_ops_default, options.scale, 0);
}

absl::StatusOr<RepeatResult> RunRepeat(const BenchSpec& spec, const RunOptions& options,
                                       uint32_t repeat, const SystemInfo& system) {
  NS_ASSERT(options.fs != nullptr);
  NS_ASSERT(options.scale >= kScaleMin && options.scale <= kScaleMax);
  const uint64_t ops = MeasuredOps(spec, options);
  if (ops == 0 || ops > kOpsMax) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: ops must be in [1, %d]", spec.name, kOpsMax));
  }
  absl::StatusOr<std::string> scratch = MakeScratch(spec, options, repeat);
  if (!scratch.ok()) return scratch.status();
  vfs::CountingFileSystem counting(options.fs);
  BenchEnv env{.fs = &counting,
               .dir = *scratch,
               .backend = spec.needs_disk ? options.backend : "none",
               .seed = options.seed,
               .scale = options.scale,
               .ops = ops,
               .warmup_ops = options.warmup_ns ? 0 : WarmupOps(spec, options)};
  RepeatResult result{.benchmark = spec.name,
                      .description = spec.description,
                      .unit = spec.unit,
                      .repeat = repeat,
                      .system = system};
  // Hand memory freed by earlier repeats back to the kernel, so that this repeat's peak is its
  // own rather than the allocator's high-water mark.
  malloc_trim(0);
  result.results.peak_rss_reset = ResetPeakRss();
  std::unique_ptr<BenchCase> bench_case = spec.make();
  absl::Status status = bench_case->setup(env);
  if (!status.ok()) {
    status = absl::Status(status.code(), absl::StrFormat("%s repeat %d: setup: %s", spec.name,
                                                         repeat, status.message()));
  }
  std::vector<uint64_t> latencies(ops);
  uint64_t warmup_done = 0;
  std::optional<uint64_t> allocations_before, allocations_after;
  if (status.ok()) {
    absl::StatusOr<uint64_t> warmed = Warmup(*bench_case, spec, options, repeat);
    status = warmed.status();
    if (warmed.ok()) warmup_done = *warmed;
  }
  if (status.ok()) {
    counting.reset();
    allocations_before = AllocationCount();
    status = Measure(*bench_case, spec, options, repeat, warmup_done, latencies);
    allocations_after = AllocationCount();
  }
  uint64_t items_per_op = spec.items_per_op;
  if (status.ok()) {
    const uint64_t dynamic_items = bench_case->items_per_op();
    if (dynamic_items != 0) items_per_op = dynamic_items;
    Measurement& m = result.results;
    FillLatencies(std::move(latencies), items_per_op, m);
    FillCounters(*bench_case, spec, counting, m);
    if (allocations_before && allocations_after) {
      m.allocations = *allocations_after - *allocations_before;
      m.allocations_per_op = static_cast<double>(*m.allocations) / static_cast<double>(m.ops);
    }
    m.peak_rss_bytes = PeakRssBytes();
    // After the counters: the audit's reads are not part of the measurement.
    status = bench_case->verify();
    if (!status.ok()) {
      status = absl::Status(status.code(), absl::StrFormat("%s repeat %d: verify after the "
                                                           "measured ops: %s",
                                                           spec.name, repeat, status.message()));
    }
  }
  if (status.ok()) {
    result.parameters = bench_case->parameters();
    result.extra = bench_case->extra_metrics();
    result.config = RepeatConfig{.backend = env.backend,
                                 .dir = options.dir,
                                 .scale = options.scale,
                                 .repeats = options.repeats,
                                 .ops = ops,
                                 .warmup_ops = warmup_done,
                                 .warmup_ns = options.warmup_ns.value_or(0),
                                 .items_per_op = items_per_op,
                                 .seed = options.seed,
                                 .plant_slowdown = options.plant_slowdown,
                                 .profile = options.profile};
  }
  bench_case->teardown();
  bench_case.reset();
  if (!scratch->empty() && !options.keep_scratch) {
    std::error_code error;
    std::filesystem::remove_all(*scratch, error);
  }
  if (!status.ok()) return status;
  return result;
}

}  // namespace northstar::bench
