// The invalidation policy (refresh.h, spec/cartridge_format.md CF-11, CF-12), the keeper's
// trigger, and verify: a cartridge is served only when fresh and decodable; stale, ahead,
// corrupt and foreign-version files are rebuilt or caught up, and give the same bytes either way.
#include "cartridge/refresh.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "cartridge/keeper.h"
#include "cartridge/test_tasks.h"
#include "cartridge/verify.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/testing.h"
#include "vfs/posix.h"
#include "vfs/sim_disk.h"

namespace northstar::cartridge {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kDbPath[] = "/db/tasks.ns";
constexpr char kCartridgePath[] = "/db/tasks.pending_tasks_by_type.cartridge";

// No automatic checkpoint: the log keeps every commit, so catch-up can read them.
engine::DbOptions KeepLogOptions() {
  return engine::DbOptions{.page_size_bytes = 4096,
                   .log_preallocate_bytes = 1 << 20,
                   .checkpoint_log_bytes = 64 << 20};
}

absl::StatusOr<std::vector<uint8_t>> ReadFile(vfs::FileSystem& fs, const std::string& path) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> file, fs.open(path, {}));
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, file->size());
  std::vector<uint8_t> bytes(size_bytes);
  NS_RETURN_IF_ERROR(vfs::ReadExact(*file, 0, bytes));
  return bytes;
}

absl::Status WriteFile(vfs::FileSystem& fs, const std::string& path,
                       std::span<const uint8_t> bytes) {
  return WriteCartridgeFile(fs, path, bytes);
}

absl::StatusOr<std::vector<uint8_t>> FullBuildBytes(engine::Db& db) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db.begin_read());
  return BuildCartridgeBytes(*txn);
}

class RefreshTest : public testing::Test {
 protected:
  void SetUp() override { Open(KeepLogOptions()); }
  void Open(const engine::DbOptions& options) {
    db_.reset();
    ASSERT_OK_AND_ASSIGN(db_, engine::Db::open(disk_, kDbPath, options));
  }
  engine::TxnId Latest() const { return db_->stats().txn_id; }

  vfs::SimDisk disk_{vfs::SimDiskOptions{}, /*seed=*/5};
  std::unique_ptr<engine::Db> db_;
  TaskWorkload workload_{/*seed=*/21, /*ids=*/100};
};

TEST(CartridgePathTest, SitsBesideTheDataFile) {
  EXPECT_EQ(CartridgePathFor("/d/x.ns"), "/d/x.pending_tasks_by_type.cartridge");
  EXPECT_EQ(CartridgePathFor("/d/x.db"), "/d/x.db.pending_tasks_by_type.cartridge");
}

// CF-10: the same commits give the same bytes: built twice, and built on a second database that
// saw the same commits.
TEST_F(RefreshTest, SameCommitsGiveTheSameBytes) {
  ASSERT_OK(workload_.Commits(*db_, 80));
  ASSERT_OK_AND_ASSIGN(const Refreshed first, RebuildCartridge(disk_, *db_));
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> first_bytes, ReadFile(disk_, kCartridgePath));
  ASSERT_OK_AND_ASSIGN(const Refreshed second, RebuildCartridge(disk_, *db_));
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> second_bytes, ReadFile(disk_, kCartridgePath));
  EXPECT_EQ(first_bytes, second_bytes);
  EXPECT_EQ(second.found, CartridgeState::kFresh);

  vfs::SimDisk other_disk(vfs::SimDiskOptions{}, /*seed=*/99);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Db> other, engine::Db::open(other_disk, kDbPath, KeepLogOptions()));
  TaskWorkload same_workload(/*seed=*/21, /*ids=*/100);
  ASSERT_OK(same_workload.Commits(*other, 80));
  ASSERT_OK(RebuildCartridge(other_disk, *other).status());
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> other_bytes,
                       ReadFile(other_disk, kCartridgePath));
  EXPECT_EQ(other_bytes, first_bytes);
  EXPECT_EQ(first.cartridge->view().ToContent(), ModelPendingTasks(workload_.state()));
}

