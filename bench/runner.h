// Running benchmarks: one repeat of one registered benchmark, timed op by op.
//
// A repeat: a fresh scratch directory <dir>/<stem>_r<repeat> (benchmarks that touch no disk get
// none), a fresh BenchCase, setup() untimed, the warmup ops (--warmup-ops N, or as many as fit
// in --warmup-ns), then the measured ops, each timed alone with the steady clock (before_op()
// stays outside the timing). Counters cover the measured ops: bytes and syncs through a
// CountingFileSystem over the backend (or the case's external counters), allocations through
// AllocationCount(). Then verify(), the case's own untimed audit of what its ops left (its error
// fails the repeat). `seconds` is the sum of the op durations, so harness bookkeeping is not in
// the throughput. The scratch directory is removed afterwards unless kept.
//
// Planted slowdown (a test of the gate, never a measurement): with plant_slowdown = f > 0 each
// op spins, inside its timed span, until it has lasted (1 + f) times its real duration; the
// result records f in its config.
//
// Thread safety: one repeat at a time per process (the peak-RSS reset is process-wide).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "bench/harness.h"
#include "bench/results.h"
#include "vfs/file_system.h"

namespace northstar::bench {

struct RunOptions {
  vfs::FileSystem* fs = nullptr;       // The backend (not counted; the runner wraps it).
  std::string backend = "posix";       // Its name, as recorded.
  std::string dir;                     // Existing directory for the repeats' scratch directories.
  double scale = 1;                    // > 0; see harness.h.
  uint32_t repeats = 3;                // 1..kRepeatsMax.
  std::optional<uint64_t> ops;         // Measured ops per repeat; default: scaled ops_default.
  std::optional<uint64_t> warmup_ops;  // Default: scaled warmup_ops_default.
  std::optional<uint64_t> warmup_ns;   // Instead of warmup_ops: warm up for this long.
  uint64_t seed = 1;
  double plant_slowdown = 0;
  std::string profile;        // capture-baseline's profile name, recorded.
  bool keep_scratch = false;  // Keep each repeat's scratch directory.
};

inline constexpr double kScaleMin = 1e-6;
inline constexpr double kScaleMax = 100;
inline constexpr double kPlantSlowdownMax = 10;

// The measured and warmup op counts of `spec` under `options`.
[[nodiscard]] uint64_t MeasuredOps(const BenchSpec& spec, const RunOptions& options);
[[nodiscard]] uint64_t WarmupOps(const BenchSpec& spec, const RunOptions& options);

// Runs repeat `repeat` of `spec`. An error names the benchmark, the repeat and, for a failed
// op, its index.
[[nodiscard]] absl::StatusOr<RepeatResult> RunRepeat(const BenchSpec& spec,
                                                     const RunOptions& options, uint32_t repeat,
                                                     const SystemInfo& system);

}  // namespace northstar::bench
