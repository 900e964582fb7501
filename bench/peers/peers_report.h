// The side-by-side table of `northstar bench peers`: per workload, ours and each peer's
// throughput (medians over repeats), the Northstar/peer ratio, syncs per op and, for the builds,
// bytes per key at rest; the durable-write floor; and the targets, each met, not met or
// not measured.
//
// Like for like: a peer's figures count only if its workload parameters (keys, sizes, batch,
// order, rows, snapshots, puts per commit) equal ours in the same run; a row whose parameters
// differ says so and its ratio is not judged.
//
// Thread safety: pure functions over their arguments.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/results.h"

namespace northstar::bench {

inline constexpr std::string_view kOurEngine = "northstar";
inline constexpr std::string_view kFloorBenchmark = "floor/overwrite_4k_fdatasync";

// One engine's figures for one workload: medians over its repeats.
struct EngineFigures {
  std::string unit;
  double items_per_second = 0;
  double syncs_per_op = 0;
  std::optional<double> cv;
  std::optional<double> bytes_per_key;              // Builds: extra "bytes_per_key".
  std::optional<double> bytes_per_key_without_log;  // Builds: extra "bytes_per_key_without_log".
  nlohmann::json parameters;
};

struct PeerRow {
  std::string workload;
  std::optional<EngineFigures> ours;
  std::map<std::string, EngineFigures> peers;  // By engine name.
  // Engines whose parameters differ from ours: their ratio is not judged.
  std::map<std::string, std::string> mismatches;

  // ours / peer throughput, when both ran like for like.
  [[nodiscard]] std::optional<double> ratio(const std::string& engine) const;
};

struct PeersTable {
  std::vector<std::string> engines;  // The peers asked for, in order.
  std::vector<PeerRow> rows;         // The workloads with any result, in kPeerWorkloads order.
  std::optional<EngineFigures> floor;
  double scale = 1;
  uint32_t repeats = 0;
  std::optional<SystemInfo> system;  // Of the first result read.
};

// Reads the results of ours ("<workload>"), the peers ("peers/<engine>/<workload>") and the floor
// out of `results`. InvalidArgument when a benchmark's repeats disagree (bench/report.h).
[[nodiscard]] absl::StatusOr<PeersTable> BuildPeersTable(const ResultSet& results,
                                                         const std::vector<std::string>& engines);

// One of the targets.
struct TargetCheck {
  std::string target;       // "btree/point_get_hot_1m: Northstar/LMDB >= 1.0"
  std::string measured;     // "1.33x", or why it was not measured.
  std::optional<bool> met;  // nullopt: not measured.
};

// Northstar/LMDB >= 1.0 on point_get_hot and range_scan, >= 0.8 on snapshot_open_close, >= 1.2
// on build_sequential_insert, >= 2 on build_random_insert; bytes per key <= LMDB's after each
// build; durable single put >= RocksDB's rate and >= 0.9x the floor; exactly one sync per
// durable commit.
[[nodiscard]] std::vector<TargetCheck> CheckTargets(const PeersTable& table);

void PrintPeersTable(const PeersTable& table, const std::vector<TargetCheck>& targets,
                     std::ostream& out);
// The same as README-ready markdown, headed by the machine it ran on.
void PrintPeersMarkdown(const PeersTable& table, const std::vector<TargetCheck>& targets,
                        std::ostream& out);

}  // namespace northstar::bench
