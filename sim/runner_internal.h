// Internal to the runner: one run's state, shared by runner.cc (epochs: open, recover, check,
// crash) and runner_fibers.cc (the writer and reader fibers).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"

#include "engine/db.h"
#include "sim/checkers.h"
#include "sim/code_graph_ingest.h"
#include "sim/disk_trace.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "sim/target.h"
#include "sim/task_queue.h"
#include "sim/workload.h"
#include "vfs/sim_disk.h"

namespace northstar::sim::internal {

inline constexpr char kRunPath[] = "/db/sim.ns";
inline constexpr uint32_t kEpochsMax = 10'000;
inline constexpr uint32_t kStagnantEpochsMax = 20;
inline constexpr size_t kScanEntriesMax = 20;
// A task-queue agent looking for work stops at the first pending task of the type it wants, or
// after this many pending tasks of other types (it then takes the first).
inline constexpr size_t kPendingTasksLookedAtMax = 8;
// A whole-state scan (task-queue queue counts, time-travel as-of snapshots) reads at most this
// many entries: far more than any library scenario holds.
inline constexpr size_t kStateEntriesMax = 10'000'000;
// When a code-graph ingest completes, the callers of this many functions (evenly spread) are
// checked against the generator's answers, besides every module's dependencies and listing.
inline constexpr uint64_t kVerifiedCallersMax = 64;

using Entries = std::vector<std::pair<std::string, std::string>>;

// A write transaction of an application workload (task queue, time travel): its effective
// operations, for the model, and its own writes, for read-your-writes checks (CO-3).
struct TrackedTxn {
  explicit TrackedTxn(engine::WriteTxn& txn) : txn(txn) {}
  engine::WriteTxn& txn;
  std::vector<engine::LogOp> ops;
  std::map<std::string, std::optional<std::string>> pending;
};

// What a task-queue agent found in the state its write transaction started from.
struct QueueLook {
  uint64_t last_task_id = 0;           // 0: no task yet.
  std::optional<uint64_t> pending_id;  // The task to claim, if any.
};

// One run: the disk and the model live across epochs (crash to crash); each epoch has its own
// scheduler, runtime and Db, like a restarted process.
class Run {
 public:
  Run(const Scenario& scenario, PlantedBug planted_bug);

  RunResult execute(const RunOptions& options);

  // For crash-point enumeration (sim/crash_points.cc); call before execute().
  // Keeps the disk's write log (vfs::SimDisk::write_log) for write_log().
  void keep_write_log() { disk_.set_keep_write_log(true); }
  // Ends the run once the recovery after the crash at its crash_at_io points has been checked,
  // instead of running the rest of the workload. (Crashes before them, where a fault stopped the
  // workload's fibers, do not end it.)
  void stop_after_exact_crash_recovery() { stop_after_exact_crash_recovery_ = true; }
  // Ends the run when the writers are done, without the final crash and recovery.
  void skip_final_crash() { skip_final_crash_ = true; }

  // After execute():
  [[nodiscard]] std::vector<vfs::SimDiskWrite> write_log() const { return disk_.write_log(); }
  // The disk's I/O count at the crash() that reached the last crash_at_io point (0 if none did),
  // and now.
  [[nodiscard]] uint64_t exact_crash_io_count() const { return exact_crash_io_count_; }
  [[nodiscard]] uint64_t io_count() const { return disk_.io_count(); }

 private:
  struct Epoch {
    Epoch(const ScheduleOptions& schedule, uint64_t seed, const TraceOptions& trace,
          vfs::SimDisk& disk)
        : scheduler(schedule, seed, trace), runtime(scheduler), disk_trace(disk, scheduler) {}
    Scheduler scheduler;
    SimRuntime runtime;
    DiskTrace disk_trace;
  };

