// The cartridge's content computed from the base data: the scan, the point lookups of the
// catch-up, and the comparison verify reports from, each against the reference model.
#include "cartridge/pending_tasks.h"

#include <memory>
#include <set>

#include "absl/strings/str_format.h"

#include "apps/task_keys.h"
#include "cartridge/test_tasks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::cartridge {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

class PendingTasksTest : public testing::Test {
 protected:
  void SetUp() override { Open("/db/tasks.ns"); }
  void Open(const std::string& path) {
    db_.reset();
    ASSERT_OK_AND_ASSIGN(db_, engine::Db::open(disk_, path, engine::DbOptions{.page_size_bytes = 4096}));
  }
  absl::StatusOr<PendingTasks> Scan() {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    return ScanPendingTasks(*txn);
  }
  absl::Status Put(std::string_view key, std::string_view value) {
    NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db_->begin_write());
    NS_RETURN_IF_ERROR(txn->put(key, value));
    return txn->commit();
  }

  vfs::SimDisk disk_{vfs::SimDiskOptions{}, /*seed=*/3};
  std::unique_ptr<engine::Db> db_;
};

TEST_F(PendingTasksTest, ScanEqualsTheModelAfterEveryCommit) {
  for (uint64_t seed : {1, 2, 3}) {
    Open(absl::StrFormat("/db/seed%d.ns", seed));
    TaskWorkload workload(seed, /*ids=*/60);
    for (int commit = 0; commit < 150; commit++) {
      ASSERT_OK(workload.Commit(*db_));
      ASSERT_OK_AND_ASSIGN(const PendingTasks scanned, Scan());
      ASSERT_EQ(scanned, ModelPendingTasks(workload.state()))
          << "seed " << seed << " commit " << commit;
    }
  }
}

TEST_F(PendingTasksTest, PendingMeansNoClaimAndNotCompleted) {
  ASSERT_OK(Put(apps::task_keys::TaskKey(1), apps::task_keys::TaskMetadata("build", 1, "")));
  ASSERT_OK(Put(apps::task_keys::TaskKey(2), apps::task_keys::TaskMetadata("build", 1, "")));
  ASSERT_OK(Put(apps::task_keys::TaskKey(3), apps::task_keys::TaskMetadata("test", 1, "")));
  ASSERT_OK(Put(apps::task_keys::TaskKey(4), apps::task_keys::TaskMetadata("lint", 1, "")));
  ASSERT_OK(Put(apps::task_keys::ClaimKey(2, 7), "5"));
  ASSERT_OK(Put(apps::task_keys::CompletedKey(4), "6"));
  ASSERT_OK(Put(apps::task_keys::ClaimKey(9, 7), "5"));  // A claim of no task.
  ASSERT_OK_AND_ASSIGN(const PendingTasks scanned, Scan());
  EXPECT_EQ(scanned, (PendingTasks{{"build", {1}}, {"test", {3}}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
  EXPECT_THAT(PendingTypeOf(*txn, 1).value(), Optional(std::string("build")));
  EXPECT_EQ(PendingTypeOf(*txn, 2).value(), std::nullopt);
  EXPECT_EQ(PendingTypeOf(*txn, 4).value(), std::nullopt);
  EXPECT_EQ(PendingTypeOf(*txn, 9).value(), std::nullopt);
}

TEST_F(PendingTasksTest, KeysThatAreNotTheLayoutsAreIgnoredByScanAndLookupAlike) {
  ASSERT_OK(Put(apps::task_keys::TaskKey(1), apps::task_keys::TaskMetadata("build", 1, "")));
  ASSERT_OK(Put("task:1", "not json"));
  ASSERT_OK(Put(absl::StrFormat("claim:%020d:abc", 1), "not a claim"));
  ASSERT_OK(Put(absl::StrFormat("completed:%020d:x", 1), "not a completion"));
  ASSERT_OK_AND_ASSIGN(const PendingTasks scanned, Scan());
  EXPECT_EQ(scanned, (PendingTasks{{"build", {1}}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
  EXPECT_THAT(PendingTypeOf(*txn, 1).value(), Optional(std::string("build")));
}

TEST_F(PendingTasksTest, APendingTaskWithoutAValidTypeIsAnErrorNamingTheKey) {
  ASSERT_OK(Put(apps::task_keys::TaskKey(5), R"({"priority":1})"));
  const absl::StatusOr<PendingTasks> scanned = Scan();
  EXPECT_EQ(scanned.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(scanned.status().message(), HasSubstr(apps::task_keys::TaskKey(5)));
  // Claimed, it is not pending, and its metadata is never read.
  ASSERT_OK(Put(apps::task_keys::ClaimKey(5, 1), "1"));
  EXPECT_OK(Scan().status());
}

TEST_F(PendingTasksTest, ApplyingTouchedIdsEqualsAScan) {
  TaskWorkload workload(11, /*ids=*/80);
  ASSERT_OK(workload.Commits(*db_, 30));
  ASSERT_OK_AND_ASSIGN(PendingTasks content, Scan());
  for (int round = 0; round < 20; round++) {
    const KeyValueState before = workload.state();
    ASSERT_OK(workload.Commits(*db_, 5));
    // Touched: every id whose keys differ between the two states.
    std::set<uint64_t> touched;
    for (const KeyValueState* state : {&before, &workload.state()}) {
      for (const auto& [key, value] : *state) {
        const KeyValueState& other = state == &before ? workload.state() : before;
        const auto it = other.find(key);
        if (it != other.end() && it->second == value) continue;
        if (const std::optional<uint64_t> id = apps::task_keys::TaskIdOfKey(key)) touched.insert(*id);
      }
    }
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::ReadTxn> txn, db_->begin_read());
    ASSERT_OK(ApplyTouchedIds(*txn, std::vector<uint64_t>(touched.begin(), touched.end()),
                              content));
    ASSERT_EQ(content, ModelPendingTasks(workload.state())) << "round " << round;
  }
}

TEST(FirstDifferenceTest, NamesTheTypeAndTheIdThatDiffer) {
  const PendingTasks database = {{"build", {1, 2, 3}}, {"test", {7}}};
  EXPECT_EQ(FirstDifference(database, database), std::nullopt);
  EXPECT_THAT(FirstDifference(database, {{"build", {1, 3}}, {"test", {7}}}),
              Optional(HasSubstr("type \"build\": task 2 is pending in the database but missing "
                                 "from the cartridge")));
  EXPECT_THAT(FirstDifference(database, {{"build", {1, 2, 3, 4}}, {"test", {7}}}),
              Optional(HasSubstr("type \"build\": id 4 is in the cartridge but is not a pending "
                                 "task of that type")));
  EXPECT_THAT(FirstDifference(database, {{"build", {1, 2, 3}}}),
              Optional(HasSubstr("type \"test\": 1 pending tasks in the database (the first is "
                                 "task 7), none in the cartridge")));
  EXPECT_THAT(FirstDifference(database, {{"a", {9}}, {"build", {1, 2, 3}}, {"test", {7}}}),
              Optional(HasSubstr("type \"a\": 1 ids in the cartridge")));
}

}  // namespace
}  // namespace northstar::cartridge
