// Workload: what the fibers of a run do (workload.kind), apart from the runner.
//
// The runner (sim/runner.cc) owns the epochs, the crash points, recovery and the checks that
// follow the target's promise; a Workload spawns the writer and reader fibers of each epoch,
// drives the target, checks what it reads against the model, and adds the checks of its own
// application (the task queue's invariants, the code graph's answers) through the hooks below.
// `kv` runs on any target; `time-travel` is kv with its own AS OF reads; `task-queue` and
// `code-graph` still drive our engine's API (RunContext::engine_db()).
//
// Each workload is a pure function of the scenario's seed: its generators draw from streams
// named after its fibers ("writer-0", "reader-1"), so that changing one part of a run does not
// shift the others.
//
// Thread safety: one OS thread (the scheduler's fibers).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "engine/db.h"
#include "sim/checkers.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/scheduler.h"
#include "sim/sim_runtime.h"
#include "sim/target.h"
#include "sim/workload.h"
#include "vfs/file_system.h"

namespace northstar::sim {

inline constexpr char kRunPath[] = "/db/sim.ns";
inline constexpr size_t kScanEntriesMax = 20;
// A whole-state scan (task-queue queue counts, time-travel as-of snapshots, the recovered state)
// reads at most this many entries: far more than any library scenario holds.
inline constexpr size_t kStateEntriesMax = 10'000'000;

using Entries = std::vector<std::pair<std::string, std::string>>;

// What a workload sees of its run. Implemented by the runner; the runtime, target and engine
// are this epoch's.
class RunContext {
 public:
  virtual ~RunContext() = default;
  [[nodiscard]] virtual const Scenario& scenario() const = 0;
  [[nodiscard]] virtual PlantedBug planted_bug() const = 0;
  [[nodiscard]] virtual ReferenceModel& model() = 0;
  [[nodiscard]] virtual RunStats& stats() = 0;
  [[nodiscard]] virtual SimRuntime& runtime() = 0;
  [[nodiscard]] virtual Target& target() = 0;
  // The disk the target lives on (a workload may read its files as a separate tool would).
  [[nodiscard]] virtual vfs::FileSystem& disk() = 0;
  [[nodiscard]] virtual bool failed() const = 0;
  // The first failure is the run's verdict.
  virtual void fail(Verdict verdict, std::string message) = 0;
  // An engine error met by a fiber: a Corruption where none was injected (or allowed by the
  // promise) fails the run; anything else stops the fiber.
  virtual void on_engine_error(const absl::Status& status, std::string_view what) = 0;
  // Commits a write transaction whose effective operations are `ops` as commit `txn_id`,
  // feeding the model (and the workload's attempting() hook); false if the fiber must stop.
  [[nodiscard]] virtual bool commit_tracked(uint64_t txn_id, const std::vector<engine::LogOp>& ops,
                                            absl::FunctionRef<absl::Status()> commit) = 0;
};

// A write transaction on our engine of an application workload: its effective operations, for
// the model, and its own writes, for read-your-writes checks (CO-3).
struct TrackedTxn {
  explicit TrackedTxn(engine::WriteTxn& txn) : txn(txn) {}
  engine::WriteTxn& txn;
  std::vector<engine::LogOp> ops;
  std::map<std::string, std::optional<std::string>> pending;
};

class Workload {
 public:
  explicit Workload(RunContext& run);
  virtual ~Workload() = default;
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // This epoch's writer fibers, then its reader fibers.
  virtual void spawn(Scheduler& scheduler) = 0;
  // Whether the writers have nothing left to do.
  [[nodiscard]] virtual bool done() const;
  // The write transactions the writers have ahead (for spreading crashes over them).
  [[nodiscard]] virtual uint64_t transactions_ahead() const;
  // The write transactions left, summed over writers (progress between epochs).
  [[nodiscard]] uint64_t transactions_left() const;

  // After a recovery, before the crash-state check: the application's own view of what the
  // crash left (a lost claim, as the task queue sees it).
  virtual void check_recovery(const KeyValues& recovered) {}
  // Recovery settled on commit `txn_id` with state `recovered` (and the model agrees).
  virtual void recovered(const KeyValues& recovered, uint64_t txn_id) {}
  // Commit `txn_id` with these effective operations (not empty) is about to commit.
  virtual void attempting(uint64_t txn_id, const std::vector<engine::LogOp>& ops) {}

 protected:
  [[nodiscard]] bool failed() const { return run_.failed(); }
  void fail(Verdict verdict, std::string message) { run_.fail(verdict, std::move(message)); }
  void check(std::optional<CheckFailure> failure) {
    if (failure) fail(failure->kind, std::move(failure->message));
  }
  void on_engine_error(const absl::Status& status, std::string_view what) {
    run_.on_engine_error(status, what);
  }
  [[nodiscard]] ReferenceModel& model() { return run_.model(); }
  [[nodiscard]] RunStats& stats() { return run_.stats(); }
  [[nodiscard]] SimRuntime& runtime() { return run_.runtime(); }
  // Our engine, for the application workloads that drive it directly.
  [[nodiscard]] engine::Db* db() { return run_.target().engine_db(); }

  // Application workloads on our engine (workload.cc): one tracked write transaction's
  // operations, each checked against the model; false if the fiber must stop.
  [[nodiscard]] std::optional<std::string> visible(const TrackedTxn& txn, const std::string& key);
  [[nodiscard]] bool tracked_get(TrackedTxn& txn, const std::string& key,
                                 std::optional<std::string>& value);
  [[nodiscard]] bool tracked_put(TrackedTxn& txn, const std::string& key, std::string value);
  [[nodiscard]] bool tracked_del(TrackedTxn& txn, const std::string& key);
  [[nodiscard]] bool commit_tracked(engine::WriteTxn& txn, const std::vector<engine::LogOp>& ops) {
    return run_.commit_tracked(txn.txn_id(), ops, [&txn] { return txn.commit(); });
  }
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

  RunContext& run_;
  const Scenario& scenario_;
  std::vector<uint32_t> transactions_left_;
  std::vector<uint32_t> reads_left_;
  std::vector<WorkloadGenerator> writers_;
  std::vector<WorkloadGenerator> readers_;
};

// The workload of `scenario.workload.kind`.
[[nodiscard]] std::unique_ptr<Workload> MakeWorkload(RunContext& run);

}  // namespace northstar::sim