// CF-10, CF-11: a stale cartridge is caught up from the log, to the same bytes a full build
// gives, over many rounds of random commits (tasks created, claimed, released, completed,
// reopened, retyped, deleted).
TEST_F(RefreshTest, CatchUpGivesTheBytesOfAFullBuild) {
  ASSERT_OK(workload_.Commits(*db_, 20));
  ASSERT_OK_AND_ASSIGN(const Refreshed built, AcquireFresh(disk_, *db_));
  EXPECT_EQ(built.found, CartridgeState::kAbsent);
  EXPECT_EQ(built.action, RefreshAction::kRebuilt);
  Rng rng(8);
  for (int round = 0; round < 30; round++) {
    const uint32_t commits = 1 + static_cast<uint32_t>(rng.Uniform(12));
    ASSERT_OK(workload_.Commits(*db_, commits));
    ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(disk_, *db_));
    ASSERT_EQ(refreshed.found, CartridgeState::kStale) << refreshed.reason;
    ASSERT_EQ(refreshed.action, RefreshAction::kCaughtUp) << refreshed.reason;
    EXPECT_EQ(refreshed.txn, Latest());
    EXPECT_GE(refreshed.log_records_read, commits);
    ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> caught_up, ReadFile(disk_, kCartridgePath));
    ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> full, FullBuildBytes(*db_));
    ASSERT_EQ(caught_up, full) << "round " << round;
    ASSERT_EQ(refreshed.cartridge->view().ToContent(), ModelPendingTasks(workload_.state()));
  }
}

TEST_F(RefreshTest, AFreshCartridgeIsServedAsItIs) {
  ASSERT_OK(workload_.Commits(*db_, 10));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  const uint64_t writes_before = disk_.counters().io.writes;
  ASSERT_OK_AND_ASSIGN(const Refreshed served, AcquireFresh(disk_, *db_));
  EXPECT_EQ(served.found, CartridgeState::kFresh);
  EXPECT_EQ(served.action, RefreshAction::kServed);
  EXPECT_EQ(disk_.counters().io.writes, writes_before);
}

// CF-11: once a checkpoint recycled the log, the commits after the watermark are gone from it:
// a full rebuild, which says why.
TEST_F(RefreshTest, WhenTheLogNoLongerHoldsTheCommitsItRebuilds) {
  ASSERT_OK(workload_.Commits(*db_, 10));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK(db_->checkpoint());
  ASSERT_OK(workload_.Commits(*db_, 3));
  ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(disk_, *db_));
  EXPECT_EQ(refreshed.found, CartridgeState::kStale);
  EXPECT_EQ(refreshed.action, RefreshAction::kRebuilt);
  EXPECT_THAT(refreshed.reason, HasSubstr("no catch-up"));
  EXPECT_THAT(refreshed.reason, HasSubstr("no longer in it"));
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> bytes, ReadFile(disk_, kCartridgePath));
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> full, FullBuildBytes(*db_));
  EXPECT_EQ(bytes, full);
}

TEST_F(RefreshTest, TooFarBehindRebuildsInsteadOfCatchingUp) {
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK_AND_ASSIGN(const Refreshed refreshed,
                       AcquireFresh(disk_, *db_, RefreshPolicy{.catch_up_commits_max = 4}));
  EXPECT_EQ(refreshed.action, RefreshAction::kRebuilt);
  EXPECT_THAT(refreshed.reason, HasSubstr("5 commits behind, more than catch_up_commits_max 4"));
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK_AND_ASSIGN(
      const Refreshed long_log,
      AcquireFresh(disk_, *db_, RefreshPolicy{.catch_up_log_records_max = 10}));
  EXPECT_EQ(long_log.action, RefreshAction::kRebuilt);
  EXPECT_THAT(long_log.reason, HasSubstr("more than the limit of 10"));
}

TEST_F(RefreshTest, WithoutALogItRebuilds) {
  Open(engine::DbOptions{.page_size_bytes = 4096, .durability = engine::Durability::kMetaFlip});
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK(workload_.Commits(*db_, 2));
  ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(disk_, *db_));
  EXPECT_EQ(refreshed.found, CartridgeState::kStale);
  EXPECT_EQ(refreshed.action, RefreshAction::kRebuilt);
  EXPECT_EQ(refreshed.cartridge->view().ToContent(), ModelPendingTasks(workload_.state()));
}

