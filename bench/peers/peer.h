// What the peer adapters (bench/peers/<engine>_peer.cc) share: the workloads they run, their
// benchmark names, and PeerCase, the BenchCase base that gives each repeat its own directory and
// reports the process's I/O over the measured ops.
//
// A peer runs one of our workloads under the name "peers/<engine>/<workload>" (harness.h) with
// our workload's unit, items per op and op counts (kPeerWorkloads; peer_test checks them against
// the registry), the same keys and values (bench/workload.h) and the same parameters().
//
// Counters. Peers do not use our VFS, so PeerCase reports syncs and bytes from the process's
// own I/O (bench/peers/io_counter.h) through external_counters(): the counts since the first
// measured op. The harness does not say which op is the first measured one when it warms up by
// time (--warmup-ns), so when the warmup op count is not known in advance PeerCase keeps the
// counts at the start of each of the last `ops` ops in a ring and takes the oldest.
//
// Thread safety: as BenchCase (one harness thread).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/harness.h"
#include "bench/peers/io_counter.h"

namespace northstar::bench {

inline constexpr std::array<std::string_view, 3> kPeerEngines = {"lmdb", "sqlite", "rocksdb"};

// One of our workloads as the peers run it: its name and the shape of our registration.
struct PeerWorkload {
  std::string_view name;
  std::string_view unit;
  uint64_t items_per_op;
  uint64_t ops_default;
  uint64_t warmup_ops_default;
};

inline constexpr std::array<PeerWorkload, 6> kPeerWorkloads = {{
    {"btree/build_sequential_insert_1m", "puts", 1000, 1000, 0},
    {"btree/build_random_insert_1m", "puts", 1000, 1000, 0},
    {"btree/point_get_hot_1m", "gets", 1, 200'000, 10'000},
    {"btree/range_scan_1k_rows_hot", "rows", 1000, 5000, 200},
    {"mvcc/snapshot_open_close", "snapshots", 1000, 2000, 100},
    {"commit/durable_single_put", "commits", 1, 2000, 50},
}};

// Full-size data sets (scaled by ScaledCount like ours).
inline constexpr uint64_t kPeerKeysFull = 1'000'000;
inline constexpr uint64_t kPeerHotKeysMin = 2000;    // As btree/*_hot: 2 * kBatchPuts.
inline constexpr uint64_t kPeerScanRows = 1000;      // btree/range_scan_1k_rows_hot.
inline constexpr uint64_t kPeerSnapshotKeys = 1000;  // mvcc/snapshot_open_close.
inline constexpr uint64_t kPeerSnapshotsPerOp = 1000;
// Our default DbOptions::cache_budget_bytes: the peers' caches for snapshots and durable puts.
inline constexpr uint64_t kPeerDefaultCacheBytes = uint64_t{64} << 20;
// The cache of a build of `keys` keys: as ours (btree/build_*), one that holds the whole tree
// (HotCacheBudgetBytes), since LMDB's pages sit in the OS page cache however large.
[[nodiscard]] uint64_t BuildCacheBytes(uint64_t keys);

// "peers/<engine>/<workload>".
[[nodiscard]] inline std::string PeerBenchmarkName(std::string_view engine,
                                                   std::string_view workload) {
  return std::string("peers/").append(engine).append("/").append(workload);
}
// The entry of kPeerWorkloads named `workload`; asserts it exists.
[[nodiscard]] const PeerWorkload& FindPeerWorkload(std::string_view workload);

// Registers "peers/<engine>/<workload>" with the workload's shape.
struct PeerRegistrar {
  PeerRegistrar(std::string_view engine, std::string_view workload, std::string description,
                std::function<std::unique_ptr<BenchCase>()> make);
};

// The sum of the sizes (st_size) of the regular files under `dir`, recursively, except those
// for which `skip(file name)` is true.
[[nodiscard]] absl::StatusOr<uint64_t> DirectoryBytes(
    const std::string& dir, const std::function<bool(std::string_view)>& skip = nullptr);

class PeerCase : public BenchCase {
 public:
  // Makes <env.dir>/<engine> and starts following the I/O counts, then setup_engine().
  // FailedPrecondition when this binary does not count I/O (io_counter.h).
  [[nodiscard]] absl::Status setup(const BenchEnv& env) final;
  [[nodiscard]] absl::Status before_op(uint64_t index) final;
  [[nodiscard]] ExternalCounters external_counters() const final;
  // The syncs by kind, per measured op: fsync_per_op, fdatasync_per_op, dsync_writes_per_op,
  // msync_per_op, sync_file_range_per_op (waits), writeback_starts_per_op. Subclasses add theirs.
  [[nodiscard]] nlohmann::json extra_metrics() const override;

 protected:
  explicit PeerCase(std::string_view engine) : engine_(engine) {}
  // Not timed: open the engine in `dir` (fresh and empty) and build the data.
  [[nodiscard]] virtual absl::Status setup_engine(const BenchEnv& env, const std::string& dir) = 0;

  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  // The counts since the first measured op; the end is taken once, at the first call.
  [[nodiscard]] IoCounts measured_io() const;

  const std::string engine_;
  std::string dir_;
  uint64_t ops_ = 0;
  uint64_t warmup_ops_ = 0;
  uint64_t last_index_ = 0;
  bool any_op_ = false;
  IoCounts at_first_measured_;  // When warmup_ops_ > 0.
  std::vector<IoCounts> ring_;  // When warmup_ops_ == 0: counts before op i at [i % ops_].
  mutable std::optional<IoCounts> at_end_;
};

// The parameters() of our workloads, as the peers report them (plus their own configuration).
// Builds: keys_measured (ops * kBatchPuts), key_bytes, value_bytes, batch, order, durability,
// cache_budget_bytes.
[[nodiscard]] nlohmann::json BuildParameters(uint64_t ops, bool random, std::string_view durability,
                                             uint64_t cache_budget_bytes);
// Hot trees: keys, key_bytes, value_bytes, cache_budget_bytes (range scans add rows_per_scan).
[[nodiscard]] nlohmann::json HotParameters(uint64_t keys, uint64_t cache_budget_bytes);
// Snapshots: keys, snapshots_per_op.
[[nodiscard]] nlohmann::json SnapshotParameters();
// Durable single put: key_bytes, value_bytes, puts_per_commit, durability.
[[nodiscard]] nlohmann::json DurablePutParameters(std::string_view durability);

// The key integer of put `n` of a build: n, or Scramble(n) for random order.
[[nodiscard]] uint64_t BuildKey(uint64_t n, bool random);

// What the builds report about their files at rest (after the measured ops, untimed):
// bytes_at_rest (every file of the engine), log_bytes_at_rest (its log/WAL files),
// bytes_per_key and bytes_per_key_without_log, over `keys` keys.
[[nodiscard]] nlohmann::json AtRestMetrics(uint64_t bytes_at_rest, uint64_t log_bytes_at_rest,
                                           uint64_t keys);

}  // namespace northstar::bench
