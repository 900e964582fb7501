// Internal to the runner: one run's state, shared by runner.cc (epochs: open, recover, check,
// crash) and runner_fibers.cc (the writer and reader fibers).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/db.h"
#include "sim/checkers.h"
#include "sim/disk_trace.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "sim/workload.h"
#include "vfs/sim_disk.h"

namespace northstar::sim::internal {

inline constexpr char kRunPath[] = "/db/sim.ns";
inline constexpr uint32_t kEpochsMax = 10'000;
inline constexpr uint32_t kStagnantEpochsMax = 20;
inline constexpr size_t kScanEntriesMax = 20;

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
  [[nodiscard]] bool write_op(engine::WriteTxn& txn, WorkloadGenerator& generator,
                              std::vector<engine::LogOp>& ops,
                              std::map<std::string, std::optional<std::string>>& pending);
  [[nodiscard]] bool read_op(engine::ReadTxn& read, WorkloadGenerator& generator);
  [[nodiscard]] bool check_scan(engine::ReadTxn& read, const std::string& start, bool reverse,
                                const std::string& prefix);
  // Classifies an engine error met by a fiber: a Corruption where none was injected fails the
  // run; anything else (halted disk, injected EIO, ENOSPC, refused writes) just stops the fiber.
  void on_engine_error(const absl::Status& status, std::string_view what);
  void check(std::optional<CheckFailure> failure);
  void fail(Verdict verdict, std::string message);
  [[nodiscard]] bool failed() const { return result_.verdict != Verdict::kPass; }
  [[nodiscard]] bool writers_done() const;
  [[nodiscard]] engine::DbOptions db_options(Epoch& epoch) const;

  const Scenario& scenario_;
  const PlantedBug planted_bug_;
  vfs::SimDisk disk_;
  Rng plan_rng_;
  uint32_t crashes_left_;
  size_t next_exact_crash_ = 0;
  const bool corruption_allowed_;
  ReferenceModel model_;
  std::unique_ptr<engine::Db> db_;
  std::vector<uint32_t> transactions_left_;
  std::vector<uint32_t> reads_left_;
  std::vector<WorkloadGenerator> writers_;
  std::vector<WorkloadGenerator> readers_;
  Epoch* epoch_ = nullptr;
  RunResult result_;
  bool ended_ = false;  // The run cannot go on (e.g. injected corruption made recovery fail).
  bool stop_after_exact_crash_recovery_ = false;
  bool skip_final_crash_ = false;
  uint64_t exact_crash_io_count_ = 0;
};

}  // namespace northstar::sim::internal
