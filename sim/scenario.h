// Scenario: everything that defines one simulated run, as read from a TOML file.
//
// Given the same binary, a scenario (which includes its seed) replays a run byte for byte. The
// struct is plain data with defaults; sim/scenario_io.h reads and writes it (canonical TOML,
// spec/scenario_format.md). Every field has a documented range, checked by ValidateScenario.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sim/schedule_options.h"
#include "vfs/sim_disk.h"

namespace northstar::sim {

enum class DurabilityMode { kLog, kLogNoSync, kMetaFlip };
// What the writer and reader fibers do (spec/scenario_format.md, SF-29): random keys and values
// (kv), a task queue of agents claiming tasks (task-queue), many small commits read back as of
// past commits and by replaying the log (time-travel), the ingest of a synthetic code repository
// and queries on it (code-graph).
enum class WorkloadKind { kKv, kTaskQueue, kTimeTravel, kCodeGraph };
enum class KeyDistribution { kUniform, kZipf, kSequential };
// Where a run crashes (spec/fault_model.md, "Crash-point enumeration"): at the planned points of
// `crashes` and `crash_at_io` (random), or once at every I/O index of the workload, each write
// in each of its variants, one run per crash state (every-io; sim/crash_points.h).
enum class CrashPointMode { kRandom, kEveryIo };
// What a run is expected to end in: a pass, or the failure kind a regression or planted-bug
// scenario must reproduce. The names are the checkers' names.
enum class Verdict {
  kPass,
  kDurability,
  kAtomicity,
  kSnapshotIsolation,
  kCrashState,
  kStructure,
  kPageAccounting,
  kCorruption,
  kTaskQueue,  // The task-queue checker (task-queue workloads only).
  kCodeGraph,  // The code-graph checker (code-graph workloads only).
  kLiveness,
  kWorkerCrash,
};

struct EngineConfig {
  uint32_t page_size_bytes = 4096;      // Power of two, 4096..65536.
  uint64_t cache_bytes = 1 << 20;       // >= 8 pages.
  DurabilityMode durability = DurabilityMode::kLog;
  uint64_t checkpoint_log_bytes = 64 << 10;
  uint64_t log_preallocate_bytes = 256 << 10;
  uint32_t retained_snapshots = 4;      // 0..1000.
  bool recycle_log = true;              // false: the log keeps every record (time travel).
};

// The system under test (sim/target.h): which target, the promise it is held to, and the options
// of each target that has any. A scenario file without [target] means our engine.
inline constexpr char kTargetNorthstar[] = "northstar";
inline constexpr char kTargetSqlite[] = "sqlite";
// Promise names ([target] promise): "declared" holds the target to the promise it declares for
// its configuration; the others hold it to that promise instead (a weak configuration held to a
// strong promise shows what it breaks).
inline constexpr char kPromiseDeclared[] = "declared";
inline constexpr char kPromiseNoneLost[] = "none-lost";
inline constexpr char kPromiseSuffixLost[] = "suffix-lost";
inline constexpr char kPromiseAnything[] = "anything";

// SQLite's options (targets/sqlite, spec/targets_sqlite.md).
struct SqliteTargetConfig {
  std::string journal_mode = "wal";   // delete, truncate, persist, wal, memory, off
  std::string synchronous = "full";   // off, normal, full, extra
  uint32_t page_size_bytes = 4096;    // Power of two, 512..65536.
  uint32_t cache_size_pages = 64;     // 1..100,000 pages.
  uint32_t connections = 3;           // 1..16: fibers share this many connections.
};

struct TargetConfig {
  std::string kind = kTargetNorthstar;  // "northstar" or "sqlite".
  std::string promise = kPromiseDeclared;
  SqliteTargetConfig sqlite;
};

struct OpMix {
  // Relative weights (0..1000 each, not all zero).
  uint32_t put = 50;
  uint32_t del = 15;
  uint32_t get = 20;
  uint32_t range_scan = 5;
  uint32_t prefix_scan = 3;
  uint32_t reverse_scan = 3;
  uint32_t as_of_read = 2;
};

// The synthetic repository of a code-graph workload (apps/code_graph.h, CodeGraphConfig).
struct CodeGraphSizes {
  uint32_t modules = 4;             // 1..9999
  uint32_t files_per_module = 4;    // 1..9999
  uint32_t functions_per_file = 8;  // 1..1000; at most 1,000,000 functions in all.
  uint32_t calls_per_function = 4;  // 0..64
  uint32_t imports_per_file = 2;    // 0..64
};

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::kKv;
  uint32_t writers = 1;                 // 1..16 fibers, one write transaction at a time.
  uint32_t readers = 2;                 // 0..64 fibers.
  uint32_t transactions = 200;          // Per writer, 1..1,000,000.
  uint32_t ops_per_transaction_min = 1;
  uint32_t ops_per_transaction_max = 20;  // >= min, <= 100,000.
  uint64_t key_space = 1000;            // Distinct keys, 1..10^9.
  KeyDistribution key_distribution = KeyDistribution::kUniform;
  double zipf_theta = 0.99;             // (0, 10) for kZipf.
  uint32_t value_size_min_bytes = 0;
  uint32_t value_size_max_bytes = 200;  // >= min, <= 16 MiB.
  double big_value_probability = 0.01;  // [0, 1]: a value of big_value_size_bytes instead.
  uint32_t big_value_size_bytes = 20000;
  double abort_probability = 0.05;      // [0, 1] per transaction.
  uint32_t reads_per_reader = 200;      // Read transactions per reader fiber.
  OpMix mix;
  CodeGraphSizes code_graph;
};

