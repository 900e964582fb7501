#include "sim/runner.h"

#include "absl/strings/str_format.h"
#include "engine/validate.h"
#include "sim/crash_points.h"
#include "sim/runner_internal.h"
#include "util/assert.h"
#include "util/hash.h"
#include "util/status.h"

namespace northstar::sim {
namespace internal {
namespace {

engine::Durability ToEngine(DurabilityMode mode) {
  switch (mode) {
    case DurabilityMode::kLog:
      return engine::Durability::kLog;
    case DurabilityMode::kLogNoSync:
      return engine::Durability::kLogNoSync;
    case DurabilityMode::kMetaFlip:
      return engine::Durability::kMetaFlip;
  }
  NS_ASSERT_MSG(false, "unknown durability mode");
}

vfs::SimDiskFaults ToDiskFaults(const FaultPlan& plan) {
  vfs::SimDiskFaults faults;
  faults.read_error_probability = plan.read_error_probability;
  faults.write_error_probability = plan.write_error_probability;
  faults.sync_error_probability = plan.sync_error_probability;
  faults.failed_sync_drops_dirty_data = plan.failed_sync_drops_dirty_data;
  faults.capacity_bytes = plan.capacity_bytes;
  faults.bit_rot_probability = plan.bit_rot_probability;
  faults.misdirected_write_probability = plan.misdirected_write_probability;
  faults.read_latency_us_max = plan.read_latency_us_max;
  return faults;
}

}  // namespace

Run::Run(const Scenario& scenario, PlantedBug planted_bug)
    : scenario_(scenario),
      planted_bug_(planted_bug),
      disk_(vfs::SimDiskOptions{.sector_size_bytes = scenario.faults.sector_size_bytes,
                                .torn_writes = scenario.faults.torn_writes,
                                .lose_all_unsynced_dir_ops = scenario.faults.lose_unsynced_dir_ops},
            DeriveSeed(scenario.seed, "disk")),
      plan_rng_(DeriveSeed(scenario.seed, "faults.plan")),
      crashes_left_(scenario.faults.crashes),
      corruption_allowed_(scenario.faults.bit_rot_probability > 0 ||
                          scenario.faults.misdirected_write_probability > 0) {
  const WorkloadConfig& workload = scenario.workload;
  transactions_left_.assign(workload.writers, workload.transactions);
  reads_left_.assign(workload.readers, workload.reads_per_reader);
  for (uint32_t index = 0; index < workload.writers; index++) {
    writers_.emplace_back(workload,
                          Rng(DeriveSeed(scenario.seed, absl::StrFormat("writer-%d", index))));
  }
  for (uint32_t index = 0; index < workload.readers; index++) {
    readers_.emplace_back(workload,
                          Rng(DeriveSeed(scenario.seed, absl::StrFormat("reader-%d", index))));
  }
  model_.set_acknowledged_is_durable(scenario.engine.durability != DurabilityMode::kLogNoSync);
  if (workload.kind == WorkloadKind::kCodeGraph) {
    graph_.emplace(workload.code_graph, DeriveSeed(scenario.seed, "code-graph"), workload.writers);
  }
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
  if (status.code() == absl::StatusCode::kDataLoss && !corruption_allowed_ && !disk_.halted()) {
    fail(Verdict::kCorruption,
         absl::StrFormat("corruption: %s failed with Corruption though no bit rot or misdirected "
                         "write was injected: %s",
                         what, status.message()));
  }
}

bool Run::writers_done() const {
  for (uint32_t index = 0; index < transactions_left_.size(); index++) {
    // A code-graph writer is also done once its share of the repository is in.
    if (transactions_left_[index] > 0 && !(graph_ && graph_->records_left(index) == 0)) {
      return false;
    }
  }
  return true;
}

uint64_t Run::transactions_ahead() const {
  uint64_t ahead = 0;
  const WorkloadConfig& workload = scenario_.workload;
  // A code-graph writer needs about its records left over the mean records per transaction.
  const uint64_t mean_ops = (uint64_t{workload.ops_per_transaction_min} +
                             workload.ops_per_transaction_max + 1) / 2;
  for (uint32_t index = 0; index < transactions_left_.size(); index++) {
    uint64_t left = transactions_left_[index];
    if (graph_) left = std::min<uint64_t>(left, (graph_->records_left(index) + mean_ops - 1) / mean_ops);
    ahead += left;
  }
  return ahead;
}

engine::DbOptions Run::db_options(Epoch& epoch) const {
  const EngineConfig& engine = scenario_.engine;
  engine::DbOptions options;
  options.page_size_bytes = engine.page_size_bytes;
  options.cache_budget_bytes = engine.cache_bytes;
  options.durability = ToEngine(engine.durability);
  options.log_preallocate_bytes = engine.log_preallocate_bytes;
  options.checkpoint_log_bytes = engine.checkpoint_log_bytes;
  options.retained_snapshots = engine.retained_snapshots;
  options.recycle_log = engine.recycle_log;
  options.runtime = &epoch.runtime;
  if (planted_bug_ == PlantedBug::kAckWithoutSync)
    options.durability = engine::Durability::kLogNoSync;
  return options;
}

std::optional<uint64_t> Run::next_exact_crash() {
  // An index equal to the I/O count is still ahead: the crash comes before the next I/O.
  const uint64_t io_now = disk_.io_count();
  const std::vector<uint64_t>& exact = scenario_.faults.crash_at_io;
  while (next_exact_crash_ < exact.size() && exact[next_exact_crash_] < io_now) next_exact_crash_++;
  if (next_exact_crash_ == exact.size()) return std::nullopt;
  return exact[next_exact_crash_];
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
  absl::StatusOr<std::unique_ptr<engine::Db>> db =
      engine::Db::open(disk_, kRunPath, db_options(epoch));
  if (crashed_in_open()) return false;
  if (!db.ok()) {
    if (corruption_allowed_ && db.status().code() == absl::StatusCode::kDataLoss) {
      ended_ = true;  // Injected corruption may leave nothing to recover; not a bug.
      return false;
    }
    fail(db.status().code() == absl::StatusCode::kDataLoss ? Verdict::kCorruption
                                                           : Verdict::kCrashState,
         absl::StrFormat("recovery: open failed: %s", db.status().message()));
    return false;
  }
  db_ = std::move(*db);
  if (result_.stats.crashes > 0) result_.stats.recoveries++;
  // The recovered state, read in full, against the model.
  KeyValues recovered;
  {
    absl::StatusOr<std::unique_ptr<engine::ReadTxn>> read = db_->begin_read();
    NS_ASSERT(read.ok());
    std::unique_ptr<engine::Cursor> cursor = (*read)->cursor();
    absl::Status status = cursor->seek_first();
    while (status.ok() && cursor->valid()) {
      absl::StatusOr<std::string> value = cursor->value();
      if (!value.ok()) {
        status = value.status();
        break;
      }
      recovered.emplace(cursor->key(), std::move(*value));
      status = cursor->next();
    }
    if (!status.ok()) {
      if (crashed_in_open()) return false;
      on_engine_error(status, "reading the recovered state");
      if (!failed()) ended_ = true;
      return false;
    }
  }
  const uint64_t recovered_txn = db_->stats().txn_id;
  const bool task_queue = scenario_.workload.kind == WorkloadKind::kTaskQueue;
  // The task queue's own crash check first (CO-14): a lost claim is reported as the
  // application sees it; a torn commit still reaches the atomicity checker, since its claims
  // are some prefix's.
  if (task_queue) check(CheckTaskQueueRecovery(model_, recovered));
  if (failed()) return false;
  check(CheckRecoveredState(model_, recovered, recovered_txn));
  if (failed()) return false;
  model_.truncate_after(recovered_txn);
  if (task_queue) queue_ = TaskQueueState::Of(recovered);
  if (graph_) {
    graph_->recovered(recovered_txn, planted_bug_ == PlantedBug::kIngestResumeSkips);
    // CO-15: once the whole ingest is in, the state is exactly the repository.
    if (graph_complete_at(recovered_txn)) {
      check(CheckCodeGraphState(recovered, graph_->all_records(),
                                absl::StrFormat("the state recovered at commit %d", recovered_txn)));
      if (failed()) return false;
    }
  }
  if (!corruption_allowed_) {
    absl::StatusOr<engine::ValidationReport> report = engine::Validate(disk_, kRunPath);
    if (crashed_in_open()) return false;
    if (!report.ok() || !report->ok()) {
      fail(Verdict::kStructure,
           absl::StrFormat("structure: validate after recovery: %s",
                           report.ok() ? engine::FormatProblems(*report)
                                       : std::string(report.status().message())));
      return false;
    }
  }
  absl::StatusOr<std::vector<std::string>> problems = db_->audit();
  if (crashed_in_open()) return false;
  if (problems.ok() && !problems->empty()) {
    fail(Verdict::kPageAccounting, absl::StrFormat("page-accounting: %s", problems->front()));
    return false;
  }
  return true;
}

void Run::arm_crash_point() {
  vfs::SimDiskFaults faults = ToDiskFaults(scenario_.faults);
  const uint64_t io_now = disk_.io_count();
  if (const std::optional<uint64_t> exact = next_exact_crash()) {
    faults.crash_after_io_count = *exact;
    faults.crash_last_write_variant = scenario_.faults.crash_last_write_variant;
  } else if (crashes_left_ > 0) {
    crashes_left_--;
    // Spread the random crashes over the work that is left: about 4 I/Os per transaction.
    const uint64_t transactions_left = transactions_ahead();
    const uint64_t span = std::max<uint64_t>(50, 4 * transactions_left / (crashes_left_ + 1));
    faults.crash_after_io_count = io_now + 1 + plan_rng_.Uniform(span);
  }
  disk_.set_faults(faults);
}

void Run::run_fibers(Epoch& epoch) {
  // The writer and reader fibers of the workload's kind; time-travel is kv's with its own as-of
  // reads (Run::read_op).
  const WorkloadKind kind = scenario_.workload.kind;
  for (uint32_t index = 0; index < writers_.size(); index++) {
    if (kind == WorkloadKind::kTaskQueue) {
      epoch.scheduler.spawn(absl::StrFormat("agent-%d", index), [this, index] { task_agent(index); });
    } else if (kind == WorkloadKind::kCodeGraph) {
      epoch.scheduler.spawn(absl::StrFormat("writer-%d", index),
                            [this, index] { graph_writer(index); });
    } else {
      epoch.scheduler.spawn(absl::StrFormat("writer-%d", index), [this, index] { writer(index); });
    }
  }
  for (uint32_t index = 0; index < readers_.size(); index++) {
    const std::string name = absl::StrFormat("reader-%d", index);
    if (kind == WorkloadKind::kTaskQueue) {
      epoch.scheduler.spawn(name, [this, index] { task_reader(index); });
    } else if (kind == WorkloadKind::kCodeGraph) {
      epoch.scheduler.spawn(name, [this, index] { graph_reader(index); });
    } else {
      epoch.scheduler.spawn(name, [this, index] { reader(index); });
    }
  }
  const absl::Status status = epoch.scheduler.run();
  if (!status.ok()) {
    fail(Verdict::kLiveness, absl::StrFormat("liveness: %s", status.message()));
    // Stopped fibers are abandoned with their transactions open: the Db must not be destroyed.
    (void)db_.release();
  }
}

RunResult Run::execute(const RunOptions& options) {
  Xxh3Stream run_hash;
  uint32_t stagnant_epochs = 0;
  for (uint32_t index = 0; index < kEpochsMax && !failed() && !ended_; index++) {
    ScheduleOptions schedule = scenario_.scheduler;
    schedule.fibers_max = static_cast<uint32_t>(writers_.size() + readers_.size());
    Epoch epoch(schedule, DeriveSeed(scenario_.seed, absl::StrFormat("epoch-%d", index)),
                options.trace, disk_);
    epoch_ = &epoch;
    const bool opened = open_and_check(epoch);
    if (opened && stop_after_exact_crash_recovery_ && exact_crash_io_count_ > 0) {
      ended_ = true;  // The crash state is checked; the rest of the workload is not run.
    } else if (opened && !writers_done()) {
      uint64_t progress_before = 0;
      for (uint32_t left : transactions_left_) progress_before += left;
      arm_crash_point();
      run_fibers(epoch);
      uint64_t progress_after = 0;
      for (uint32_t left : transactions_left_) progress_after += left;
      stagnant_epochs = progress_after == progress_before ? stagnant_epochs + 1 : 0;
      if (stagnant_epochs >= kStagnantEpochsMax) ended_ = true;
      if (skip_final_crash_ && writers_done()) ended_ = true;
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
    db_.reset();
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

absl::StatusOr<RunResult> RunScenario(const Scenario& scenario, const RunOptions& options) {
  NS_RETURN_IF_ERROR(ValidateScenario(scenario));
  if (scenario.faults.crash_points == CrashPointMode::kEveryIo) {
    return RunCrashPoints(scenario, options);
  }
  internal::Run run(scenario, options.planted_bug);
  return run.execute(options);
}

}  // namespace northstar::sim