// CF-11: a watermark ahead of the database means the database was replaced or restored: the
// cartridge describes another history and is never served, even where ids happen to agree.
TEST_F(RefreshTest, AnAheadCartridgeIsNeverServed) {
  ASSERT_OK(workload_.Commits(*db_, 12));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> old_cartridge, ReadFile(disk_, kCartridgePath));
  // The database is replaced by a younger one; the old cartridge is put back beside it.
  db_.reset();
  ASSERT_OK(disk_.remove(kDbPath));
  ASSERT_OK(disk_.remove("/db/tasks.log"));
  Open(KeepLogOptions());
  TaskWorkload younger(/*seed=*/77, /*ids=*/100);
  ASSERT_OK(younger.Commits(*db_, 4));
  ASSERT_OK(WriteFile(disk_, kCartridgePath, old_cartridge));
  ASSERT_OK_AND_ASSIGN(const CartridgeCheck check, CheckCartridge(disk_, kCartridgePath, Latest()));
  EXPECT_EQ(check.state, CartridgeState::kAhead);
  EXPECT_THAT(check.reason, HasSubstr("watermark 12 is ahead of the database's latest commit 4"));
  ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(disk_, *db_));
  EXPECT_EQ(refreshed.found, CartridgeState::kAhead);
  EXPECT_EQ(refreshed.action, RefreshAction::kRebuilt);
  EXPECT_EQ(refreshed.cartridge->watermark_txn(), 4u);
  EXPECT_EQ(refreshed.cartridge->view().ToContent(), ModelPendingTasks(younger.state()));
}

// CF-7, CF-11: a damaged or truncated file is corrupt, never served, rebuilt.
TEST_F(RefreshTest, ACorruptOrTruncatedCartridgeIsRebuilt) {
  ASSERT_OK(workload_.Commits(*db_, 15));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> good, ReadFile(disk_, kCartridgePath));
  std::vector<uint8_t> damaged = good;
  damaged[good.size() - 3] ^= 0x10;
  const std::vector<uint8_t> truncated(good.begin(), good.end() - 8);
  for (const std::vector<uint8_t>* bad : {&std::as_const(damaged), &truncated}) {
    ASSERT_OK(WriteFile(disk_, kCartridgePath, *bad));
    ASSERT_OK_AND_ASSIGN(const CartridgeCheck check,
                         CheckCartridge(disk_, kCartridgePath, Latest()));
    EXPECT_EQ(check.state, CartridgeState::kCorrupt);
    EXPECT_THAT(check.reason, StartsWith(std::string(kCartridgePath) + ": cartridge: "));
    ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(disk_, *db_));
    EXPECT_EQ(refreshed.found, CartridgeState::kCorrupt);
    EXPECT_EQ(refreshed.action, RefreshAction::kRebuilt);
    ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> rebuilt, ReadFile(disk_, kCartridgePath));
    EXPECT_EQ(rebuilt, good);
  }
}

TEST_F(RefreshTest, AnotherFormatVersionIsRebuiltAndSaysSo) {
  ASSERT_OK(workload_.Commits(*db_, 3));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> bytes, ReadFile(disk_, kCartridgePath));
  bytes[4] = 2;  // Version 2, with a valid header checksum: a newer build's file.
  EncodeFixed32(bytes.data() + kCartridgeHeaderCrcOffset,
                crc32c::Value(bytes.data(), kCartridgeHeaderCrcOffset));
  ASSERT_OK(WriteFile(disk_, kCartridgePath, bytes));
  ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(disk_, *db_));
  EXPECT_EQ(refreshed.found, CartridgeState::kUnsupportedVersion);
  EXPECT_THAT(refreshed.reason, HasSubstr("format version 2, this build reads version 1"));
  EXPECT_EQ(refreshed.action, RefreshAction::kRebuilt);
}

TEST_F(RefreshTest, VerifyPassesAFreshCorrectCartridge) {
  ASSERT_OK(workload_.Commits(*db_, 25));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK_AND_ASSIGN(const VerifyResult result, VerifyCartridge(disk_, *db_));
  EXPECT_TRUE(result.ok()) << result.finding;
  EXPECT_TRUE(result.compared);
  EXPECT_EQ(result.state, CartridgeState::kFresh);
}

