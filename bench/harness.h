// The benchmark harness: a registry of named benchmarks and the interface each one implements.
//
// A benchmark is a BenchCase made fresh for every repeat: setup() builds what it needs (not
// timed: e.g. a database of 1M keys), then the harness calls op(i) for the warmup ops (not
// recorded) and for the measured ops, timing each call. One op may do a batch of work
// (`items_per_op`, e.g. a 1,000-row scan or 1,000 snapshot open/close pairs) when a single item
// is too short to time alone; throughput is reported in items per second. before_op(i) runs
// untimed before each op (e.g. dropping the OS cache for a cold read).
//
// Scale. The sizes in a benchmark's name (1m keys, 1k rows) are its sizes at scale 1. The
// harness multiplies the measured and warmup op counts by BenchEnv::scale (keeping at least
// kScaledOpsMin measured ops, or ops_default if that is smaller, so that percentiles mean
// something) and passes the scale on; setup() multiplies its data set sizes by it (ScaledCount) and
// reports what it really built through parameters(), which every result file records and which
// compare and gate require to match. A smaller scale keeps the name: `--scale 0.001` of
// btree/point_get_hot_1m is a 1,000-key database.
//
// Everything a benchmark touches on disk goes through `BenchEnv::fs` (the chosen backend, posix
// or uring, wrapped by a counting file system for bytes and syncs) under `BenchEnv::dir`. Peer
// engines (LMDB, SQLite, RocksDB) cannot use our VFS: they report their own syncs per op through
// `BenchCase::external_counters` where they can, and document how they were verified.
//
// Registration: a static BenchRegistrar in the benchmark's .cc file; the registry is ordered by
// name. Names are "<suite>/<case>" (e.g. "btree/point_get_hot_1m"); peers are
// "peers/<engine>/<workload>" with the same workload names as ours. A result file is named after
// the benchmark with each '/' written as "__" (ResultFileName in bench/results.h), so a name
// never contains "__". The source files that register benchmarks must be linked into the binary
// as objects (bench/CMakeLists.txt: the OBJECT library northstar_bench_suites), or the linker
// drops their registrars.
//
// Thread safety: the registry is built during static initialization and read-only afterwards. A
// BenchCase is driven by one harness thread; it may start threads of its own (mvcc/readers_*),
// which it joins in teardown().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "vfs/file_system.h"

namespace northstar::bench {

struct BenchEnv {
  vfs::FileSystem* fs = nullptr;  // The backend under test, counted.
  std::string dir;                // A fresh, empty directory for this repeat.
  std::string backend;            // "posix" or "uring".
  uint64_t seed = 1;              // For the benchmark's own randomness (keys, op order).
  double scale = 1;               // Multiplies data set sizes; see the header comment.
  uint64_t ops = 0;               // Measured ops of this repeat (after --ops and --scale).
  // Warmup ops of this repeat when known in advance; with --warmup-ns the count is found while
  // warming up, up to kWarmupOpsMax, and this is 0.
  uint64_t warmup_ops = 0;
};

// Counters a benchmark reports itself (peers outside our VFS; or work our counters cannot see).
struct ExternalCounters {
  uint64_t syncs = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  bool valid = false;  // False: the harness uses its own (VFS) counters.
};

class BenchCase {
 public:
  virtual ~BenchCase() = default;
  // Not timed. May fail (e.g. the backend refuses), which fails the benchmark with that status.
  [[nodiscard]] virtual absl::Status setup(const BenchEnv& env) = 0;
  // Not timed; runs right before op(index), for warmup and measured ops alike.
  [[nodiscard]] virtual absl::Status before_op(uint64_t index) { return absl::OkStatus(); }
  // One timed op; `index` counts from 0 over warmup and measured ops together.
  [[nodiscard]] virtual absl::Status op(uint64_t index) = 0;
  // Not timed; called once after the measured ops succeeded, after the counters and the
  // latencies were taken: the benchmark's own audit of what its ops left behind (e.g.
  // macro/task_queue_claims scans the claims for duplicates). An error fails the repeat as a
  // failed op does; on success, extra_metrics() may report what the audit measured.
  [[nodiscard]] virtual absl::Status verify() { return absl::OkStatus(); }
  // Not timed; called after the last op (also after a failure).
  virtual void teardown() {}
  // Read after the measured ops: the counters since the first measured op, when valid.
  [[nodiscard]] virtual ExternalCounters external_counters() const { return {}; }
  // What the repeat ran with at its scale (keys, value_bytes, batch, readers, ...): a flat
  // object of numbers, strings and booleans. Read after setup().
  [[nodiscard]] virtual nlohmann::json parameters() const { return nlohmann::json::object(); }
  // Further figures of the repeat (numbers only, e.g. a reference rate measured alongside):
  // recorded under "extra", shown by `bench report`, never gated. Read after the measured ops.
  [[nodiscard]] virtual nlohmann::json extra_metrics() const { return nlohmann::json::object(); }
  // Items one op does when that depends on the scale (a replay of a scaled log, a batch of
  // scaled seeds); 0 keeps BenchSpec::items_per_op. Read after the measured ops.
  [[nodiscard]] virtual uint64_t items_per_op() const { return 0; }
};

struct BenchSpec {
  std::string name;          // "<suite>/<case>", [a-z0-9_/]+, no "__".
  std::string description;   // One sentence: what is measured, with which keys, values, batches.
  std::string unit = "ops";  // What an item is: "ops", "rows", "commits", "seeds", "switches".
  uint64_t items_per_op = 1;
  uint64_t ops_default = 1000;        // Measured ops per repeat unless --ops overrides.
  uint64_t warmup_ops_default = 100;  // Unless --warmup-ops / --warmup-ns overrides.
  bool needs_disk = true;             // False for in-memory benchmarks (sim/*).
  std::function<std::unique_ptr<BenchCase>()> make;
};

// Most warmup ops one repeat runs (a --warmup-ns budget stops there too).
inline constexpr uint64_t kWarmupOpsMax = 10'000'000;
// Fewest measured ops a scaled-down benchmark runs (unless --ops says otherwise).
inline constexpr uint64_t kScaledOpsMin = 10;
// Most measured ops one repeat runs (each keeps an 8-byte latency sample).
inline constexpr uint64_t kOpsMax = 100'000'000;

// The registry, ordered by name.
[[nodiscard]] const std::vector<BenchSpec>& Benchmarks();

// Registers `spec` at static initialization. Asserts a valid, unique name, a unit of
// [a-z_]+, items_per_op >= 1, 1 <= ops_default <= kOpsMax and a `make`.
struct BenchRegistrar {
  explicit BenchRegistrar(BenchSpec spec);
};

// True for names the registry accepts: two or more '/'-separated parts of [a-z0-9_]+, no "__".
[[nodiscard]] bool IsValidBenchmarkName(std::string_view name);

// round(count * scale), at least `minimum`: the data set size of a scaled benchmark.
[[nodiscard]] uint64_t ScaledCount(uint64_t count, double scale, uint64_t minimum = 1);

}  // namespace northstar::bench
