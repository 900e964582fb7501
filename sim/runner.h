// RunScenario: one seed of one scenario, end to end.
//
// Builds the engine on a SimDisk with the simulated runtime, runs the workload's writer and
// reader fibers, crashes the disk at the planned I/O indexes, recovers, checks, and continues
// until the writers are done; then crashes and checks once more. Every read is checked against
// the reference model (snapshot isolation), every recovery against the crash-state contract
// (durability, atomicity, crash state), the file's structure (validate) and page accounting
// (audit); a Corruption error where no bit rot or misdirected write was injected is a failure;
// a deadlock or runaway is a liveness failure. The first failure ends the run.
//
// Deterministic: the same binary, scenario and seed give the same trace hash.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "sim/scenario.h"
#include "sim/trace.h"

namespace northstar::sim {

struct RunStats {
  uint64_t transactions = 0;  // Write transactions begun.
  uint64_t commits = 0;       // Acknowledged.
  uint64_t aborts = 0;
  uint64_t reads = 0;  // Read operations checked against the model.
  uint64_t crashes = 0;
  uint64_t recoveries = 0;
  uint64_t faults = 0;  // Faults the disk injected (sim_disk counters).
  uint64_t steps = 0;   // Scheduler steps.
  uint64_t ios = 0;     // Disk I/O calls.
  // crash_points = "every-io" (sim/crash_points.h): the crash states run, and the I/O indexes
  // they crash at. The other counts are then sums over the reference run and every crash state.
  uint64_t crash_states = 0;
  uint64_t crash_io_indexes = 0;
  // Operations the fibers issued to the engine: a writer's put, delete or get, and a reader's
  // get, scan or as-of read (one per read transaction). What the shrinker minimises.
  uint64_t ops = 0;
};

struct RunResult {
  Verdict verdict = Verdict::kPass;
  std::string message;  // Empty on a pass.
  uint64_t trace_hash = 0;
  RunStats stats;
  // When the failure belongs to one run of many (a crash state of crash_points = "every-io"):
  // the scenario of that one run, which reproduces it alone, with this trace hash; a repro file
  // records it instead of the scenario run. nullopt otherwise.
  std::optional<Scenario> repro_scenario;
};

// Bugs the runner can plant in the system under test, to prove the checkers fire (each
// checker's test runs with its bug and expects its verdict). The one list of planted bugs:
// torture, run, replay and shrink take them by name (--plant-bug).
enum class PlantedBug {
  kNone,
  // The engine acknowledges commits without syncing the log (kLogNoSync), while the model
  // holds it to kLog's promise: the durability checker must fire after some crash.
  kAckWithoutSync,
  // In a task-queue run, agents looking for a task skip the check for an existing claim (they
  // take any task that is not completed): two agents end up holding one task, which only the
  // task-queue checker can see (the engine stores what it is given).
  kClaimWithoutCheck,
  // In a time-travel run, as-of reads of commit t read commit t - 1 instead (begin_read_at and
  // the log replay alike): an off-by-one of an AS OF implementation, for the as-of checks.
  kAsOfOffByOne,
  // In a code-graph run, writers resume their ingest one record too far after a crash: the
  // recovered state is a prefix of the commits (the model follows the writers), but the ingest
  // misses a record, which only the code-graph checker sees.
  kIngestResumeSkips,
  // The run calls abort() before it starts, as a failed assertion would: the worker-crash path
  // of torture, run and replay (a dead worker is a recorded failure with a repro file).
  kAbort,
};

// "none", "ack-without-sync", "claim-without-check", "as-of-off-by-one", "ingest-resume-skips",
// "abort": the names of --plant-bug and of repro files' "# planted bug:" line.
[[nodiscard]] const char* PlantedBugName(PlantedBug bug);
[[nodiscard]] std::optional<PlantedBug> PlantedBugFromName(std::string_view name);

struct RunOptions {
  TraceOptions trace;
  PlantedBug planted_bug = PlantedBug::kNone;
  // With trace.keep_events: where to write the trace (either may be null).
  std::ostream* trace_json_lines = nullptr;
  std::ostream* trace_chrome = nullptr;
};

// An error status only when the scenario itself is invalid; every outcome of the run, pass or
// failure, is a RunResult. A scenario with crash_points = "every-io" runs its crash-point
// enumeration (RunCrashPoints, sim/crash_points.h).
[[nodiscard]] absl::StatusOr<RunResult> RunScenario(const Scenario& scenario,
                                                    const RunOptions& options = {});

}  // namespace northstar::sim
