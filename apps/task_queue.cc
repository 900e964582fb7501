#include "apps/task_queue.h"

#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "apps/streams.h"
#include "apps/task_keys.h"
#include "util/assert.h"
#include "util/random.h"
#include "util/status.h"

namespace northstar::apps {
namespace {

namespace task_keys = apps::task_keys;

constexpr uint64_t kTaskStream = 11;

constexpr std::array<std::string_view, kTaskTypesMax> kTypeNames = {
    "build", "test", "lint", "deploy", "index", "backup", "report", "notify"};

// Claimed (a claim:{id}: key) or completed (completed:{id}).
absl::StatusOr<bool> IsTaken(engine::ReadTxn& snapshot, engine::Cursor& probe, uint64_t id) {
  const std::string prefix = task_keys::ClaimPrefix(id);
  NS_RETURN_IF_ERROR(probe.seek(prefix));
  if (probe.valid() && probe.key().starts_with(prefix)) return true;
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> completed,
                      snapshot.get(task_keys::CompletedKey(id)));
  return completed.has_value();
}

// The claim: keys of task `id`, as their agents.
absl::StatusOr<std::vector<uint32_t>> ClaimsOf(engine::ReadTxn& snapshot, uint64_t id) {
  const std::string prefix = task_keys::ClaimPrefix(id);
  std::unique_ptr<engine::Cursor> cursor = snapshot.cursor();
  std::vector<uint32_t> agents;
  NS_RETURN_IF_ERROR(cursor->seek(prefix));
  while (cursor->valid() && cursor->key().starts_with(prefix)) {
    const std::optional<uint32_t> agent = task_keys::AgentOfClaimKey(cursor->key());
    if (!agent) {
      return absl::DataLossError(absl::StrFormat("malformed claim key \"%s\"", cursor->key()));
    }
    agents.push_back(*agent);
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return agents;
}

}  // namespace

absl::Status ValidateTaskQueueConfig(const TaskQueueConfig& config) {
  if (config.tasks < 1 || config.tasks > kTasksMax) {
    return absl::InvalidArgumentError(
        absl::StrFormat("task queue: tasks = %d is outside [1, %d]", config.tasks, kTasksMax));
  }
  if (config.types < 1 || config.types > kTaskTypesMax) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "task queue: types = %d is outside [1, %d]", config.types, kTaskTypesMax));
  }
  if (config.payload_bytes > kTaskPayloadBytesMax) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "task queue: payload_bytes = %d is over %d", config.payload_bytes, kTaskPayloadBytesMax));
  }
  return absl::OkStatus();
}

std::string_view TaskTypeName(uint32_t type) {
  NS_ASSERT(type < kTaskTypesMax);
  return kTypeNames[type];
}

uint32_t TaskTypeOfId(const TaskQueueConfig& config, uint64_t id) {
  NS_ASSERT(config.types >= 1 && config.types <= kTaskTypesMax);
  Rng rng(StreamSeed(config.seed, kTaskStream, id));
  return static_cast<uint32_t>(rng.Uniform(config.types));
}

std::string TaskMetadataOfId(const TaskQueueConfig& config, uint64_t id) {
  NS_ASSERT(config.payload_bytes <= kTaskPayloadBytesMax);
  Rng rng(StreamSeed(config.seed, kTaskStream, id));
  const uint32_t type = static_cast<uint32_t>(rng.Uniform(config.types));  // As TaskTypeOfId.
  const uint32_t priority = static_cast<uint32_t>(rng.Uniform(10));
  std::string payload(config.payload_bytes, 'a');
  for (char& c : payload) c = static_cast<char>('a' + rng.Uniform(26));
  return task_keys::TaskMetadata(TaskTypeName(type), priority, payload);
}

absl::Status ForEachTask(const TaskQueueConfig& config, const TaskRecordCallback& callback) {
  NS_RETURN_IF_ERROR(ValidateTaskQueueConfig(config));
  for (uint64_t id = 0; id < config.tasks; id++) {
    NS_RETURN_IF_ERROR(callback(task_keys::TaskKey(id), TaskMetadataOfId(config, id)));
  }
  return absl::OkStatus();
}

absl::Status LoadTasks(engine::Db& db, const TaskQueueConfig& config, uint64_t batch_puts) {
  NS_ASSERT(batch_puts >= 1);
  std::unique_ptr<engine::WriteTxn> txn;
  uint64_t in_batch = 0;
  NS_RETURN_IF_ERROR(ForEachTask(config, [&](std::string_view key, std::string_view value) {
    if (txn == nullptr) {
      NS_ASSIGN_OR_RETURN(txn, db.begin_write(/*wait=*/true));
    }
    NS_RETURN_IF_ERROR(txn->put(key, value));
    if (++in_batch < batch_puts) return absl::OkStatus();
    in_batch = 0;
    const absl::Status committed = txn->commit();
    txn.reset();
    return committed;
  }));
  if (txn != nullptr) return txn->commit();
  return absl::OkStatus();
}

