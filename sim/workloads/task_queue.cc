// workload.kind = "task-queue": agents claim and complete tasks in write transactions, agent 0
// also produces them; readers check the queue against the model (spec/scenario_format.md,
// SF-29). Keys: apps/task_keys.h.
#include <set>

#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "sim/task_queue.h"
#include "sim/workloads/workload.h"
#include "util/assert.h"

namespace northstar::sim {
namespace task_keys = apps::task_keys;

namespace {

// The producer adds tasks with this probability when something is already pending.
constexpr double kProduceProbability = 0.5;

// The key just past every key that starts with `prefix` ("task:" -> "task;").
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  NS_ASSERT(!end.empty() && end.back() != '\xff');
  end.back()++;
  return end;
}

}  // namespace

// A task-queue agent looking for work stops at the first pending task of the type it wants, or
// after this many pending tasks of other types (it then takes the first).
constexpr size_t kPendingTasksLookedAtMax = 8;

// What a task-queue agent found in the state its write transaction started from.
struct QueueLook {
  uint64_t last_task_id = 0;           // 0: no task yet.
  std::optional<uint64_t> pending_id;  // The task to claim, if any.
};

class TaskQueueWorkload final : public Workload {
 public:
  explicit TaskQueueWorkload(RunContext& run) : Workload(run) {}

  void spawn(Scheduler& scheduler) override {
    for (uint32_t index = 0; index < writers_.size(); index++) {
      scheduler.spawn(absl::StrFormat("agent-%d", index), [this, index] { task_agent(index); });
    }
    for (uint32_t index = 0; index < readers_.size(); index++) {
      scheduler.spawn(absl::StrFormat("reader-%d", index), [this, index] { task_reader(index); });
    }
  }
  // The task queue's own crash check first (CO-14): a lost claim is reported as the application
  // sees it; a torn commit still reaches the atomicity checker, since its claims are some
  // prefix's.
  void check_recovery(const KeyValues& recovered) override {
    check(CheckTaskQueueRecovery(model(), recovered));
  }
  void recovered(const KeyValues& recovered, uint64_t txn_id) override {
    queue_ = TaskQueueState::Of(recovered);
  }
  // CO-13 on the state this commit makes (it commits in txn order: one writer at a time).
  void attempting(uint64_t txn_id, const std::vector<engine::LogOp>& ops) override {
    queue_.apply(ops);
    check(CheckTaskQueueInvariants(queue_, absl::StrFormat("the state commit %d makes", txn_id)));
  }

 private:
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

  // The queue after the last attempted commit (checked at every commit).
  TaskQueueState queue_;
};


void TaskQueueWorkload::task_agent(uint32_t agent) {
  WorkloadGenerator& generator = writers_[agent];
  while (transactions_left_[agent] > 0 && !failed()) {
    absl::StatusOr<std::unique_ptr<engine::WriteTxn>> begun = db()->begin_write(/*wait=*/true);
    if (!begun.ok()) return on_engine_error(begun.status(), "begin_write");
    stats().transactions++;
    TrackedTxn txn(**begun);
    if (!task_agent_step(txn, agent, generator)) return;
    transactions_left_[agent]--;
    if (generator.abort_transaction()) {
      (*begun)->abort();
      stats().aborts++;
      continue;
    }
    if (!commit_tracked(**begun, txn.ops)) return;
  }
}

// One transaction of an agent: complete the task it holds; else claim a pending one; agent 0,
// the producer, adds tasks instead half of the time, and whenever nothing is pending.
bool TaskQueueWorkload::task_agent_step(TrackedTxn& txn, uint32_t agent, WorkloadGenerator& generator) {
  std::optional<std::string> held;
  if (!tracked_get(txn, task_keys::AgentActiveKey(agent), held)) return false;
  if (held) return complete_task(txn, agent, *held);
  const std::string_view wanted = kTaskTypes[generator.rng().Uniform(std::size(kTaskTypes))];
  QueueLook look;
  {
    std::unique_ptr<engine::ReadTxn> base = base_snapshot(txn);
    if (base == nullptr || !look_at_queue(*base, wanted, look)) return false;
  }
  const uint64_t tasks_max = scenario_.workload.key_space;
  const bool room = look.last_task_id < tasks_max;
  if (agent == 0 && room &&
      (!look.pending_id || generator.rng().Chance(kProduceProbability))) {
    return produce_tasks(txn, look.last_task_id, generator);
  }
  if (look.pending_id) return claim_task(txn, agent, *look.pending_id);
  runtime().record_op("idle", agent);
  return true;
}