  [[nodiscard]] bool open_and_check(Epoch& epoch);
  // Whether an exact crash point fired while the database was opened or checked: the epoch ends
  // in a crash, and the next one recovers.
  [[nodiscard]] bool crashed_in_open();
  // The next crash_at_io index after the I/Os so far, if any (passed ones are skipped).
  [[nodiscard]] std::optional<uint64_t> next_exact_crash();
  void arm_crash_point();
  void run_fibers(Epoch& epoch);
  void writer(uint32_t index);
  void reader(uint32_t index);
  [[nodiscard]] bool write_op(TargetWriter& txn, WorkloadGenerator& generator,
                              std::vector<engine::LogOp>& ops,
                              std::map<std::string, std::optional<std::string>>& pending);
  [[nodiscard]] bool read_op(TargetReader& read, WorkloadGenerator& generator);
  [[nodiscard]] bool as_of_read(TargetReader& read, WorkloadGenerator& generator,
                                const std::string& key);
  [[nodiscard]] bool check_scan(TargetReader& read, const std::string& start, bool reverse,
                                const std::string& prefix);
  // The recovered database read in full into `recovered`, with the commit it shows; false if the
  // epoch ends (a crash point fired, or an error was judged).
  [[nodiscard]] bool read_recovered(KeyValues& recovered, uint64_t& recovered_txn);
  // The target's structure check after recovery, judged; false if the epoch ends.
  [[nodiscard]] bool check_structure();
  // Commits a write transaction whose effective operations are `ops`, feeding the model (and, in
  // a task-queue run, the per-commit task-queue check); false if the fiber must stop.
  [[nodiscard]] bool commit_tracked(uint64_t txn_id, const std::vector<engine::LogOp>& ops,
                                    absl::FunctionRef<absl::Status()> commit);
  [[nodiscard]] bool commit_tracked(engine::WriteTxn& txn, const std::vector<engine::LogOp>& ops) {
    return commit_tracked(txn.txn_id(), ops, [&txn] { return txn.commit(); });
  }

  // Application workloads (runner_app.cc): one tracked write transaction's operations, each
  // checked against the model; false if the fiber must stop.
  [[nodiscard]] std::optional<std::string> visible(const TrackedTxn& txn,
                                                   const std::string& key) const;
  [[nodiscard]] bool tracked_get(TrackedTxn& txn, const std::string& key,
                                 std::optional<std::string>& value);
  [[nodiscard]] bool tracked_put(TrackedTxn& txn, const std::string& key, std::string value);
  [[nodiscard]] bool tracked_del(TrackedTxn& txn, const std::string& key);
  // Up to `limit` entries whose keys start with `prefix`, in key order, into `entries`.
  [[nodiscard]] bool scan_prefix(engine::ReadTxn& read, std::string_view prefix, size_t limit,
                                 Entries& entries);
  // Every entry under `prefix`, into `entries`, checked against the model (CO-2); `what` names
  // the query for the message.
  [[nodiscard]] bool check_prefix(engine::ReadTxn& read, const std::string& prefix,
                                  std::string_view what, Entries& entries);
  // The snapshot `read` in full, checked against the model's state after commit `txn_id` (the
  // one it was asked for: CO-2, CO-12); `what` names it.
  [[nodiscard]] bool check_whole_snapshot(engine::ReadTxn& read, uint64_t txn_id,
                                          std::string_view what);
  // A snapshot the write transaction `txn` can scan in place of itself: the engine's WriteTxn
  // has no cursor, so its scans read the commit it started from (the latest: it holds the writer
  // lock), which is its view as long as it has written nothing yet. nullptr if the fiber must
  // stop.
  [[nodiscard]] std::unique_ptr<engine::ReadTxn> base_snapshot(const TrackedTxn& txn);