absl::Status FindPendingTask(engine::ReadTxn& snapshot, std::string_view type, uint64_t from_id,
                             uint64_t examine_max, ClaimOutcome& outcome) {
  std::unique_ptr<engine::Cursor> tasks = snapshot.cursor();
  std::unique_ptr<engine::Cursor> probe = snapshot.cursor();
  NS_RETURN_IF_ERROR(tasks->seek(task_keys::TaskKey(from_id)));
  while (tasks->valid() && tasks->key().starts_with(task_keys::kTaskPrefix)) {
    const std::optional<uint64_t> id = task_keys::TaskIdOfKey(tasks->key());
    if (!id) {
      return absl::DataLossError(absl::StrFormat("malformed task key \"%s\"", tasks->key()));
    }
    if (outcome.examined == examine_max) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "no pending task of type %s found in %d task records (from id %d to id %d)", type,
          examine_max, from_id, *id));
    }
    outcome.examined++;
    NS_ASSIGN_OR_RETURN(const std::string metadata, tasks->value());
    NS_ASSIGN_OR_RETURN(const std::string_view task_type, task_keys::TaskTypeOf(metadata));
    if (task_type == type) {
      NS_ASSIGN_OR_RETURN(const bool taken, IsTaken(snapshot, *probe, *id));
      if (!taken) {
        outcome.task = *id;
        return absl::OkStatus();
      }
      outcome.skipped_taken++;
    }
    NS_RETURN_IF_ERROR(tasks->next());
  }
  return absl::OkStatus();
}

absl::Status WriteClaim(engine::WriteTxn& txn, uint64_t id, uint32_t agent, uint64_t now_ns) {
  NS_RETURN_IF_ERROR(txn.put(task_keys::ClaimKey(id, agent), absl::StrFormat("%d", now_ns)));
  return txn.put(task_keys::AgentActiveKey(agent), task_keys::FormatId(id));
}

absl::StatusOr<ClaimOutcome> ClaimNextTask(engine::Db& db, AgentState& agent, uint64_t now_ns,
                                           uint64_t examine_max) {
  ClaimOutcome outcome;
  absl::StatusOr<std::unique_ptr<engine::WriteTxn>> txn = db.begin_write(/*wait=*/false);
  if (!txn.ok() && engine::IsWriteBusy(txn.status())) {
    outcome.waited_for_writer = true;
    txn = db.begin_write(/*wait=*/true);
  }
  if (!txn.ok()) return txn.status();
  {
    // Opened under the writer lock: exactly the state the write transaction starts from.
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> snapshot, db.begin_read());
    if (snapshot->txn_id() + 1 != (*txn)->txn_id()) {
      return absl::InternalError(absl::StrFormat(
          "agent %d: snapshot txn %d is not the base of write txn %d", agent.agent,
          snapshot->txn_id(), (*txn)->txn_id()));
    }
    NS_RETURN_IF_ERROR(FindPendingTask(*snapshot, agent.type, agent.cursor, examine_max, outcome));
  }
  if (!outcome.task) {
    (*txn)->abort();
    return outcome;
  }
  NS_RETURN_IF_ERROR(WriteClaim(**txn, *outcome.task, agent.agent, now_ns));
  outcome.txn_id = (*txn)->txn_id();
  NS_RETURN_IF_ERROR((*txn)->commit());
  agent.cursor = *outcome.task + 1;
  return outcome;
}

absl::Status CheckSingleClaim(engine::ReadTxn& snapshot, uint64_t id, uint32_t agent) {
  NS_ASSIGN_OR_RETURN(const std::vector<uint32_t> agents, ClaimsOf(snapshot, id));
  if (agents.size() == 1 && agents[0] == agent) return absl::OkStatus();
  return absl::InternalError(absl::StrFormat(
      "task %d has %d claims (by agents [%s]) as of txn %d; expected one, by agent %d", id,
      agents.size(), absl::StrJoin(agents, ","), snapshot.txn_id(), agent));
}

absl::StatusOr<ClaimAudit> AuditClaims(engine::ReadTxn& snapshot) {
  ClaimAudit audit;
  std::unique_ptr<engine::Cursor> cursor = snapshot.cursor();
  std::optional<uint64_t> previous;
  bool previous_counted_duplicate = false;
  NS_RETURN_IF_ERROR(cursor->seek(task_keys::kClaimPrefix));
  while (cursor->valid() && cursor->key().starts_with(task_keys::kClaimPrefix)) {
    const std::optional<uint64_t> id = task_keys::TaskIdOfKey(cursor->key());
    if (!id || !task_keys::AgentOfClaimKey(cursor->key())) {
      return absl::DataLossError(absl::StrFormat("malformed claim key \"%s\"", cursor->key()));
    }
    audit.claims++;
    if (previous == id) {
      if (!previous_counted_duplicate) audit.duplicated_tasks++;
      previous_counted_duplicate = true;
      if (!audit.first_duplicate) audit.first_duplicate = *id;
    } else {
      previous = id;
      previous_counted_duplicate = false;
      audit.claimed_tasks++;
      NS_ASSIGN_OR_RETURN(const std::optional<std::string> task,
                          snapshot.get(task_keys::TaskKey(*id)));
      if (!task) audit.claims_of_missing_tasks++;
    }
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return audit;
}

}  // namespace northstar::apps