// Reads the claims and completions (checked against the model), the last task id, and picks the
// first pending task of the wanted type among the first few pending ones.
bool TaskQueueWorkload::look_at_queue(engine::ReadTxn& base, std::string_view wanted_type, QueueLook& look) {
  std::set<uint64_t> taken;
  for (std::string_view prefix : {task_keys::kClaimPrefix, task_keys::kCompletedPrefix}) {
    Entries entries;
    stats().ops++;
    if (!check_prefix(base, std::string(prefix), "an agent looking for a task", entries)) {
      return false;
    }
    const bool claims = prefix == task_keys::kClaimPrefix;
    if (claims && run_.planted_bug() == PlantedBug::kClaimWithoutCheck) continue;
    for (const auto& [key, value] : entries) {
      if (const std::optional<uint64_t> id = task_keys::TaskIdOfKey(key)) taken.insert(*id);
    }
  }
  std::unique_ptr<engine::Cursor> cursor = base.cursor();
  // The last task: the entry before the end of the task: range.
  absl::Status status = cursor->seek(PrefixEnd(task_keys::kTaskPrefix));
  if (status.ok()) status = cursor->valid() ? cursor->prev() : cursor->seek_last();
  if (status.ok() && cursor->valid() && cursor->key().starts_with(task_keys::kTaskPrefix)) {
    look.last_task_id = task_keys::TaskIdOfKey(cursor->key()).value_or(0);
  }
  if (status.ok()) status = cursor->seek(task_keys::kTaskPrefix);
  std::optional<uint64_t> first_pending;
  size_t pending_seen = 0;
  while (status.ok() && cursor->valid() && cursor->key().starts_with(task_keys::kTaskPrefix) &&
         pending_seen < kPendingTasksLookedAtMax) {
    const std::optional<uint64_t> id = task_keys::TaskIdOfKey(cursor->key());
    if (id && !taken.contains(*id)) {
      absl::StatusOr<std::string> metadata = cursor->value();
      if (!metadata.ok()) return on_engine_error(metadata.status(), "task metadata"), false;
      absl::StatusOr<std::string_view> type = task_keys::TaskTypeOf(*metadata);
      if (type.ok() && *type == wanted_type) {
        look.pending_id = id;
        break;
      }
      if (!first_pending) first_pending = id;
      pending_seen++;
    }
    status = cursor->next();
  }
  if (!status.ok()) return on_engine_error(status, "looking for a pending task"), false;
  if (!look.pending_id) look.pending_id = first_pending;
  runtime().record_op("look", look.last_task_id, look.pending_id.value_or(0));
  return true;
}

bool TaskQueueWorkload::produce_tasks(TrackedTxn& txn, uint64_t last_task_id, WorkloadGenerator& generator) {
  NS_ASSERT(last_task_id < scenario_.workload.key_space);
  const uint64_t count = std::min<uint64_t>(generator.ops_in_transaction(),
                                            scenario_.workload.key_space - last_task_id);
  runtime().record_op("produce", last_task_id + 1, count);
  for (uint64_t id = last_task_id + 1; id <= last_task_id + count; id++) {
    if (!tracked_put(txn, task_keys::TaskKey(id), NewTaskMetadata(generator))) return false;
  }
  return true;
}

bool TaskQueueWorkload::claim_task(TrackedTxn& txn, uint32_t agent, uint64_t id) {
  runtime().record_op("claim", id, agent);
  const std::string now = absl::StrFormat("%d", runtime().now_ns());
  return tracked_put(txn, task_keys::ClaimKey(id, agent), now) &&
         tracked_put(txn, task_keys::AgentActiveKey(agent), task_keys::FormatId(id));
}