  // workload.kind = "task-queue" (runner_task_queue.cc).
  void task_agent(uint32_t agent);
  void task_reader(uint32_t index);
  [[nodiscard]] bool task_agent_step(TrackedTxn& txn, uint32_t agent,
                                     WorkloadGenerator& generator);
  [[nodiscard]] bool look_at_queue(engine::ReadTxn& base, std::string_view wanted_type,
                                   QueueLook& look);
  [[nodiscard]] bool produce_tasks(TrackedTxn& txn, uint64_t last_task_id,
                                   WorkloadGenerator& generator);
  [[nodiscard]] bool claim_task(TrackedTxn& txn, uint32_t agent, uint64_t id);
  [[nodiscard]] bool complete_task(TrackedTxn& txn, uint32_t agent, const std::string& held);
  [[nodiscard]] bool check_queue(engine::ReadTxn& read);
  [[nodiscard]] bool check_task(engine::ReadTxn& read, uint64_t id);

  // workload.kind = "code-graph" (runner_code_graph.cc).
  void graph_writer(uint32_t index);
  void graph_reader(uint32_t index);
  [[nodiscard]] bool graph_verify_complete();
  [[nodiscard]] bool graph_query(engine::ReadTxn& read, ReaderOp op, WorkloadGenerator& generator);
  [[nodiscard]] bool graph_lookup(engine::ReadTxn& read, uint64_t function);
  [[nodiscard]] bool graph_path_scan(engine::ReadTxn& read, const std::string& path_prefix);
  [[nodiscard]] bool graph_dependencies(engine::ReadTxn& read, uint32_t module);
  [[nodiscard]] bool graph_callers(engine::ReadTxn& read, uint64_t function);
  // Whether the snapshot of commit `txn_id` holds the whole ingest.
  [[nodiscard]] bool graph_complete_at(uint64_t txn_id) const;
  // The write transactions the writers have ahead (for spreading crashes over them).
  [[nodiscard]] uint64_t transactions_ahead() const;

  // workload.kind = "time-travel" (runner_time_travel.cc): an as-of read of a past commit.
  // `latest`: the commit the reader's snapshot shows.
  [[nodiscard]] bool time_travel_read(uint64_t latest, WorkloadGenerator& generator);
  [[nodiscard]] bool check_replay(uint64_t txn_id);
  // Classifies an engine error met by a fiber: a Corruption where none was injected fails the
  // run; anything else (halted disk, injected EIO, ENOSPC, refused writes) just stops the fiber.
  void on_engine_error(const absl::Status& status, std::string_view what);
  void check(std::optional<CheckFailure> failure);
  void fail(Verdict verdict, std::string message);
  [[nodiscard]] bool failed() const { return result_.verdict != Verdict::kPass; }
  [[nodiscard]] bool writers_done() const;

  const Scenario& scenario_;
  const PlantedBug planted_bug_;
  vfs::SimDisk disk_;
  Rng plan_rng_;
  uint32_t crashes_left_;
  size_t next_exact_crash_ = 0;
  const bool corruption_allowed_;
  // What the checkers hold the target to: its declared promise, or the scenario's.
  const Promise promise_;
  // Damage found after a crash is no failure: corruption was injected, or the target promised
  // nothing about crashes.
  const bool damage_allowed_;
  ReferenceModel model_;
  // This epoch's system under test, and our engine inside it when the target is ours (the
  // application workloads still drive engine::Db directly).
  std::unique_ptr<Target> target_;
  engine::Db* db_ = nullptr;
  std::vector<uint32_t> transactions_left_;
  std::vector<uint32_t> reads_left_;
  std::vector<WorkloadGenerator> writers_;
  std::vector<WorkloadGenerator> readers_;
  // A task-queue run: the queue after the last attempted commit (checked at every commit).
  TaskQueueState queue_;
  // A code-graph run: the repository and how far each writer's ingest got.
  std::optional<GraphIngest> graph_;
  Epoch* epoch_ = nullptr;
  RunResult result_;
  bool ended_ = false;  // The run cannot go on (e.g. injected corruption made recovery fail).
  bool stop_after_exact_crash_recovery_ = false;
  bool skip_final_crash_ = false;
  uint64_t exact_crash_io_count_ = 0;
};

}  // namespace northstar::sim::internal