// The planted bug: a cartridge with valid checksums and one pending id dropped (or one extra):
// verify must name the type and the id.
TEST_F(RefreshTest, VerifyNamesADroppedOrAddedId) {
  ASSERT_OK(workload_.Commits(*db_, 25));
  ASSERT_OK(workload_.CreateTasks(*db_, 1000, 12));
  PendingTasks content = ModelPendingTasks(workload_.state());
  ASSERT_FALSE(content["build"].empty());
  const uint64_t dropped = content["build"].back();
  content["build"].pop_back();
  ASSERT_OK(WriteFile(disk_, kCartridgePath, EncodeCartridge(Latest(), content)));
  ASSERT_OK_AND_ASSIGN(const VerifyResult result, VerifyCartridge(disk_, *db_));
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.finding,
              HasSubstr(absl::StrFormat("type \"build\": task %d is pending in the database but "
                                        "missing from the cartridge",
                                        dropped)));

  content = ModelPendingTasks(workload_.state());
  content["lint"].push_back(5000);
  ASSERT_OK(WriteFile(disk_, kCartridgePath, EncodeCartridge(Latest(), content)));
  ASSERT_OK_AND_ASSIGN(const VerifyResult added, VerifyCartridge(disk_, *db_));
  EXPECT_THAT(added.finding, HasSubstr("type \"lint\": id 5000 is in the cartridge but is not"));
}

TEST_F(RefreshTest, VerifyFailsStaleAndCorruptCartridges) {
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK_AND_ASSIGN(const VerifyResult absent, VerifyCartridge(disk_, *db_));
  EXPECT_THAT(absent.finding, StartsWith("absent: "));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK(workload_.Commits(*db_, 2));
  ASSERT_OK_AND_ASSIGN(const VerifyResult stale, VerifyCartridge(disk_, *db_));
  EXPECT_THAT(stale.finding, StartsWith("stale: watermark 5, database at 7: 2 commits behind"));
  EXPECT_THAT(stale.finding, HasSubstr("cannot be compared"));
  EXPECT_FALSE(stale.compared);
}

TEST_F(RefreshTest, VerifyComparesAStaleCartridgeAtARetainedSnapshot) {
  engine::DbOptions options = KeepLogOptions();
  options.retained_snapshots = 10;
  Open(options);
  ASSERT_OK(workload_.Commits(*db_, 5));
  ASSERT_OK(AcquireFresh(disk_, *db_).status());
  ASSERT_OK(workload_.Commits(*db_, 2));
  ASSERT_OK_AND_ASSIGN(const VerifyResult stale, VerifyCartridge(disk_, *db_));
  EXPECT_TRUE(stale.compared);
  EXPECT_THAT(stale.finding, HasSubstr("the content matches the database at the watermark"));
}

TEST_F(RefreshTest, KeeperNeverHandsOutAStaleCartridge) {
  CartridgeKeeper keeper(disk_, *db_);
  ASSERT_OK(workload_.Commits(*db_, 4));
  for (int round = 0; round < 10; round++) {
    ASSERT_OK_AND_ASSIGN(const std::shared_ptr<const MappedCartridge> cartridge, keeper.current());
    EXPECT_EQ(cartridge->watermark_txn(), Latest());
    EXPECT_EQ(cartridge->view().ToContent(), ModelPendingTasks(workload_.state()));
    ASSERT_OK_AND_ASSIGN(const std::shared_ptr<const MappedCartridge> again, keeper.current());
    EXPECT_EQ(again, cartridge);  // The database did not move: the same cartridge.
    ASSERT_OK(workload_.Commit(*db_));
  }
  EXPECT_EQ(keeper.refreshes(), 10u);
}

// CF-12: poll() refreshes once commits_behind_max commits are not reflected, or once the
// cartridge has been behind for stale_ns_max, and not before.
TEST_F(RefreshTest, KeeperTriggerFiresOnCommitCountAndOnStaleTime) {
  CartridgeKeeper keeper(disk_, *db_, RefreshPolicy{},
                         RefreshTrigger{.commits_behind_max = 5, .stale_ns_max = 1000});
  ASSERT_OK_AND_ASSIGN(bool refreshed, keeper.poll(0));
  EXPECT_TRUE(refreshed);  // Nothing held yet.
  ASSERT_OK(workload_.Commits(*db_, 4));
  ASSERT_OK_AND_ASSIGN(refreshed, keeper.poll(10));
  EXPECT_FALSE(refreshed);
  ASSERT_OK(workload_.Commit(*db_));
  ASSERT_OK_AND_ASSIGN(refreshed, keeper.poll(20));
  EXPECT_TRUE(refreshed);  // 5 commits behind.
  EXPECT_EQ(keeper.last_refresh()->action, RefreshAction::kCaughtUp);

  ASSERT_OK(workload_.Commit(*db_));
  ASSERT_OK_AND_ASSIGN(refreshed, keeper.poll(100));  // Behind since 100.
  EXPECT_FALSE(refreshed);
  ASSERT_OK_AND_ASSIGN(refreshed, keeper.poll(1099));
  EXPECT_FALSE(refreshed);
  ASSERT_OK_AND_ASSIGN(refreshed, keeper.poll(1100));
  EXPECT_TRUE(refreshed);  // Behind for 1000 ns.
  ASSERT_OK_AND_ASSIGN(refreshed, keeper.poll(5000));
  EXPECT_FALSE(refreshed);  // Fresh again.
}

