#include "apps/task_queue.h"

#include <map>
#include <set>
#include <thread>
#include <vector>

#include "apps/task_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/posix.h"
#include "vfs/sim_disk.h"

namespace northstar::apps {
namespace {

namespace task_keys = apps::task_keys;
using ::testing::HasSubstr;

constexpr TaskQueueConfig kConfig{.seed = 3, .tasks = 200, .types = 4, .payload_bytes = 16};
constexpr uint64_t kExamineMax = 1'000'000;

std::unique_ptr<engine::Db> OpenLoaded(vfs::FileSystem& fs, const std::string& path,
                                       const TaskQueueConfig& config) {
  engine::DbOptions options;
  options.durability = engine::Durability::kLogNoSync;
  absl::StatusOr<std::unique_ptr<engine::Db>> db = engine::Db::open(fs, path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  EXPECT_OK(LoadTasks(**db, config, 64));
  return std::move(*db);
}

std::vector<uint64_t> TasksOfType(const TaskQueueConfig& config, uint32_t type) {
  std::vector<uint64_t> ids;
  for (uint64_t id = 0; id < config.tasks; id++) {
    if (TaskTypeOfId(config, id) == type) ids.push_back(id);
  }
  return ids;
}

TEST(TaskQueueTest, TasksAreAPureFunctionOfTheConfig) {
  std::map<uint32_t, uint64_t> per_type;
  for (uint64_t id = 0; id < kConfig.tasks; id++) {
    const std::string metadata = TaskMetadataOfId(kConfig, id);
    EXPECT_EQ(metadata, TaskMetadataOfId(kConfig, id));
    ASSERT_OK_AND_ASSIGN(const std::string_view type, task_keys::TaskTypeOf(metadata));
    EXPECT_EQ(type, TaskTypeName(TaskTypeOfId(kConfig, id)));
    per_type[TaskTypeOfId(kConfig, id)]++;
  }
  EXPECT_EQ(per_type.size(), 4u);
  for (const auto& [type, count] : per_type) EXPECT_GT(count, kConfig.tasks / 8) << type;
  TaskQueueConfig other = kConfig;
  other.seed = 4;
  EXPECT_NE(TaskMetadataOfId(kConfig, 7) + TaskMetadataOfId(kConfig, 8),
            TaskMetadataOfId(other, 7) + TaskMetadataOfId(other, 8));
  EXPECT_THAT(TaskMetadataOfId(kConfig, 0), HasSubstr(R"(,"payload":")"));
}

TEST(TaskQueueTest, BadConfigsAreRefusedByName) {
  TaskQueueConfig config = kConfig;
  config.types = 9;
  EXPECT_THAT(ValidateTaskQueueConfig(config).message(), HasSubstr("types = 9"));
  config = kConfig;
  config.tasks = 0;
  EXPECT_THAT(ForEachTask(config, [](auto, auto) { return absl::OkStatus(); }).message(),
              HasSubstr("tasks = 0"));
}

TEST(TaskQueueTest, AgentsClaimTheOldestPendingTaskOfTheirTypeOnce) {
  vfs::SimDisk disk({}, 1);
  std::unique_ptr<engine::Db> db = OpenLoaded(disk, "/q/tasks.ns", kConfig);
  const std::vector<uint64_t> builds = TasksOfType(kConfig, 0);
  ASSERT_GE(builds.size(), 4u);
  // Task builds[1] is completed: nobody may claim it.
  ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
  ASSERT_OK(txn->put(task_keys::CompletedKey(builds[1]), "5"));
  ASSERT_OK(txn->commit());

  AgentState first{.agent = 1, .type = "build"};
  AgentState second{.agent = 2, .type = "build"};
  ASSERT_OK_AND_ASSIGN(ClaimOutcome a, ClaimNextTask(*db, first, 1000, kExamineMax));
  EXPECT_EQ(a.task, builds[0]);
  EXPECT_EQ(first.cursor, builds[0] + 1);
  // The second agent starts at 0: it skips the claimed and the completed task.
  ASSERT_OK_AND_ASSIGN(ClaimOutcome b, ClaimNextTask(*db, second, 2000, kExamineMax));
  EXPECT_EQ(b.task, builds[2]);
  EXPECT_EQ(b.skipped_taken, 2u);
  EXPECT_FALSE(b.waited_for_writer);
  ASSERT_OK_AND_ASSIGN(ClaimOutcome c, ClaimNextTask(*db, first, 3000, kExamineMax));
  EXPECT_EQ(c.task, builds[3]);

  ASSERT_OK_AND_ASSIGN(auto snapshot, db->begin_read());
  EXPECT_EQ(snapshot->get(task_keys::ClaimKey(builds[2], 2)).value(), "2000");
  EXPECT_EQ(snapshot->get(task_keys::AgentActiveKey(1)).value(),
            task_keys::FormatId(builds[3]));
  EXPECT_OK(CheckSingleClaim(*snapshot, builds[0], 1));
  EXPECT_OK(CheckSingleClaim(*snapshot, builds[2], 2));
  EXPECT_THAT(CheckSingleClaim(*snapshot, builds[2], 1).message(), HasSubstr("by agent 1"));
  EXPECT_THAT(CheckSingleClaim(*snapshot, builds[1], 1).message(), HasSubstr("has 0 claims"));
  ASSERT_OK_AND_ASSIGN(ClaimAudit audit, AuditClaims(*snapshot));
  EXPECT_EQ(audit.claims, 3u);
  EXPECT_EQ(audit.claimed_tasks, 3u);
  EXPECT_EQ(audit.duplicated_tasks, 0u);
  EXPECT_EQ(audit.claims_of_missing_tasks, 0u);
}

TEST(TaskQueueTest, AnAgentWithNothingLeftCommitsNothing) {
  vfs::SimDisk disk({}, 1);
  const TaskQueueConfig config{.seed = 3, .tasks = 20, .types = 2, .payload_bytes = 4};
  std::unique_ptr<engine::Db> db = OpenLoaded(disk, "/q/tasks.ns", config);
  AgentState agent{.agent = 0, .type = std::string(TaskTypeName(1))};
  const size_t of_type = TasksOfType(config, 1).size();
  for (size_t claim = 0; claim < of_type; claim++) {
    ASSERT_OK_AND_ASSIGN(ClaimOutcome outcome, ClaimNextTask(*db, agent, claim, kExamineMax));
    ASSERT_TRUE(outcome.task.has_value());
  }
  const uint64_t txn_before = db->stats().txn_id;
  ASSERT_OK_AND_ASSIGN(ClaimOutcome none, ClaimNextTask(*db, agent, 99, kExamineMax));
  EXPECT_FALSE(none.task.has_value());
  EXPECT_EQ(db->stats().txn_id, txn_before);
}

TEST(TaskQueueTest, TheScanIsBounded) {
  vfs::SimDisk disk({}, 1);
  std::unique_ptr<engine::Db> db = OpenLoaded(disk, "/q/tasks.ns", kConfig);
  AgentState agent{.agent = 0, .type = "nosuchtype"};
  absl::StatusOr<ClaimOutcome> outcome = ClaimNextTask(*db, agent, 1, 50);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(outcome.status().message(), HasSubstr("in 50 task records"));
}

// Agents as threads on a real disk, as the benchmark runs them: no task claimed twice.
TEST(TaskQueueTest, ConcurrentAgentsNeverClaimATaskTwice) {
  ScopedTempDir dir;
  vfs::PosixFileSystem fs;
  const TaskQueueConfig config{.seed = 5, .tasks = 2000, .types = 2, .payload_bytes = 8};
  std::unique_ptr<engine::Db> db = OpenLoaded(fs, dir.path() + "/tasks.ns", config);
  constexpr uint32_t kAgents = 6;
  constexpr int kClaims = 40;
  std::vector<std::vector<uint64_t>> claimed(kAgents);
  std::vector<absl::Status> errors(kAgents);
  std::vector<std::thread> threads;
  for (uint32_t agent = 0; agent < kAgents; agent++) {
    threads.emplace_back([&, agent] {
      AgentState state{.agent = agent, .type = std::string(TaskTypeName(agent % 2))};
      for (int claim = 0; claim < kClaims && errors[agent].ok(); claim++) {
        absl::StatusOr<ClaimOutcome> outcome = ClaimNextTask(*db, state, claim, kExamineMax);
        if (!outcome.ok()) errors[agent] = outcome.status();
        if (outcome.ok() && outcome->task) claimed[agent].push_back(*outcome->task);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<uint64_t> all;
  ASSERT_OK_AND_ASSIGN(auto snapshot, db->begin_read());
  for (uint32_t agent = 0; agent < kAgents; agent++) {
    ASSERT_OK(errors[agent]);
    ASSERT_EQ(claimed[agent].size(), size_t{kClaims});
    for (uint64_t id : claimed[agent]) {
      EXPECT_EQ(TaskTypeOfId(config, id), agent % 2);
      EXPECT_OK(CheckSingleClaim(*snapshot, id, agent));
      all.insert(id);
    }
  }
  EXPECT_EQ(all.size(), size_t{kAgents * kClaims});
  ASSERT_OK_AND_ASSIGN(ClaimAudit audit, AuditClaims(*snapshot));
  EXPECT_EQ(audit.claims, uint64_t{kAgents * kClaims});
  EXPECT_EQ(audit.duplicated_tasks, 0u);
}

// The planted bug: agents that look for a pending task in a snapshot taken before they hold
// the writer both find the same task. Both checks must fire.
TEST(TaskQueueTest, ChecksCatchATaskClaimedTwiceFromStaleSnapshots) {
  vfs::SimDisk disk({}, 1);
  std::unique_ptr<engine::Db> db = OpenLoaded(disk, "/q/tasks.ns", kConfig);
  ASSERT_OK_AND_ASSIGN(auto stale_a, db->begin_read());
  ASSERT_OK_AND_ASSIGN(auto stale_b, db->begin_read());
  ClaimOutcome a, b;
  ASSERT_OK(FindPendingTask(*stale_a, "test", 0, kExamineMax, a));
  ASSERT_OK(FindPendingTask(*stale_b, "test", 0, kExamineMax, b));
  ASSERT_EQ(a.task, b.task);
  for (uint32_t agent : {4u, 7u}) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(WriteClaim(*txn, *a.task, agent, 10));
    ASSERT_OK(txn->commit());
  }
  ASSERT_OK_AND_ASSIGN(auto snapshot, db->begin_read());
  const absl::Status single = CheckSingleClaim(*snapshot, *a.task, 4);
  EXPECT_EQ(single.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(single.message(), HasSubstr("has 2 claims (by agents [4,7])"));
  ASSERT_OK_AND_ASSIGN(ClaimAudit audit, AuditClaims(*snapshot));
  EXPECT_EQ(audit.claims, 2u);
  EXPECT_EQ(audit.claimed_tasks, 1u);
  EXPECT_EQ(audit.duplicated_tasks, 1u);
  EXPECT_EQ(audit.first_duplicate, a.task);
}

}  // namespace
}  // namespace northstar::apps
