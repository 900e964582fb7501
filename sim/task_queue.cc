#include "sim/task_queue.h"

#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "util/assert.h"

namespace northstar::sim {
namespace task_keys = apps::task_keys;

namespace {

constexpr std::string_view kActiveSuffix = ":active";
constexpr std::string_view kPayloadAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace

std::string FormatCounts(const QueueCounts& counts) {
  return absl::StrFormat("%d tasks: %d pending, %d in progress, %d completed; %d claims, %d agents "
                         "active",
                         counts.tasks, counts.pending, counts.in_progress, counts.completed,
                         counts.claims, counts.active_agents);
}

std::optional<uint32_t> AgentOfActiveKey(std::string_view key) {
  if (!key.starts_with(task_keys::kAgentPrefix) || !key.ends_with(kActiveSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = key.substr(
      task_keys::kAgentPrefix.size(),
      key.size() - task_keys::kAgentPrefix.size() - kActiveSuffix.size());
  if (digits.size() != task_keys::kAgentDigits) return std::nullopt;
  uint32_t agent = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    agent = agent * 10 + static_cast<uint32_t>(c - '0');
  }
  return agent;
}

TaskQueueState TaskQueueState::Of(const KeyValues& state) {
  TaskQueueState queue;
  for (const auto& [key, value] : state) queue.put(key, value);
  return queue;
}

void TaskQueueState::apply(const engine::LogOp& op) {
  if (op.type == engine::LogOpType::kPut) {
    put(op.key, op.value);
  } else {
    remove(op.key);
  }
}

void TaskQueueState::foreign(std::string_view key) {
  if (foreign_keys_.size() < kForeignKeysKeptMax) foreign_keys_.emplace_back(key);
}

void TaskQueueState::put(std::string_view key, const std::string& value) {
  if (const std::optional<uint32_t> agent = AgentOfActiveKey(key)) {
    active_[*agent] = value;
    return;
  }
  const std::optional<uint64_t> id = task_keys::TaskIdOfKey(key);
  if (!id) return foreign(key);
  if (key.starts_with(task_keys::kTaskPrefix)) {
    tasks_.insert(*id);
  } else if (key.starts_with(task_keys::kCompletedPrefix)) {
    completed_.insert(*id);
  } else {
    const std::optional<uint32_t> agent = task_keys::AgentOfClaimKey(key);
    NS_ASSERT(agent.has_value());  // TaskIdOfKey accepted the claim key whole.
    claims_[*id].insert(*agent);
  }
}

void TaskQueueState::remove(std::string_view key) {
  if (const std::optional<uint32_t> agent = AgentOfActiveKey(key)) {
    active_.erase(*agent);
    return;
  }
  const std::optional<uint64_t> id = task_keys::TaskIdOfKey(key);
  if (!id) return;  // A foreign key removed: it was reported when it was put.
  if (key.starts_with(task_keys::kTaskPrefix)) {
    tasks_.erase(*id);
  } else if (key.starts_with(task_keys::kCompletedPrefix)) {
    completed_.erase(*id);
  } else {
    auto found = claims_.find(*id);
    if (found == claims_.end()) return;
    found->second.erase(*task_keys::AgentOfClaimKey(key));
    if (found->second.empty()) claims_.erase(found);
  }
}

QueueCounts TaskQueueState::counts() const {
  QueueCounts counts;
  counts.tasks = tasks_.size();
  for (uint64_t id : tasks_) {
    const bool claimed = claims_.contains(id);
    const bool done = completed_.contains(id);
    if (done) {
      counts.completed++;
    } else if (claimed) {
      counts.in_progress++;
    } else {
      counts.pending++;
    }
  }
  for (const auto& [id, agents] : claims_) counts.claims += agents.size();
  counts.active_agents = active_.size();
  return counts;
}

std::string NewTaskMetadata(WorkloadGenerator& generator) {
  Rng& rng = generator.rng();
  const std::string_view type = kTaskTypes[rng.Uniform(std::size(kTaskTypes))];
  const auto priority = static_cast<uint32_t>(rng.UniformInclusive(0, kTaskPriorityMax));
  std::string payload(generator.value_size(), '\0');
  // One draw per 8 characters: cheap, and still different from task to task.
  uint64_t pattern = 0;
  for (size_t index = 0; index < payload.size(); index++) {
    if (index % 8 == 0) pattern = rng.Next();
    payload[index] = kPayloadAlphabet[(pattern >> (8 * (index % 8))) % kPayloadAlphabet.size()];
  }
  return task_keys::TaskMetadata(type, priority, payload);
}

}  // namespace northstar::sim