struct FaultPlan {
  CrashPointMode crash_points = CrashPointMode::kRandom;
  uint32_t crashes = 2;                 // Crash points at random I/O indexes (0..1000).
  std::vector<uint64_t> crash_at_io;    // And/or at exactly these I/O indexes (ascending).
  // At a crash_at_io crash point right after a write, how that write comes back
  // (vfs::SimDiskFaults::crash_last_write_variant): -1 like any unsynced sector (the crash RNG),
  // 0..kCrashLastWriteVariantMax a variant.
  int64_t crash_last_write_variant = -1;
  uint32_t sector_size_bytes = 512;     // 512 or 4096.
  bool torn_writes = true;
  bool lose_unsynced_dir_ops = false;   // All unsynced name operations lost (else a prefix).
  // An unsynced shrink happens whole or not at all (vfs::SimDiskOptions::atomic_truncate).
  bool atomic_truncate = false;
  // The simulated disk's own fault settings, one declaration (vfs/sim_disk.h): the file names
  // the probabilities and limits (sim/scenario_fields.h, with their ranges and how the shrinker
  // lowers them); the crash settings in it are the runner's, per epoch.
  vfs::SimDiskFaults disk;
};


struct Scenario {
  std::string name;                     // [a-z0-9-]+, 1..64 characters.
  std::string description;              // What the scenario aims at (free text, one paragraph).
  uint64_t seed = 1;                    // Written as a hex string: "0x1f".
  TargetConfig target;
  EngineConfig engine;                  // Our engine's options (target.kind = "northstar").
  WorkloadConfig workload;
  FaultPlan faults;
  // strategy, switch_probability, pct_depth, pct_steps_estimate, steps_max and
  // step_duration_ns come from the file; fibers_max follows from the workload.
  ScheduleOptions scheduler;
  Verdict expect = Verdict::kPass;

};

// InvalidArgument naming the first field out of range (e.g. "workload.readers: 100 is not in
// [0, 64]").
[[nodiscard]] absl::Status ValidateScenario(const Scenario& scenario);

// Names used in TOML and in messages: "log", "zipf", "pct", "snapshot-isolation", ...
[[nodiscard]] const char* DurabilityModeName(DurabilityMode mode);
[[nodiscard]] const char* KeyDistributionName(KeyDistribution distribution);
[[nodiscard]] const char* CrashPointModeName(CrashPointMode mode);  // "random", "every-io"
[[nodiscard]] const char* WorkloadKindName(WorkloadKind kind);  // "kv", "task-queue", ...

// The largest crash_last_write_variant: a write of up to 2^24 sectors (8 GiB of 512-byte sectors)
// names each of its variants.
inline constexpr int64_t kCrashLastWriteVariantMax = int64_t{1} << 24;
[[nodiscard]] const char* VerdictName(Verdict verdict);

}  // namespace northstar::sim