// Refreshes beside a writer thread that commits all the time, with checkpoints recycling the
// log under the catch-up's feet: every cartridge handed out equals a scan at its own snapshot,
// whether it was caught up or rebuilt.
TEST(RefreshConcurrencyTest, RefreshesBesideAWriterAreExact) {
  ScopedTempDir dir("northstar_cartridge_writer");
  vfs::PosixFileSystem fs;
  engine::DbOptions options{.page_size_bytes = 4096,
                    .durability = engine::Durability::kLogNoSync,
                    .log_preallocate_bytes = 64 << 10,
                    .checkpoint_log_bytes = 48 << 10,
                    .retained_snapshots = 1'000'000};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Db> db, engine::Db::open(fs, dir.path() + "/tasks.ns", options));
  TaskWorkload workload(31, 150);
  ASSERT_OK(workload.CreateTasks(*db, 0, 150));
  std::atomic<bool> stop = false;
  absl::Status writer_status;
  std::thread writer([&] {
    // Paced, so that some refreshes find their commits still in the log and some do not.
    while (!stop.load() && writer_status.ok()) {
      writer_status = workload.Commit(*db);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  int caught_up = 0;
  int rebuilt = 0;
  for (int round = 0; round < 2000 && (round < 40 || caught_up < 5 || rebuilt < 5); round++) {
    absl::StatusOr<Refreshed> refreshed = AcquireFresh(fs, *db);
    ASSERT_TRUE(refreshed.ok()) << refreshed.status();
    (refreshed->action == RefreshAction::kCaughtUp ? caught_up : rebuilt)++;
    absl::StatusOr<std::unique_ptr<engine::ReadTxn>> at = db->begin_read_at(refreshed->txn);
    ASSERT_TRUE(at.ok()) << at.status();
    absl::StatusOr<PendingTasks> scanned = ScanPendingTasks(**at);
    ASSERT_TRUE(scanned.ok()) << scanned.status();
    ASSERT_EQ(refreshed->cartridge->view().ToContent(), *scanned)
        << "round " << round << ": " << RefreshActionName(refreshed->action) << " at txn "
        << refreshed->txn;
  }
  stop = true;
  writer.join();
  ASSERT_OK(writer_status);
  EXPECT_GT(caught_up, 0);
  EXPECT_GT(rebuilt, 0);
}

// The posix backend maps the file (mmap): the same lookups, from a real file.
TEST(RefreshPosixTest, LookupsThroughAMappedFile) {
  ScopedTempDir dir("northstar_cartridge");
  vfs::PosixFileSystem fs;
  const std::string db_path = dir.path() + "/tasks.ns";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Db> db, engine::Db::open(fs, db_path, KeepLogOptions()));
  TaskWorkload workload(5, 300);
  ASSERT_OK(workload.CreateTasks(*db, 0, 300));
  ASSERT_OK(workload.Commits(*db, 40));
  ASSERT_OK_AND_ASSIGN(const Refreshed refreshed, AcquireFresh(fs, *db));
  const PendingTasks model = ModelPendingTasks(workload.state());
  const CartridgeView& view = refreshed.cartridge->view();
  ASSERT_EQ(view.types().size(), model.size());
  for (const auto& [type, ids] : model) {
    EXPECT_EQ(view.pending(type).ToVector(), ids) << type;
    EXPECT_EQ(view.count(type), ids.size());
  }
  ASSERT_OK(workload.Commits(*db, 3));
  ASSERT_OK_AND_ASSIGN(const Refreshed caught_up, AcquireFresh(fs, *db));
  EXPECT_EQ(caught_up.action, RefreshAction::kCaughtUp);
  // The first cartridge's mapping stays valid after the file was replaced by rename.
  EXPECT_EQ(refreshed.cartridge->view().ToContent(), model);
}

}  // namespace
}  // namespace northstar::cartridge
