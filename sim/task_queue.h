// The task-queue workload's data (workload.kind = "task-queue"): the queue as the task-queue
// checker sees it, and the tasks the producer adds.
//
// Keys follow apps/task_keys.h: task:{id} -> JSON metadata, claim:{id}:{agent} ->
// claim time, agent:{agent}:active -> {id} of the task the agent holds, completed:{id} ->
// completion time. A task is pending with no claim and not completed; in progress when claimed
// and not completed.
//
// TaskQueueState is plain ordered data (no hash maps): deterministic iteration for messages.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log/record.h"
#include "sim/model.h"
#include "sim/workload.h"

namespace northstar::sim {

// The task types the producer draws from (all valid task_keys types).
inline constexpr std::string_view kTaskTypes[] = {"build", "test", "deploy", "index", "lint"};
// A task's priority is in [0, kTaskPriorityMax].
inline constexpr uint32_t kTaskPriorityMax = 9;
// Keys that are not task-queue keys, kept for messages: the first few are enough.
inline constexpr size_t kForeignKeysKeptMax = 4;

struct QueueCounts {
  uint64_t tasks = 0;
  uint64_t pending = 0;
  uint64_t in_progress = 0;
  uint64_t completed = 0;
  uint64_t claims = 0;
  uint64_t active_agents = 0;

  friend bool operator==(const QueueCounts&, const QueueCounts&) = default;
};

// "12 tasks: 3 pending, 2 in progress, 7 completed; 9 claims, 2 agents active".
[[nodiscard]] std::string FormatCounts(const QueueCounts& counts);

class TaskQueueState {
 public:
  // The queue held by a key-value state.
  [[nodiscard]] static TaskQueueState Of(const KeyValues& state);

  // One effective operation of a commit (a put, or a delete that removed the key).
  void apply(const engine::LogOp& op);
  void apply(const std::vector<engine::LogOp>& ops) {
    for (const engine::LogOp& op : ops) apply(op);
  }

  [[nodiscard]] QueueCounts counts() const;

  [[nodiscard]] const std::set<uint64_t>& tasks() const { return tasks_; }
  // Task id -> the agents that claimed it.
  [[nodiscard]] const std::map<uint64_t, std::set<uint32_t>>& claims() const { return claims_; }
  [[nodiscard]] const std::set<uint64_t>& completed() const { return completed_; }
  // Agent -> the value of agent:{agent}:active (a task id as task_keys::FormatId writes it).
  [[nodiscard]] const std::map<uint32_t, std::string>& active() const { return active_; }
  // Keys of none of the four kinds, or malformed ones (the first kForeignKeysKeptMax).
  [[nodiscard]] const std::vector<std::string>& foreign_keys() const { return foreign_keys_; }

 private:
  void put(std::string_view key, const std::string& value);
  void remove(std::string_view key);
  void foreign(std::string_view key);

  std::set<uint64_t> tasks_;
  std::map<uint64_t, std::set<uint32_t>> claims_;
  std::set<uint64_t> completed_;
  std::map<uint32_t, std::string> active_;
  std::vector<std::string> foreign_keys_;
};

// The agent of an agent:{agent}:active key; nullopt for any other key.
[[nodiscard]] std::optional<uint32_t> AgentOfActiveKey(std::string_view key);

// Metadata for a new task: a type of kTaskTypes, a priority, and a payload of [a-z0-9] whose
// length is drawn like a kv value (value_size_min..max_bytes, big_value_* sometimes).
[[nodiscard]] std::string NewTaskMetadata(WorkloadGenerator& generator);

}  // namespace northstar::sim
