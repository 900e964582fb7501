// Crash-point enumeration: every crash state of a short workload, one run each, as ALICE and
// CrashMonkey do (spec/fault_model.md, FM-12; a scenario asks for it with
// `crash_points = "every-io"`, spec/scenario_format.md).
//
// A reference run of the scenario without crashes (crashes = 0, no crash_at_io, and no final
// crash: it ends with its workload) counts its I/Os, N (sim_disk's I/O clock: the database's
// creation and the workload), and logs which of them were writes. Then each crash state is one run
// of the scenario with exactly one planned crash: right after I/O i, for every i in 1..N; for a
// write touching S sectors, once per variant of that write (none of it persisted, its first k
// sectors for k = 1..S-1, all of it, and, on a disk with torn_writes, its first sector torn inside:
// vfs::SimDiskFaults). Every other unsynced sector, growth and name resolves by the crash RNG as in
// any crash, from the scenario's seed: a crash state is a deterministic function of (scenario, i,
// variant), and CrashStateScenario turns it into an ordinary scenario that replays it alone.
//
// Each crash-state run stops once the recovery after its crash is checked (durability,
// atomicity, crash state, structure, page accounting): the rest of the workload would repeat the
// reference run's checks. Its I/Os up to i are the reference run's (the same seed, the same
// schedule), so a crash state is reached exactly; the run asserts it.
//
// Thread-safe: no shared state (each run owns its disk and scheduler).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "vfs/sim_disk.h"

namespace northstar::sim {

// One crash state: a crash right after I/O `io_index` (1-based), its last write coming back as
// `variant` (vfs::SimDiskFaults::crash_last_write_variant), -1 when that I/O is not a write.
struct CrashState {
  uint64_t io_index = 0;
  int64_t variant = -1;

  friend bool operator==(const CrashState&, const CrashState&) = default;
};

// The crash states of a scenario, from its reference run.
class CrashStatePlan {
 public:
  CrashStatePlan(uint64_t io_count, const std::vector<vfs::SimDiskWrite>& writes, bool torn_writes);

  // N: the I/O indexes 1..N are crash points.
  [[nodiscard]] uint64_t io_count() const { return io_count_; }
  // The crash states at I/O indexes [first, last] (both in 1..N), and in all of 1..N.
  [[nodiscard]] uint64_t state_count(uint64_t first_io, uint64_t last_io) const;
  [[nodiscard]] uint64_t state_count() const { return state_count(1, io_count_); }
  // The variants of I/O `io_index`: 1 for an I/O that is not a write (variant -1).
  [[nodiscard]] uint64_t variant_count(uint64_t io_index) const;
  // The crash states of I/O `io_index`, in order.
  [[nodiscard]] std::vector<CrashState> states_at(uint64_t io_index) const;
  // "I/O 812: a write of 4096 bytes to /db/sim.ns at offset 16384, its first 3 of 8 sectors
  // persisted", or "I/O 815 (not a write)".
  [[nodiscard]] std::string describe(CrashState state) const;

 private:
  uint64_t io_count_;
  bool torn_writes_;
  std::map<uint64_t, vfs::SimDiskWrite> writes_;  // By I/O index; only those in 1..N.
};

// The reference run of `scenario` (which should have crash_points = "every-io"; its crashes,
// crash_at_io and crash_last_write_variant are not used): its result, and its plan. When the
// reference run fails, that is the enumeration's verdict (the plan is then of no use).
struct CrashPointReference {
  RunResult result;
  CrashStatePlan plan;
};
[[nodiscard]] CrashPointReference RunCrashPointReference(const Scenario& scenario,
                                                         const RunOptions& options);

// The ordinary scenario of one crash state: crash_points = "random", crashes = 0,
// crash_at_io = [io_index], crash_last_write_variant = variant. Run by RunScenario it gives the
// same verdict as the crash state gave in the enumeration (and on a failure the same trace hash:
// the failure ends both runs at the same point).
[[nodiscard]] Scenario CrashStateScenario(const Scenario& scenario, CrashState state);

// What a run of some crash states found.
struct CrashStatesResult {
  Verdict verdict = Verdict::kPass;
  std::string message;      // The first failure's, naming its crash state.
  CrashState failed_state;  // When verdict != kPass.
  uint64_t failed_trace_hash = 0;
  uint64_t trace_hash_sum = 0;  // The crash states' trace hashes added up (wrapping).
  RunStats stats;               // Summed; crash_states and crash_io_indexes counted.
};

// Runs the crash states at I/O indexes [first_io, last_io] in order, stopping at the first that
// does not pass. `options.planted_bug` applies; traces are not written.
[[nodiscard]] CrashStatesResult RunCrashStates(const Scenario& scenario, const CrashStatePlan& plan,
                                               uint64_t first_io, uint64_t last_io,
                                               const RunOptions& options);

// The enumeration's result from its reference run and the results of its ranges of crash states
// (in any order; together they cover 1..N): the first failure in (io_index, variant) order, with
// its scenario (repro_scenario) and trace hash; on a pass a trace hash of the reference run and
// every crash state, the same however the ranges were split.
[[nodiscard]] RunResult MergeCrashPointResults(const Scenario& scenario,
                                               const CrashPointReference& reference,
                                               const std::vector<CrashStatesResult>& ranges);

// The whole enumeration in this thread: the reference run, then every crash state. Writes the
// reference run's trace when `options` asks for one.
[[nodiscard]] RunResult RunCrashPoints(const Scenario& scenario, const RunOptions& options);

}  // namespace northstar::sim
