// The task-queue workload's data: the queue read from a state or built from commits, its counts,
// and the producer's task metadata.
#include "sim/task_queue.h"

#include <set>

#include "apps/task_keys.h"
#include "gtest/gtest.h"
#include "util/testing.h"

namespace northstar::sim {
namespace {
namespace task_keys = apps::task_keys;
using engine::LogOpType;

// Tasks 1..4: 1 completed (agent 0), 2 in progress (agent 1), 3 and 4 pending.
KeyValues SmallQueue() {
  KeyValues state;
  for (uint64_t id = 1; id <= 4; id++) state[task_keys::TaskKey(id)] = "{}";
  state[task_keys::ClaimKey(1, 0)] = "100";
  state[task_keys::CompletedKey(1)] = "200";
  state[task_keys::ClaimKey(2, 1)] = "150";
  state[task_keys::AgentActiveKey(1)] = task_keys::FormatId(2);
  return state;
}

TEST(TaskQueueStateTest, CountsPendingInProgressAndCompletedTasks) {
  const TaskQueueState queue = TaskQueueState::Of(SmallQueue());
  const QueueCounts counts = queue.counts();
  EXPECT_EQ(counts.tasks, 4u);
  EXPECT_EQ(counts.pending, 2u);
  EXPECT_EQ(counts.in_progress, 1u);
  EXPECT_EQ(counts.completed, 1u);
  EXPECT_EQ(counts.claims, 2u);
  EXPECT_EQ(counts.active_agents, 1u);
  EXPECT_EQ(FormatCounts(counts),
            "4 tasks: 2 pending, 1 in progress, 1 completed; 2 claims, 1 agents active");
  EXPECT_EQ(queue.active().at(1), task_keys::FormatId(2));
  EXPECT_TRUE(queue.foreign_keys().empty());
}

TEST(TaskQueueStateTest, CommitsAppliedOneByOneGiveTheStateTheyMake) {
  TaskQueueState queue;
  queue.apply({{LogOpType::kPut, task_keys::TaskKey(1), "{}"},
               {LogOpType::kPut, task_keys::TaskKey(2), "{}"}});
  queue.apply({{LogOpType::kPut, task_keys::ClaimKey(2, 5), "1"},
               {LogOpType::kPut, task_keys::AgentActiveKey(5), task_keys::FormatId(2)}});
  EXPECT_EQ(queue.counts().in_progress, 1u);
  queue.apply({{LogOpType::kPut, task_keys::CompletedKey(2), "2"},
               {LogOpType::kDelete, task_keys::AgentActiveKey(5), ""}});
  const QueueCounts counts = queue.counts();
  EXPECT_EQ(counts.pending, 1u);
  EXPECT_EQ(counts.completed, 1u);
  EXPECT_EQ(counts.active_agents, 0u);
  queue.apply({{LogOpType::kDelete, task_keys::ClaimKey(2, 5), ""}});
  EXPECT_TRUE(queue.claims().empty());
}

TEST(TaskQueueStateTest, KeysOfNoKindAreKeptAsForeign) {
  KeyValues state = SmallQueue();
  state["k0000000001"] = "x";
  state["claim:12"] = "x";  // A claim key without its agent.
  state["agent:1:active"] = "x";  // The agent is not 6 digits.
  const TaskQueueState queue = TaskQueueState::Of(state);
  EXPECT_EQ(queue.foreign_keys(), (std::vector<std::string>{"agent:1:active", "claim:12",
                                                             "k0000000001"}));
  EXPECT_EQ(queue.counts().tasks, 4u);
}

TEST(TaskQueueStateTest, AgentOfActiveKeyParsesOnlyThatKey) {
  EXPECT_EQ(AgentOfActiveKey(task_keys::AgentActiveKey(42)), 42u);
  EXPECT_EQ(AgentOfActiveKey("agent:000042:idle"), std::nullopt);
  EXPECT_EQ(AgentOfActiveKey("agent:00004x:active"), std::nullopt);
  EXPECT_EQ(AgentOfActiveKey(task_keys::TaskKey(1)), std::nullopt);
}

TEST(NewTaskMetadataTest, IsTaskKeysMetadataOfAKnownTypeWithThePayloadSizeDrawn) {
  WorkloadConfig config;
  config.value_size_min_bytes = 10;
  config.value_size_max_bytes = 30;
  config.big_value_probability = 0;
  WorkloadGenerator generator(config, Rng(7));
  std::set<std::string> types;
  for (int index = 0; index < 200; index++) {
    const std::string metadata = NewTaskMetadata(generator);
    ASSERT_OK_AND_ASSIGN(const std::string_view type, task_keys::TaskTypeOf(metadata));
    EXPECT_NE(std::find(std::begin(kTaskTypes), std::end(kTaskTypes), type), std::end(kTaskTypes));
    types.emplace(type);
    const size_t payload = metadata.size() - metadata.find("\"payload\":\"") - 13;
    EXPECT_GE(payload, 10u) << metadata;
    EXPECT_LE(payload, 30u) << metadata;
  }
  EXPECT_EQ(types.size(), std::size(kTaskTypes));
}

TEST(NewTaskMetadataTest, TheSameStreamGivesTheSameTasks) {
  WorkloadConfig config;
  WorkloadGenerator first(config, Rng(11));
  WorkloadGenerator second(config, Rng(11));
  WorkloadGenerator other(config, Rng(12));
  const std::string metadata = NewTaskMetadata(first);
  EXPECT_EQ(metadata, NewTaskMetadata(second));
  EXPECT_NE(metadata, NewTaskMetadata(other));
}

}  // namespace
}  // namespace northstar::sim
