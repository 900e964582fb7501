// workload.kind = "time-travel": kv's writers and readers, whose as-of reads go back to any past
// commit: a retained one through begin_read_at, any other by replaying the log, which the run
// keeps whole (engine.recycle_log = false); either way the whole state is compared with the
// model's state after that commit (spec/correctness.md, CO-12).
#include "absl/strings/str_format.h"
#include "engine/log/replay.h"
#include "sim/workloads/kv.h"
#include "util/assert.h"

namespace northstar::sim {
namespace {

// Half of the as-of reads go to a commit that may still be retained (begin_read_at), the others
// to an older one (a log replay, unless a reader still holds it).
constexpr double kRecentProbability = 0.5;

}  // namespace

bool TimeTravelWorkload::as_of_read(TargetReader& read, WorkloadGenerator& generator,
                                    const std::string& key) {
  return time_travel_read(read.commit_id(), generator);
}

bool TimeTravelWorkload::time_travel_read(uint64_t latest, WorkloadGenerator& generator) {
  if (latest == 0) return true;  // No history yet.
  Rng& rng = generator.rng();
  const uint64_t recent =
      std::min<uint64_t>(latest, uint64_t{scenario_.engine.retained_snapshots} + 1);
  const bool old = latest > recent && !rng.Chance(kRecentProbability);
  const uint64_t txn_id = old ? 1 + rng.Uniform(latest - recent) : latest - rng.Uniform(recent);
  const uint64_t read_txn_id = run_.planted_bug() == PlantedBug::kAsOfOffByOne ? txn_id - 1 : txn_id;
  absl::StatusOr<std::unique_ptr<engine::ReadTxn>> past = db()->begin_read_at(read_txn_id);
  if (past.ok()) {
    runtime().record_op("as-of-snapshot", txn_id);
    return check_whole_snapshot(**past, txn_id, "a snapshot opened with begin_read_at");
  }
  if (past.status().code() != absl::StatusCode::kNotFound) {
    return on_engine_error(past.status(), "begin_read_at"), false;
  }
  return check_replay(txn_id);
}

bool TimeTravelWorkload::check_replay(uint64_t txn_id) {
  // Its own handle on the log, as a separate tool would open it; the writer may be appending.
  absl::StatusOr<std::unique_ptr<vfs::File>> log = run_.disk().open(engine::LogPathFor(kRunPath), {});
  if (!log.ok()) return on_engine_error(log.status(), "opening the log to replay it"), false;
  engine::KeyValueMap state;
  absl::StatusOr<engine::LogScanResult> scan =
      engine::ReplayLog(**log, /*start_offset=*/0, /*first_txn=*/1,
                        run_.planted_bug() == PlantedBug::kAsOfOffByOne ? txn_id - 1 : txn_id,
                        engine::LogLimits{}, state);
  (void)(*log)->close();  // Read only: nothing to lose.
  if (!scan.ok()) return on_engine_error(scan.status(), "replaying the log"), false;
  runtime().record_op("as-of-replay", txn_id, scan->records);
  if (scan->last_txn < txn_id) {
    fail(Verdict::kSnapshotIsolation,
         absl::StrFormat("snapshot-isolation: replaying the log to commit %d stopped after commit "
                         "%d: %s",
                         txn_id, scan->last_txn, scan->summary()));
    return false;
  }
  check(CheckSnapshotState(model(), txn_id, state, "the log replayed"));
  return !failed();
}

}  // namespace northstar::sim
