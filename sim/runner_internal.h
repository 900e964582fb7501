// Internal to the runner: one run's state (runner.cc: epochs, crash points, recovery, the checks
// that follow the target's promise). What the fibers do is the run's Workload
// (sim/workloads/), which sees the run through RunContext.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "sim/checkers.h"
#include "sim/disk_trace.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "sim/target.h"
#include "sim/workloads/workload.h"
#include "vfs/sim_disk.h"

namespace northstar::sim::internal {

inline constexpr uint32_t kEpochsMax = 10'000;
inline constexpr uint32_t kStagnantEpochsMax = 20;

// One run: the disk and the model live across epochs (crash to crash); each epoch has its own
// scheduler, runtime and Db, like a restarted process.
class Run final : public RunContext {
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
  // The recovered database read in full into `recovered`, with the commit it shows; false if the
  // epoch ends (a crash point fired, or an error was judged).
  [[nodiscard]] bool read_recovered(KeyValues& recovered, uint64_t& recovered_txn);
  // The target's structure check after recovery, judged; false if the epoch ends.
  [[nodiscard]] bool check_structure();
  void check(std::optional<CheckFailure> failure);

  // RunContext.
  [[nodiscard]] const Scenario& scenario() const override { return scenario_; }
  [[nodiscard]] PlantedBug planted_bug() const override { return planted_bug_; }
  [[nodiscard]] ReferenceModel& model() override { return model_; }
  [[nodiscard]] RunStats& stats() override { return result_.stats; }
  [[nodiscard]] SimRuntime& runtime() override { return epoch_->runtime; }
  [[nodiscard]] Target& target() override { return *target_; }
  [[nodiscard]] vfs::FileSystem& disk() override { return disk_; }
  [[nodiscard]] bool failed() const override { return result_.verdict != Verdict::kPass; }
  void fail(Verdict verdict, std::string message) override;
  void on_engine_error(const absl::Status& status, std::string_view what) override;
  [[nodiscard]] bool commit_tracked(uint64_t txn_id, const std::vector<engine::LogOp>& ops,
                                    absl::FunctionRef<absl::Status()> commit) override;

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
  // This epoch's system under test.
  std::unique_ptr<Target> target_;
  // What the fibers do; built last (it reads the scenario through this run).
  std::unique_ptr<Workload> workload_;

  Epoch* epoch_ = nullptr;
  RunResult result_;
  bool ended_ = false;  // The run cannot go on (e.g. injected corruption made recovery fail).
  bool stop_after_exact_crash_recovery_ = false;
  bool skip_final_crash_ = false;
  uint64_t exact_crash_io_count_ = 0;
};

}  // namespace northstar::sim::internal