bool TaskQueueWorkload::complete_task(TrackedTxn& txn, uint32_t agent, const std::string& held) {
  const std::optional<uint64_t> id =
      task_keys::TaskIdOfKey(absl::StrFormat("%s%s", task_keys::kTaskPrefix, held));
  if (!id) {
    fail(Verdict::kTaskQueue,
         absl::StrFormat("task-queue: agent %d holds \"%s\", which is not a task id", agent, held));
    return false;
  }
  std::optional<std::string> claim;
  if (!tracked_get(txn, task_keys::ClaimKey(*id, agent), claim)) return false;
  runtime().record_op("complete", *id, agent);
  const std::string now = absl::StrFormat("%d", runtime().now_ns());
  return tracked_put(txn, task_keys::CompletedKey(*id), now) &&
         tracked_del(txn, task_keys::AgentActiveKey(agent));
}

void TaskQueueWorkload::task_reader(uint32_t index) {
  WorkloadGenerator& generator = readers_[index];
  while (reads_left_[index] > 0 && !failed()) {
    reads_left_[index]--;
    absl::StatusOr<std::unique_ptr<engine::ReadTxn>> read = db()->begin_read();
    if (!read.ok()) return on_engine_error(read.status(), "begin_read");
    stats().ops++;
    bool ok = true;
    switch (generator.reader_op()) {
      case ReaderOp::kGet:
        ok = check_task(**read, 1 + generator.rng().Uniform(scenario_.workload.key_space));
        break;
      case ReaderOp::kAsOfRead: {
        const uint64_t back = generator.rng().Uniform(scenario_.engine.retained_snapshots + 1);
        if ((*read)->txn_id() <= back) break;
        absl::StatusOr<std::unique_ptr<engine::ReadTxn>> past =
            db()->begin_read_at((*read)->txn_id() - back);
        if (past.status().code() == absl::StatusCode::kNotFound) break;  // Not retained.
        if (!past.ok()) return on_engine_error(past.status(), "begin_read_at");
        ok = check_queue(**past);
        break;
      }
      case ReaderOp::kRangeScan:
      case ReaderOp::kPrefixScan:
      case ReaderOp::kReverseScan:
        ok = check_queue(**read);
        break;
    }
    if (!ok) return;
    stats().reads++;
  }
}

// The whole queue in one snapshot: its counts and its entries against the model's, then the
// task-queue invariants as a reader sees them.
bool TaskQueueWorkload::check_queue(engine::ReadTxn& read) {
  Entries entries;
  if (!scan_prefix(read, "", kStateEntriesMax, entries)) return false;
  const KeyValues got(entries.begin(), entries.end());
  const TaskQueueState queue = TaskQueueState::Of(got);
  const QueueCounts counts = queue.counts();
  const QueueCounts want = TaskQueueState::Of(model().state_at(read.txn_id())).counts();
  runtime().record_op("queue", read.txn_id(), counts.pending, counts.in_progress);
  if (counts != want) {
    fail(Verdict::kSnapshotIsolation,
         absl::StrFormat("snapshot-isolation: the queue in the snapshot of commit %d has %s; the "
                         "model has %s",
                         read.txn_id(), FormatCounts(counts), FormatCounts(want)));
    return false;
  }
  check(CheckSnapshotState(model(), read.txn_id(), got, "a queue scan"));
  if (failed()) return false;
  check(CheckTaskQueueInvariants(
      queue, absl::StrFormat("the snapshot of commit %d (a reader)", read.txn_id())));
  return !failed();
}

// One task as a reader looks it up: its metadata, its claims and its completion.
bool TaskQueueWorkload::check_task(engine::ReadTxn& read, uint64_t id) {
  for (const std::string& key : {task_keys::TaskKey(id), task_keys::CompletedKey(id)}) {
    absl::StatusOr<std::optional<std::string>> got = read.get(key);
    if (!got.ok()) return on_engine_error(got.status(), "get"), false;
    check(CheckSnapshotRead(model(), read.txn_id(), key, *got));
    if (failed()) return false;
  }
  Entries claims;
  if (!check_prefix(read, task_keys::ClaimPrefix(id), "the claims of a task", claims)) {
    return false;
  }
  runtime().record_op("task", id, claims.size());
  return true;
}


std::unique_ptr<Workload> MakeTaskQueueWorkload(RunContext& run) {
  return std::make_unique<TaskQueueWorkload>(run);
}

}  // namespace northstar::sim
