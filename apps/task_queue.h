// A task queue on the engine: tasks of several types, agents that claim them in write
// transactions, and the checks that no task is ever claimed twice. The keys are the layout of
// apps/task_keys.h (task:{id}, claim:{id}:{agent}, agent:{agent}:active,
// completed:{id}); this file decides which tasks exist and how an agent finds and claims one.
// Used by the macro/task_queue_claims benchmark (agents are threads on a real disk) and by the
// task-queue simulation scenario (agents are fibers on the simulated disk).
//
// The tasks: ids 0..tasks-1, each of one of `types` types drawn from (seed, id), with a priority
// 0..9 and a payload of `payload_bytes` bytes, both drawn from (seed, id) too: the same config
// gives the same task records on every build.
//
// A claim (ClaimNextTask): the agent opens a write transaction (waiting for the writer), opens a
// snapshot of the state that transaction starts from (checked: its txn id is the writer's minus
// one), scans task: keys from its cursor for the first task of its type that has no claim:{id}:
// key and no completed:{id} key, and writes claim:{id}:{agent} (the time) and
// agent:{agent}:active ({id}) and commits. The writer lock makes the check and the claim atomic;
// claims are never released here, so every task below the agent's cursor stays taken and the
// cursor only moves forward.
//
// Thread safety: the functions are safe to call from many threads on one Db (each with its own
// AgentState); the pure functions of a config are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/db.h"

namespace northstar::apps {

inline constexpr uint32_t kTaskTypesMax = 8;
inline constexpr uint32_t kTaskPayloadBytesMax = 1024;
inline constexpr uint64_t kTasksMax = 1'000'000'000;

struct TaskQueueConfig {
  uint64_t seed = 1;
  uint64_t tasks = 1000;
  uint32_t types = 4;
  uint32_t payload_bytes = 32;
};

// InvalidArgument naming the field: 1..kTasksMax tasks, 1..kTaskTypesMax types, a payload of at
// most kTaskPayloadBytesMax bytes.
[[nodiscard]] absl::Status ValidateTaskQueueConfig(const TaskQueueConfig& config);

// "build", "test", "lint", "deploy", "index", "backup", "report", "notify". Precondition:
// type < kTaskTypesMax.
[[nodiscard]] std::string_view TaskTypeName(uint32_t type);
// The type of task `id`: uniform over 0..types-1.
[[nodiscard]] uint32_t TaskTypeOfId(const TaskQueueConfig& config, uint64_t id);
// The task:{id} value (task_keys::TaskMetadata).
[[nodiscard]] std::string TaskMetadataOfId(const TaskQueueConfig& config, uint64_t id);

using TaskRecordCallback =
    std::function<absl::Status(std::string_view key, std::string_view value)>;
// Calls `callback` with task:{id} -> metadata for ids 0..tasks-1, in id order; stops at its first
// error (or an invalid config's).
[[nodiscard]] absl::Status ForEachTask(const TaskQueueConfig& config,
                                       const TaskRecordCallback& callback);

// Puts every task into `db` in batches of `batch_puts` per write transaction.
[[nodiscard]] absl::Status LoadTasks(engine::Db& db, const TaskQueueConfig& config,
                                     uint64_t batch_puts);

// One agent's position: it claims tasks of `type` with id >= cursor.
struct AgentState {
  uint32_t agent = 0;
  std::string type;
  uint64_t cursor = 0;
};

struct ClaimOutcome {
  std::optional<uint64_t> task;  // nullopt: no pending task of the type at or after the cursor.
  uint64_t txn_id = 0;           // The commit that made the claim.
  uint64_t examined = 0;         // task: records read by the scan.
  uint64_t skipped_taken = 0;    // Tasks of the type found claimed or completed.
  bool waited_for_writer = false;  // begin_write found another writer (WriteBusy) and waited.
};

// Finds the first pending task of `type` with id >= from_id in `snapshot`, reading at most
// `examine_max` task: records (then ResourceExhausted, naming the type and id reached). Fills
// `outcome`'s task, examined and skipped_taken.
[[nodiscard]] absl::Status FindPendingTask(engine::ReadTxn& snapshot, std::string_view type,
                                           uint64_t from_id, uint64_t examine_max,
                                           ClaimOutcome& outcome);

// Writes the claim of task `id` by `agent` at `now_ns` (claim:{id}:{agent} and
// agent:{agent}:active).
[[nodiscard]] absl::Status WriteClaim(engine::WriteTxn& txn, uint64_t id, uint32_t agent,
                                      uint64_t now_ns);

// One claim by `agent` (see the header comment); commits and moves agent.cursor past the task.
// With no pending task left, commits nothing and returns an outcome without a task.
[[nodiscard]] absl::StatusOr<ClaimOutcome> ClaimNextTask(engine::Db& db, AgentState& agent,
                                                         uint64_t now_ns, uint64_t examine_max);

// Internal error ("task {id} claimed twice: ...") unless task `id` has exactly one claim in
// `snapshot`, and it is by `agent`.
[[nodiscard]] absl::Status CheckSingleClaim(engine::ReadTxn& snapshot, uint64_t id,
                                            uint32_t agent);

struct ClaimAudit {
  uint64_t claims = 0;             // claim: keys
  uint64_t claimed_tasks = 0;      // distinct tasks with at least one claim
  uint64_t duplicated_tasks = 0;   // tasks with more than one claim
  std::optional<uint64_t> first_duplicate;
  uint64_t claims_of_missing_tasks = 0;  // claims of an id without a task: record
};
// Scans every claim: key of `snapshot`. DataLoss for a claim: key that does not parse.
[[nodiscard]] absl::StatusOr<ClaimAudit> AuditClaims(engine::ReadTxn& snapshot);

}  // namespace northstar::apps
