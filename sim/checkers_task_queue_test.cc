// The task-queue checker (CO-13, CO-14) fires on each planted wrong queue, and only then.
#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/checkers.h"

namespace northstar::sim {
namespace {
namespace task_keys = apps::task_keys;
using engine::LogOp;
using engine::LogOpType;
using ::testing::HasSubstr;

LogOp Put(std::string key, std::string value) { return {LogOpType::kPut, std::move(key), value}; }
LogOp Del(std::string key) { return {LogOpType::kDelete, std::move(key), ""}; }

std::vector<LogOp> Claim(uint64_t id, uint32_t agent) {
  return {Put(task_keys::ClaimKey(id, agent), absl::StrFormat("%d", 100 * id)),
          Put(task_keys::AgentActiveKey(agent), task_keys::FormatId(id))};
}

std::vector<LogOp> Complete(uint64_t id, uint32_t agent) {
  return {Put(task_keys::CompletedKey(id), "9"), Del(task_keys::AgentActiveKey(agent))};
}

// Commit 1 adds tasks 1..3; 2: agent 1 claims task 1; 3: agent 2 claims task 2; 4: agent 1
// completes task 1. Commits 1..3 are acknowledged, 4 only attempted.
ReferenceModel Queue() {
  ReferenceModel model;
  model.attempt(1, {Put(task_keys::TaskKey(1), "{}"), Put(task_keys::TaskKey(2), "{}"),
                    Put(task_keys::TaskKey(3), "{}")});
  model.attempt(2, Claim(1, 1));
  model.attempt(3, Claim(2, 2));
  for (uint64_t txn = 1; txn <= 3; txn++) model.acknowledge(txn);
  model.attempt(4, Complete(1, 1));
  return model;
}

std::optional<CheckFailure> Invariants(const KeyValues& state) {
  return CheckTaskQueueInvariants(TaskQueueState::Of(state), "the test state");
}

void ExpectTaskQueueFailure(const std::optional<CheckFailure>& failure, const std::string& text) {
  ASSERT_TRUE(failure.has_value()) << "expected a failure saying: " << text;
  EXPECT_EQ(failure->kind, Verdict::kTaskQueue) << failure->message;
  EXPECT_THAT(failure->message, HasSubstr("task-queue: "));
  EXPECT_THAT(failure->message, HasSubstr(text));
}

// CO-13.
TEST(TaskQueueInvariantsTest, EveryStateOfALegalHistoryPasses) {
  const ReferenceModel model = Queue();
  for (uint64_t txn = 0; txn <= 4; txn++) {
    EXPECT_EQ(Invariants(model.state_at(txn)), std::nullopt) << "commit " << txn;
  }
}

TEST(TaskQueueInvariantsTest, FiresOnATaskClaimedTwice) {
  KeyValues state = Queue().state_at(3);
  state[task_keys::ClaimKey(1, 2)] = "7";  // Agent 2 claimed task 1 too.
  ExpectTaskQueueFailure(Invariants(state), "in the test state, task 1 has 2 claims (agents 1, 2)");
}

TEST(TaskQueueInvariantsTest, FiresOnACompletedTaskWithoutAClaim) {
  KeyValues state = Queue().state_at(1);
  state[task_keys::CompletedKey(3)] = "9";
  ExpectTaskQueueFailure(Invariants(state), "task 3 is completed but has no claim");
}

// (A completed task has a claim, so a completion of a missing task is a claim of one too.)
TEST(TaskQueueInvariantsTest, FiresOnClaimsOfTasksThatDoNotExist) {
  KeyValues claimed = Queue().state_at(1);
  claimed[task_keys::ClaimKey(8, 0)] = "9";
  ExpectTaskQueueFailure(Invariants(claimed), "task 8 is claimed but does not exist");
  KeyValues completed = Queue().state_at(4);
  completed.erase(task_keys::TaskKey(1));
  ExpectTaskQueueFailure(Invariants(completed), "task 1 is claimed but does not exist");
}

TEST(TaskQueueInvariantsTest, FiresOnAnAgentHoldingATaskItDidNotClaimOrThatIsDone) {
  KeyValues unclaimed = Queue().state_at(3);
  unclaimed[task_keys::AgentActiveKey(3)] = task_keys::FormatId(3);
  ExpectTaskQueueFailure(Invariants(unclaimed), "agent 3 holds task 3 but has no claim on it");
  KeyValues done = Queue().state_at(3);
  done[task_keys::CompletedKey(2)] = "9";
  ExpectTaskQueueFailure(Invariants(done), "agent 2 still holds task 2, which is completed");
  KeyValues garbage = Queue().state_at(3);
  garbage[task_keys::AgentActiveKey(2)] = "two";
  ExpectTaskQueueFailure(Invariants(garbage), "agent 2 holds \"two\", which is not a task id");
}

TEST(TaskQueueInvariantsTest, FiresOnAKeyThatIsNoTaskQueueKey) {
  KeyValues state = Queue().state_at(3);
  state["k0000000001"] = "x";
  ExpectTaskQueueFailure(Invariants(state), "key \"k0000000001\" is not a task-queue key");
}

// CO-14.
TEST(TaskQueueRecoveryTest, AcceptsTheStateOfEveryCommitFromTheDurableOneOn) {
  const ReferenceModel model = Queue();
  EXPECT_EQ(model.floor(), 3u);
  EXPECT_EQ(CheckTaskQueueRecovery(model, model.state_at(3)), std::nullopt);
  EXPECT_EQ(CheckTaskQueueRecovery(model, model.state_at(4)), std::nullopt);
}

TEST(TaskQueueRecoveryTest, FiresWhenAnAcknowledgedClaimIsLost) {
  const ReferenceModel model = Queue();
  // Commit 3 (acknowledged) is lost: its claim of task 2 is missing.
  ExpectTaskQueueFailure(CheckTaskQueueRecovery(model, model.state_at(2)),
                         "the claim of task 2 claimed by agent 2 made by commit 3, which was "
                         "acknowledged (durable through commit 3), is missing");
  KeyValues changed = model.state_at(3);
  changed[task_keys::ClaimKey(1, 1)] = "999";
  ExpectTaskQueueFailure(CheckTaskQueueRecovery(model, changed), "made by commit 2");
}

TEST(TaskQueueRecoveryTest, FiresOnAClaimNoCommitMade) {
  const ReferenceModel model = Queue();
  KeyValues state = model.state_at(4);
  state[task_keys::ClaimKey(3, 4)] = "5";
  ExpectTaskQueueFailure(CheckTaskQueueRecovery(model, state),
                         "a claim of task 3 claimed by agent 4 that no commit up to 4 made");
}

TEST(TaskQueueRecoveryTest, FiresOnClaimsOfALaterCommitWithoutThoseOfAnEarlierOne) {
  // Commits 2 and 3 attempted, neither acknowledged: the floor is commit 1.
  ReferenceModel model;
  model.attempt(1, {Put(task_keys::TaskKey(1), "{}"), Put(task_keys::TaskKey(2), "{}")});
  model.acknowledge(1);
  model.attempt(2, Claim(1, 1));
  model.attempt(3, Claim(2, 2));
  KeyValues state = model.state_at(1);
  for (const LogOp& op : Claim(2, 2)) state[op.key] = op.value;  // Commit 3 without commit 2.
  ExpectTaskQueueFailure(CheckTaskQueueRecovery(model, state),
                         "the 1 claims are not those of any prefix of the commits (between "
                         "commit 1, durable, and 3, the last attempted)");
  EXPECT_EQ(CheckTaskQueueRecovery(model, model.state_at(2)), std::nullopt);
}

TEST(TaskQueueRecoveryTest, FiresOnATaskClaimedTwiceEvenWhenTheHistoryDidIt) {
  // The workload itself double-claimed (what PlantedBug::kClaimWithoutCheck does): the claims
  // are a prefix's, and still wrong.
  ReferenceModel model;
  model.attempt(1, {Put(task_keys::TaskKey(1), "{}")});
  model.attempt(2, Claim(1, 1));
  model.attempt(3, Claim(1, 2));
  for (uint64_t txn = 1; txn <= 3; txn++) model.acknowledge(txn);
  ExpectTaskQueueFailure(CheckTaskQueueRecovery(model, model.state_at(3)),
                         "in the recovered state, task 1 has 2 claims (agents 1, 2)");
}

}  // namespace
}  // namespace northstar::sim
