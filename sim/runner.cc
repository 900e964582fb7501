#include "sim/runner.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "sim/crash_points.h"
#include "sim/checkers_ops.h"
#include "sim/runner_internal.h"
#include "sim/target_registry.h"
#include "util/assert.h"
#include "util/hash.h"
#include "util/status.h"

namespace northstar::sim {
namespace internal {
namespace {

// The promise the scenario's target declares (RunScenario checked that the target exists).
Promise DeclaredPromise(const Scenario& scenario, PlantedBug planted_bug) {
  absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(scenario, planted_bug);
  NS_ASSERT_MSG(target.ok(), "the scenario's target is not registered");
  return (*target)->promise();
}

}  // namespace

Run::Run(const Scenario& scenario, PlantedBug planted_bug)
    : scenario_(scenario),
      planted_bug_(planted_bug),
      disk_(vfs::SimDiskOptions{.sector_size_bytes = scenario.faults.sector_size_bytes,
                                .torn_writes = scenario.faults.torn_writes,
                                .lose_all_unsynced_dir_ops = scenario.faults.lose_unsynced_dir_ops,
                                .atomic_truncate = scenario.faults.atomic_truncate},
            DeriveSeed(scenario.seed, "disk")),
      plan_rng_(DeriveSeed(scenario.seed, "faults.plan")),
      crashes_left_(scenario.faults.crashes),
      corruption_allowed_(scenario.faults.disk.bit_rot_probability > 0 ||
                          scenario.faults.disk.misdirected_write_probability > 0),
      promise_(HeldPromise(DeclaredPromise(scenario, planted_bug), scenario.target.promise)),
      damage_allowed_(corruption_allowed_ || promise_.crash_loss == CrashLoss::kAny) {
  model_.set_acknowledged_is_durable(promise_.crash_loss == CrashLoss::kNone);
  workload_ = MakeWorkload(*this);
}

void Run::fail(Verdict verdict, std::string message) {
  if (failed()) return;  // The first failure is the verdict.
  result_.verdict = verdict;
  result_.message = std::move(message);
  if (epoch_ != nullptr)
    epoch_->scheduler.record(TraceEventKind::kCheck, 0, 0, 0, 0, result_.message);
}

void Run::check(std::optional<CheckFailure> failure) {
  if (failure) fail(failure->kind, std::move(failure->message));
}

void Run::on_engine_error(const absl::Status& status, std::string_view what) {
  check(CheckEngineError(status, what, damage_allowed_, disk_.halted()));
}

std::optional<uint64_t> Run::next_exact_crash() {
  // An index equal to the I/O count is still ahead: the crash comes before the next I/O.
  const uint64_t io_now = disk_.io_count();
  const std::vector<uint64_t>& exact = scenario_.faults.crash_at_io;
  while (next_exact_crash_ < exact.size() && exact[next_exact_crash_] < io_now) next_exact_crash_++;
  if (next_exact_crash_ == exact.size()) return std::nullopt;
  return exact[next_exact_crash_];
}

bool Run::commit_tracked(uint64_t txn_id, const std::vector<engine::LogOp>& ops,
                         absl::FunctionRef<absl::Status()> commit) {
  if (!ops.empty()) {
    model_.attempt(txn_id, ops);
    workload_->attempting(txn_id, ops);
  }
  epoch_->runtime.record_op("commit", txn_id, ops.size());
  const absl::Status status = commit();
  if (!status.ok()) {
    on_engine_error(status, absl::StrFormat("commit of txn %d", txn_id));
    return false;
  }
  if (!ops.empty()) {
    model_.acknowledge(txn_id);
    result_.stats.commits++;
  }
  model_.checkpointed(target_->durable_commit_id());
  return true;
}

bool Run::crashed_in_open() { return disk_.halted(); }

bool Run::open_and_check(Epoch& epoch) {
  // Recovery and its checks run without faults: they judge what the crash left. Only an exact
  // crash point may fire, so that crash_at_io reaches every I/O index: a crash while the
  // database is created or recovered, or while the checks read it (FM-12).
  vfs::SimDiskFaults open_faults;
  if (const std::optional<uint64_t> exact = next_exact_crash()) {
    open_faults.crash_after_io_count = *exact;
    open_faults.crash_last_write_variant = scenario_.faults.crash_last_write_variant;
  }
  disk_.set_faults(open_faults);
  absl::StatusOr<std::unique_ptr<Target>> target = MakeTarget(scenario_, planted_bug_);
  NS_ASSERT(target.ok());
  target_ = std::move(*target);
  const absl::Status opened = target_->open(
      TargetEnvironment{.fs = &disk_,
                        .runtime = &epoch.runtime,
                        .path = kRunPath,
                        .seed = DeriveSeed(epoch.scheduler.seed(), "target"),
                        .corruption_injected = corruption_allowed_});
  if (crashed_in_open()) return false;
  if (!opened.ok()) {
    if (damage_allowed_ && opened.code() == absl::StatusCode::kDataLoss) {
      ended_ = true;  // Injected corruption may leave nothing to recover; not a bug.
      return false;
    }
    check(CheckRecoveryOpen(opened));
    return false;
  }
  if (result_.stats.crashes > 0) result_.stats.recoveries++;
  KeyValues recovered;
  uint64_t recovered_txn = 0;
  if (!read_recovered(recovered, recovered_txn)) return false;
  workload_->check_recovery(recovered);
  if (failed()) return false;
  if (promise_.crash_loss == CrashLoss::kAny) {
    model_.reset_to(recovered, recovered_txn);  // Any state is what the target promised.
  } else {
    check(CheckRecoveredState(model_, recovered, recovered_txn));
    if (failed()) return false;
    model_.truncate_after(recovered_txn);
  }
  workload_->recovered(recovered, recovered_txn);
  if (failed()) return false;
  return check_structure();
}

bool Run::read_recovered(KeyValues& recovered, uint64_t& recovered_txn) {
  absl::StatusOr<std::unique_ptr<TargetReader>> read = target_->begin_read();
  absl::StatusOr<ScanEntries> entries =
      read.ok() ? (*read)->scan(ScanRequest{.limit = kStateEntriesMax}) : read.status();
  if (!entries.ok()) {
    if (crashed_in_open()) return false;
    on_engine_error(entries.status(), "reading the recovered state");
    if (!failed()) ended_ = true;
    return false;
  }
  read->reset();  // Closed before the commit id is asked for, as a recovery tool would.
  recovered.insert(entries->begin(), entries->end());
  absl::StatusOr<uint64_t> last = target_->last_commit_id();
  if (!last.ok()) {
    if (crashed_in_open()) return false;
    on_engine_error(last.status(), "reading the recovered commit id");
    if (!failed()) ended_ = true;
    return false;
  }
  recovered_txn = *last;
  return true;
}

bool Run::check_structure() {
  absl::StatusOr<std::vector<StructureProblem>> problems = target_->check_structure();
  if (crashed_in_open()) return false;
  if (!problems.ok()) {
    problems = std::vector<StructureProblem>{
        {Verdict::kStructure, std::string(problems.status().message())}};
  }
  if (problems->empty()) return true;
  if (damage_allowed_ && promise_.crash_loss == CrashLoss::kAny) {
    ended_ = true;  // The target promised nothing about crashes: damage ends the run.
    return false;
  }
  check(CheckStructure(*problems));
  return false;
}

void Run::arm_crash_point() {
  vfs::SimDiskFaults faults = scenario_.faults.disk;
  const uint64_t io_now = disk_.io_count();
  if (const std::optional<uint64_t> exact = next_exact_crash()) {
    faults.crash_after_io_count = *exact;
    faults.crash_last_write_variant = scenario_.faults.crash_last_write_variant;
  } else if (crashes_left_ > 0) {
    crashes_left_--;
    // Spread the random crashes over the work that is left: about 4 I/Os per transaction.
    const uint64_t transactions_left = workload_->transactions_ahead();
    const uint64_t span = std::max<uint64_t>(50, 4 * transactions_left / (crashes_left_ + 1));
    faults.crash_after_io_count = io_now + 1 + plan_rng_.Uniform(span);
  }
  disk_.set_faults(faults);
}

void Run::run_fibers(Epoch& epoch) {
  workload_->spawn(epoch.scheduler);
  const absl::Status status = epoch.scheduler.run();
  if (!status.ok()) {
    check(CheckLiveness(status));
    // Stopped fibers are abandoned with their transactions open: the target must not be
    // destroyed.
    target_->abandon();
    (void)target_.release();
  }
}

RunResult Run::execute(const RunOptions& options) {
  Xxh3Stream run_hash;
  uint32_t stagnant_epochs = 0;
  for (uint32_t index = 0; index < kEpochsMax && !failed() && !ended_; index++) {
    ScheduleOptions schedule = scenario_.scheduler;
    schedule.fibers_max = scenario_.workload.writers + scenario_.workload.readers;
    Epoch epoch(schedule, DeriveSeed(scenario_.seed, absl::StrFormat("epoch-%d", index)),
                options.trace, disk_);
    epoch_ = &epoch;
    const bool opened = open_and_check(epoch);
    if (opened && stop_after_exact_crash_recovery_ && exact_crash_io_count_ > 0) {
      ended_ = true;  // The crash state is checked; the rest of the workload is not run.
    } else if (opened && !workload_->done()) {
      const uint64_t progress_before = workload_->transactions_left();
      arm_crash_point();
      run_fibers(epoch);
      const uint64_t progress_after = workload_->transactions_left();
      stagnant_epochs = progress_after == progress_before ? stagnant_epochs + 1 : 0;
      if (stagnant_epochs >= kStagnantEpochsMax) ended_ = true;
      if (skip_final_crash_ && workload_->done()) ended_ = true;
    } else if (opened) {
      ended_ = true;  // The writers are done and the final recovery checked out.
    }
    result_.stats.steps += epoch.scheduler.step();
    run_hash.UpdateU64(epoch.scheduler.trace().hash());
    if (options.trace.keep_events && options.trace_json_lines != nullptr) {
      epoch.scheduler.trace().write_json_lines(*options.trace_json_lines);
    }
    if (options.trace.keep_events && options.trace_chrome != nullptr && index == 0) {
      epoch.scheduler.trace().write_chrome_trace(*options.trace_chrome,
                                                 epoch.scheduler.fiber_names());
    }
    target_.reset();
    epoch_ = nullptr;
    if (!failed() && !ended_) {
      // The exact crash points this crash reached are spent.
      const uint64_t io_now = disk_.io_count();
      const std::vector<uint64_t>& exact = scenario_.faults.crash_at_io;
      while (next_exact_crash_ < exact.size() && exact[next_exact_crash_] <= io_now) {
        next_exact_crash_++;
        if (next_exact_crash_ == exact.size()) exact_crash_io_count_ = io_now;
      }
      disk_.crash();
      result_.stats.crashes++;
    }
  }
  const vfs::SimDiskCounters counters = disk_.counters();
  result_.stats.faults = counters.faults_injected;
  result_.stats.ios = disk_.io_count();
  run_hash.UpdateU64(static_cast<uint64_t>(result_.verdict));
  result_.trace_hash = run_hash.Digest();
  return result_;
}

}  // namespace internal

namespace {

constexpr PlantedBug kAllPlantedBugs[] = {
    PlantedBug::kNone,          PlantedBug::kAckWithoutSync,    PlantedBug::kClaimWithoutCheck,
    PlantedBug::kAsOfOffByOne, PlantedBug::kIngestResumeSkips, PlantedBug::kAbort};

}  // namespace

const char* PlantedBugName(PlantedBug bug) {
  switch (bug) {
    case PlantedBug::kNone:
      return "none";
    case PlantedBug::kAckWithoutSync:
      return "ack-without-sync";
    case PlantedBug::kClaimWithoutCheck:
      return "claim-without-check";
    case PlantedBug::kAsOfOffByOne:
      return "as-of-off-by-one";
    case PlantedBug::kIngestResumeSkips:
      return "ingest-resume-skips";
    case PlantedBug::kAbort:
      return "abort";
  }
  NS_ASSERT_MSG(false, "unknown PlantedBug");
  return "unknown";
}

std::optional<PlantedBug> PlantedBugFromName(std::string_view name) {
  for (PlantedBug bug : kAllPlantedBugs) {
    if (name == PlantedBugName(bug)) return bug;
  }
  return std::nullopt;
}

absl::StatusOr<RunResult> RunScenario(const Scenario& scenario, const RunOptions& options) {
  NS_RETURN_IF_ERROR(ValidateScenario(scenario));
  if (options.planted_bug == PlantedBug::kAbort) {
    std::fprintf(stderr, "northstar: planted bug 'abort' on seed 0x%llx\n",
                 static_cast<unsigned long long>(scenario.seed));
    std::abort();
  }
  NS_RETURN_IF_ERROR(MakeTarget(scenario, options.planted_bug).status());
  if (scenario.faults.crash_points == CrashPointMode::kEveryIo) {
    return RunCrashPoints(scenario, options);
  }
  internal::Run run(scenario, options.planted_bug);
  return run.execute(options);
}

}  // namespace northstar::sim
