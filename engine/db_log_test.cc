// Commit log, recovery, checkpoints, snapshots and history (kLog durability, the default).
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "engine/log/replay.h"
#include "engine/validate.h"
#include "gtest/gtest.h"
#include "util/random.h"
#include "util/testing.h"
#include "vfs/counting.h"
#include "vfs/sim_disk.h"

namespace northstar::engine {
namespace {

using State = std::map<std::string, std::string>;
constexpr char kPath[] = "/db/test.ns";
constexpr char kLogPath[] = "/db/test.log";

DbOptions SmallLogOptions() {
  return DbOptions{
      .page_size_bytes = 4096, .log_preallocate_bytes = 64 << 10, .checkpoint_log_bytes = 16 << 10};
}

absl::StatusOr<State> ReadState(Db& db, std::optional<TxnId> txn = std::nullopt) {
  NS_ASSIGN_OR_RETURN(auto read, txn ? db.begin_read_at(*txn) : db.begin_read());
  std::unique_ptr<Cursor> cursor = read->cursor();
  State state;
  NS_RETURN_IF_ERROR(cursor->seek_first());
  while (cursor->valid()) {
    NS_ASSIGN_OR_RETURN(state[std::string(cursor->key())], cursor->value());
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return state;
}

// A deterministic workload: commits of a few puts and deletes; model state after each commit.
struct Workload {
  std::vector<std::vector<LogOp>> commits;
  std::vector<State> state_after;  // [0] is the empty state before commit 1.

  static Workload Make(uint64_t seed, int commit_count) {
    Workload workload;
    Rng rng(seed);
    State state;
    workload.state_after.push_back(state);
    for (int commit = 0; commit < commit_count; commit++) {
      std::vector<LogOp> ops;
      const uint64_t op_count = 1 + rng.Uniform(12);
      for (uint64_t op = 0; op < op_count; op++) {
        std::string key = absl::StrFormat("key%03d", rng.Uniform(80));
        if (rng.Uniform(4) == 0 && state.contains(key)) {
          ops.push_back({LogOpType::kDelete, key, ""});
          state.erase(key);
        } else {
          const size_t size = rng.OneIn(20) ? 5000 + rng.Uniform(3000) : rng.Uniform(300);
          std::string value(size, static_cast<char>('a' + rng.Uniform(26)));
          ops.push_back({LogOpType::kPut, key, value});
          state[key] = value;
        }
      }
      workload.commits.push_back(std::move(ops));
      workload.state_after.push_back(state);
    }
    return workload;
  }
};

// Runs the workload until an operation fails; returns (last acknowledged, last attempted).
std::pair<TxnId, TxnId> RunUntilFailure(vfs::FileSystem& fs, const Workload& workload,
                                        const DbOptions& options) {
  TxnId acknowledged = 0;
  TxnId attempted = 0;
  auto db = Db::open(fs, kPath, options);
  if (!db.ok()) return {acknowledged, attempted};
  for (size_t index = 0; index < workload.commits.size(); index++) {
    auto txn = (*db)->begin_write();
    if (!txn.ok()) break;
    bool failed = false;
    for (const LogOp& op : workload.commits[index]) {
      const absl::Status status =
          op.type == LogOpType::kPut ? (*txn)->put(op.key, op.value) : (*txn)->del(op.key).status();
      if (!status.ok()) {
        failed = true;
        break;
      }
    }
    if (failed) break;
    attempted = index + 1;
    if (!(*txn)->commit().ok()) break;
    acknowledged = index + 1;
  }
  return {acknowledged, attempted};
}

// Crash at every I/O index, one by one: the recovered state is always the state after some
// commit t with every acknowledged commit <= t <= the last commit attempted.
void CrashAtEveryIo(const DbOptions& options, uint64_t seed, int commits) {
  // Without log syncs an acknowledged commit may be lost (kLogNoSync is documented as not
  // durable); the state must still be some commit's, never a mix.
  const bool durable = options.durability != Durability::kLogNoSync;
  const Workload workload = Workload::Make(seed, commits);
  for (uint64_t crash_after = 1;; crash_after++) {
    SCOPED_TRACE(absl::StrFormat("crash after I/O %d", crash_after));
    vfs::SimDisk disk({.sector_size_bytes = 512,
                       .torn_writes = true,
                       .faults = {.crash_after_io_count = crash_after}},
                      seed * 100000 + crash_after);
    const auto [acknowledged, attempted] = RunUntilFailure(disk, workload, options);
    const bool crashed = disk.halted();
    disk.set_faults({});
    disk.crash();
    auto db = Db::open(disk, kPath, options);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_OK_AND_ASSIGN(const State recovered, ReadState(**db));
    bool matched = false;
    for (TxnId txn = durable ? acknowledged : 0; txn <= attempted && !matched; txn++) {
      matched = recovered == workload.state_after[txn];
    }
    ASSERT_TRUE(matched) << "acknowledged " << acknowledged << ", attempted " << attempted
                         << ", recovered " << recovered.size() << " keys; "
                         << (*db)->recovery().summary();
    db->reset();
    ASSERT_OK_AND_ASSIGN(const ValidationReport report, Validate(disk, kPath));
    ASSERT_TRUE(report.ok()) << FormatProblems(report);
    if (!crashed) {
      EXPECT_EQ(acknowledged, static_cast<TxnId>(commits));
      EXPECT_GT(crash_after, 50u) << "the workload should take many I/Os";
      return;
    }
  }
}

TEST(DbLogTest, CrashAtEveryIoRecoversAPrefixWithEveryAcknowledgedCommit) {
  CrashAtEveryIo(SmallLogOptions(), 1, 25);
}

TEST(DbLogTest, CrashAtEveryIoWithFrequentCheckpoints) {
  // Checkpoints every few commits: crashes land inside checkpoints, while pages freed since the
  // last one must still hold the tree that recovery starts from.
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 3000;
  CrashAtEveryIo(options, 4, 40);
}

TEST(DbLogTest, CrashAtEveryIoInMetaFlipMode) {
  DbOptions options = SmallLogOptions();
  options.durability = Durability::kMetaFlip;
  CrashAtEveryIo(options, 2, 12);
}

TEST(DbLogTest, CrashAtEveryIoWithoutLogSyncsStillGivesACommitState) {
  DbOptions options = SmallLogOptions();
  options.durability = Durability::kLogNoSync;
  CrashAtEveryIo(options, 3, 25);
}

// CO-9
TEST(DbLogTest, AFailedLogSyncRefusesFurtherWritesUntilReopen) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("a", "1"));
    ASSERT_OK(txn->commit());
  }
  ASSERT_OK_AND_ASSIGN(auto reader, db->begin_read());
  vfs::SimDiskFaults faults;
  faults.sync_error_probability = 1.0;
  disk.set_faults(faults);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("b", "2"));
    EXPECT_EQ(txn->commit().code(), absl::StatusCode::kInternal);
  }
  disk.set_faults({});
  const auto refused = db->begin_write();
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("reopen"), std::string_view::npos) << refused.status();
  ASSERT_OK_AND_ASSIGN(auto value, reader->get("a"));  // Readers keep their snapshot.
  EXPECT_EQ(value, "1");
  reader.reset();
  db.reset();
  disk.crash();
  ASSERT_OK_AND_ASSIGN(auto reopened, Db::open(disk, kPath, options));
  ASSERT_OK_AND_ASSIGN(const State state, ReadState(*reopened));
  EXPECT_EQ(state, (State{{"a", "1"}}));  // The failed commit was never acknowledged.
}

TEST(DbLogTest, CommitLimitsAreConfigurableAndClearErrors) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.limits.ops_per_commit_max = 10;
  options.limits.value_size_max_bytes = 1000;
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
  const absl::Status big = txn->put("k", std::string(1001, 'v'));
  EXPECT_EQ(big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.message().find("1000"), std::string_view::npos) << big;
  for (int op = 0; op < 10; op++) ASSERT_OK(txn->put(absl::StrFormat("k%d", op), "v"));
  const absl::Status eleventh = txn->put("k10", "v");
  EXPECT_EQ(eleventh.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(eleventh.message().find("ops_per_commit_max"), std::string_view::npos) << eleventh;
  ASSERT_OK(txn->commit());  // The ten that fit commit; the refused ones left no trace.
  ASSERT_OK_AND_ASSIGN(const State state, ReadState(*db));
  EXPECT_EQ(state.size(), 10u);
}

TEST(DbLogTest, OneLogSyncPerCommit) {
  vfs::SimDisk disk({}, 1);
  vfs::CountingFileSystem counting(&disk);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;  // No checkpoint in between.
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(counting, kPath, options));
  const vfs::IoCounters before = counting.for_path(kLogPath);
  const vfs::IoCounters data_before = counting.for_path(kPath);
  for (int commit = 0; commit < 20; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int index = 0; index < 50; index++) {
      ASSERT_OK(txn->put(absl::StrFormat("c%d-k%d", commit, index), "value"));
    }
    ASSERT_OK(txn->commit());
  }
  const vfs::IoCounters after = counting.for_path(kLogPath);
  EXPECT_EQ(after.syncs - before.syncs, 20u);
  EXPECT_EQ(after.writes - before.writes, 20u);
  EXPECT_EQ(counting.for_path(kPath).syncs, data_before.syncs) << "no data-file sync per commit";
  // An empty commit writes nothing at all.
  ASSERT_OK_AND_ASSIGN(auto empty, db->begin_write());
  ASSERT_OK(empty->commit());
  EXPECT_EQ(counting.for_path(kLogPath).syncs, after.syncs);
}

TEST(DbLogTest, NoSyncModeNeverSyncsTheLog) {
  vfs::SimDisk disk({}, 1);
  vfs::CountingFileSystem counting(&disk);
  DbOptions options = SmallLogOptions();
  options.durability = Durability::kLogNoSync;
  options.checkpoint_log_bytes = 1 << 30;
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(counting, kPath, options));
  const uint64_t syncs_before = counting.for_path(kLogPath).syncs;
  for (int commit = 0; commit < 5; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put(absl::StrFormat("k%d", commit), "v"));
    ASSERT_OK(txn->commit());
  }
  EXPECT_EQ(counting.for_path(kLogPath).syncs, syncs_before);
}

TEST(DbLogTest, RecoveryReplaysTheLogAndReportsIt) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
    for (int commit = 0; commit < 3; commit++) {
      ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
      ASSERT_OK(txn->put(absl::StrFormat("k%d", commit), "v"));
      ASSERT_OK(txn->commit());
    }
  }
  disk.crash();  // Nothing but the synced log holds the three commits.
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  EXPECT_EQ(db->recovery().records, 3u);
  EXPECT_EQ(db->recovery().last_txn, 3u);
  EXPECT_FALSE(db->recovery().dropped_tail);
  EXPECT_EQ(db->recovery().summary(), "replayed 3 records (txn 1..3)");
  ASSERT_OK_AND_ASSIGN(const State state, ReadState(*db));
  EXPECT_EQ(state.size(), 3u);
  EXPECT_EQ(db->stats().checkpoint_txn_id, 3u) << "recovery checkpoints what it replayed";
}

TEST(DbLogTest, TornLogTailIsDroppedAndLaterAppendsAreClean) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;
  uint64_t tail_offset = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("a", "1"));
    ASSERT_OK(txn->commit());
    tail_offset = db->stats().log_bytes;
  }
  {
    // A half-written second record: a valid header start, then garbage.
    ASSERT_OK_AND_ASSIGN(auto log, disk.open(kLogPath, {}));
    std::vector<LogOp> ops = {{LogOpType::kPut, "b", std::string(3000, 'x')}};
    std::vector<uint8_t> record;
    EncodeLogRecord(2, ops, record);
    record.resize(record.size() / 2);
    ASSERT_OK(log->pwrite(tail_offset, record));
    ASSERT_OK(log->sync());
  }
  disk.crash();
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
    EXPECT_EQ(db->recovery().records, 1u);
    EXPECT_TRUE(db->recovery().dropped_tail) << db->recovery().summary();
    ASSERT_OK_AND_ASSIGN(const State state, ReadState(*db));
    EXPECT_EQ(state, (State{{"a", "1"}}));
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("c", "3"));
    ASSERT_OK(txn->commit());
  }
  disk.crash();
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  ASSERT_OK_AND_ASSIGN(const State state, ReadState(*db));
  EXPECT_EQ(state, (State{{"a", "1"}, {"c", "3"}}));
}

class DbLogBitRotTest : public testing::TestWithParam<uint64_t> {};

// CO-8: a rotten record (payload, or the magic of its header) followed by intact synced records.
TEST_P(DbLogBitRotTest, InTheMiddleOfTheLogIsCorruptionNotATail) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
    for (int commit = 0; commit < 3; commit++) {
      ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
      ASSERT_OK(txn->put(absl::StrFormat("k%d", commit), std::string(100, 'v')));
      ASSERT_OK(txn->commit());
    }
  }
  ASSERT_OK_AND_ASSIGN(std::string log, disk.durable_content(kLogPath));
  {
    ASSERT_OK_AND_ASSIGN(auto file, disk.open(kLogPath, {}));
    const uint64_t offset = GetParam();
    const char flipped = static_cast<char>(log[offset] ^ 1);
    ASSERT_OK(file->pwrite(offset, vfs::AsBytes(std::string_view(&flipped, 1))));
    ASSERT_OK(file->sync());
  }
  disk.crash();
  const auto db = Db::open(disk, kPath, options);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(db.status().message().find("offset 0"), std::string_view::npos) << db.status();
}

INSTANTIATE_TEST_SUITE_P(Offsets, DbLogBitRotTest,
                         testing::Values(kLogHeaderBytes + 20,  // The first record's payload.
                                         0,                     // Its magic.
                                         17));                  // Its op count.

// Found by crash_recovery_fuzz: a torn record whose value holds an encoded record for the next
// txn is a torn tail, not damage in the middle of the log.
TEST(DbLogTest, ATornRecordEmbeddingTheNextRecordIsATail) {
  vfs::SimDisk disk({}, 1);
  std::vector<uint8_t> embedded;
  EncodeLogRecord(2, std::vector<LogOp>{{LogOpType::kPut, "k", "v"}}, embedded);
  std::vector<uint8_t> record;
  EncodeLogRecord(1,
                  std::vector<LogOp>{{LogOpType::kPut, "key",
                                      std::string(embedded.begin(), embedded.end())}},
                  record);
  record[record.size() - 16] ^= 1;  // Break the payload CRC in the trailer.
  ASSERT_OK_AND_ASSIGN(auto log, disk.open(kLogPath, {.create = true}));
  ASSERT_OK(log->pwrite(0, record));
  ASSERT_OK_AND_ASSIGN(const LogScanResult result,
                       ScanLog(*log, 0, 1, LogLimits{}, [](const LogRecord&) {
                         return absl::OkStatus();
                       }));
  EXPECT_EQ(result.records, 0u);
  EXPECT_TRUE(result.dropped_tail) << result.summary();
}

TEST(DbLogTest, ReadersOnManyThreadsSeeConsistentSnapshots) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, SmallLogOptions()));
  constexpr int kKeys = 20;
  constexpr int kCommits = 150;
  std::atomic<bool> done = false;
  std::atomic<int> problems = 0;
  std::vector<std::thread> readers;
  for (int thread = 0; thread < 4; thread++) {
    readers.emplace_back([&] {
      TxnId last_seen = 0;
      while (!done.load()) {
        auto read = db->begin_read();
        if (!read.ok() || (*read)->txn_id() < last_seen) problems++;
        if (!read.ok()) continue;
        last_seen = (*read)->txn_id();
        std::optional<std::string> first;
        for (int key = 0; key < kKeys; key++) {
          auto value = (*read)->get(absl::StrFormat("key%02d", key));
          if (!value.ok()) {
            problems++;
            continue;
          }
          // Every key of one snapshot carries the same commit's value.
          const std::string got = value->value_or("");
          if (!first) first = got;
          if (got != *first) problems++;
        }
      }
    });
  }
  for (int commit = 1; commit <= kCommits; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write(/*wait=*/true));
    for (int key = 0; key < kKeys; key++) {
      ASSERT_OK(txn->put(absl::StrFormat("key%02d", key), absl::StrFormat("commit%d", commit)));
    }
    ASSERT_OK(txn->commit());
  }
  done = true;
  for (std::thread& thread : readers) thread.join();
  EXPECT_EQ(problems.load(), 0);
}

TEST(DbLogTest, BeginReadAtRetainedSnapshotsAndAClearErrorOtherwise) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.retained_snapshots = 3;
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  for (int commit = 1; commit <= 10; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("counter", std::to_string(commit)));
    ASSERT_OK(txn->commit());
  }
  for (TxnId txn = 7; txn <= 10; txn++) {
    ASSERT_OK_AND_ASSIGN(auto read, db->begin_read_at(txn));
    ASSERT_OK_AND_ASSIGN(auto value, read->get("counter"));
    EXPECT_EQ(value, std::to_string(txn));
  }
  const auto gone = db->begin_read_at(6);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("not retained"), std::string_view::npos) << gone.status();
  // A snapshot a reader holds stays readable past the retention window.
  ASSERT_OK_AND_ASSIGN(auto held, db->begin_read_at(7));
  for (int commit = 11; commit <= 15; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("counter", std::to_string(commit)));
    ASSERT_OK(txn->commit());
  }
  ASSERT_OK_AND_ASSIGN(auto again, db->begin_read_at(7));
  ASSERT_OK_AND_ASSIGN(auto value, again->get("counter"));
  EXPECT_EQ(value, "7");
}

TEST(DbLogTest, PageAccountingHoldsWithLongLivedReaders) {
  vfs::SimDisk disk({}, 3);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, SmallLogOptions()));
  Rng rng(3);
  std::vector<std::unique_ptr<ReadTxn>> readers;
  std::vector<State> reader_states;
  State state;
  for (int commit = 0; commit < 300; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int op = 0; op < 20; op++) {
      const std::string key = absl::StrFormat("k%04d", rng.Uniform(600));
      if (rng.OneIn(3)) {
        ASSERT_OK(txn->del(key).status());
        state.erase(key);
      } else {
        const std::string value(rng.OneIn(10) ? 6000 : rng.Uniform(200), 'x');
        ASSERT_OK(txn->put(key, value));
        state[key] = value;
      }
    }
    ASSERT_OK(txn->commit());
    if (rng.OneIn(10)) {  // Take a long-lived reader now and then; drop old ones sometimes.
      ASSERT_OK_AND_ASSIGN(auto read, db->begin_read());
      readers.push_back(std::move(read));
      reader_states.push_back(state);
    }
    if (readers.size() > 4 && rng.OneIn(3)) {
      readers.erase(readers.begin());
      reader_states.erase(reader_states.begin());
    }
    ASSERT_OK_AND_ASSIGN(const std::vector<std::string> problems, db->audit());
    ASSERT_TRUE(problems.empty()) << "commit " << commit << ": " << problems.front();
  }
  // The long-lived readers still see exactly their snapshots.
  for (size_t index = 0; index < readers.size(); index++) {
    std::unique_ptr<Cursor> cursor = readers[index]->cursor();
    State seen;
    ASSERT_OK(cursor->seek_first());
    while (cursor->valid()) {
      ASSERT_OK_AND_ASSIGN(seen[std::string(cursor->key())], cursor->value());
      ASSERT_OK(cursor->next());
    }
    EXPECT_EQ(seen, reader_states[index]);
  }
}

TEST(DbLogTest, ReplayRebuildsAnyPastStateFromAWholeLog) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.recycle_log = false;
  options.log_preallocate_bytes = 0;
  const Workload workload = Workload::Make(9, 30);
  ASSERT_EQ(RunUntilFailure(disk, workload, options).first, 30u);
  ASSERT_OK_AND_ASSIGN(auto log, disk.open(kLogPath, {}));
  for (TxnId txn = 0; txn <= 30; txn++) {
    State state;
    ASSERT_OK_AND_ASSIGN(const LogScanResult result, ReplayLog(*log, 0, 1, txn, {}, state));
    EXPECT_EQ(result.last_txn, 30u);
    EXPECT_EQ(state, workload.state_after[txn]) << "as of txn " << txn;
  }
}

TEST(DbLogTest, CheckpointRecyclesTheLog) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  for (int commit = 0; commit < 5; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put(absl::StrFormat("k%d", commit), "v"));
    ASSERT_OK(txn->commit());
  }
  EXPECT_GT(db->stats().log_bytes, 0u);
  EXPECT_EQ(db->stats().checkpoint_txn_id, 0u);
  ASSERT_OK(db->checkpoint());
  EXPECT_EQ(db->stats().log_bytes, 0u);
  EXPECT_EQ(db->stats().checkpoint_txn_id, 5u);
  ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
  ASSERT_OK(txn->put("after", "checkpoint"));
  ASSERT_OK(txn->commit());
  db.reset();
  disk.crash();
  ASSERT_OK_AND_ASSIGN(auto reopened, Db::open(disk, kPath, options));
  EXPECT_EQ(reopened->recovery().records, 1u) << reopened->recovery().summary();
  ASSERT_OK_AND_ASSIGN(const State state, ReadState(*reopened));
  EXPECT_EQ(state.size(), 6u);
}

// Versions of a leaf that commits rewrote between checkpoints never reach the disk: once no
// snapshot sees them they are freed and their dirty frames dropped. Before, each stayed dirty
// until a checkpoint, and a random build checkpointed every other commit to make room.
TEST(DbLogTest, SupersededPagesBetweenCheckpointsAreFreedOnceNoSnapshotSeesThem) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.checkpoint_log_bytes = 1 << 30;
  options.log_preallocate_bytes = 1 << 20;
  options.cache_budget_bytes = 4 << 20;  // Room for every version: only release frees them.
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  auto commit = [&](int version) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int key = 0; key < 10; key++) {
      ASSERT_OK(txn->put(absl::StrFormat("k%02d", key), absl::StrFormat("v%d", version)));
    }
    ASSERT_OK(txn->commit());
  };
  commit(0);
  ASSERT_OK_AND_ASSIGN(auto reader, db->begin_read());  // Holds version 0's leaf.
  for (int version = 1; version <= 200; version++) commit(version);
  EXPECT_EQ(db->stats().checkpoint_txn_id, 0u);
  // One leaf: the latest version and the one the reader holds; the file did not grow by 200.
  EXPECT_LE(db->stats().cache.pages_dirty, 2u);
  EXPECT_LE(db->stats().page_count, kFirstDataPage + 4);
  ASSERT_OK_AND_ASSIGN(const std::optional<std::string> old_value, reader->get("k05"));
  EXPECT_EQ(old_value, "v0");
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db->audit());
  EXPECT_TRUE(problems.empty()) << problems.front();
  reader.reset();
  commit(201);
  EXPECT_EQ(db->stats().cache.pages_dirty, 1u);
  ASSERT_OK_AND_ASSIGN(problems, db->audit());
  EXPECT_TRUE(problems.empty()) << problems.front();
  // And a crash recovers the latest commit from the log alone.
  db.reset();
  disk.crash();
  ASSERT_OK_AND_ASSIGN(db, Db::open(disk, kPath, options));
  ASSERT_OK_AND_ASSIGN(const State state, ReadState(*db));
  EXPECT_EQ(state.at("k09"), "v201");
}

// With recycle_log = false the log keeps growing; checkpoint_log_bytes counts from the last
// checkpoint, not from the start of the log (which checkpointed on every commit once the log
// passed it).
TEST(DbLogTest, CheckpointsByLogBytesSinceTheLastOneWhenTheLogIsKept) {
  vfs::SimDisk disk({}, 1);
  DbOptions options = SmallLogOptions();
  options.recycle_log = false;
  options.log_preallocate_bytes = 0;
  options.checkpoint_log_bytes = 4096;
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, kPath, options));
  std::set<TxnId> checkpoints;
  for (int commit = 0; commit < 400; commit++) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put(absl::StrFormat("k%03d", commit % 50), std::string(100, 'v')));
    ASSERT_OK(txn->commit());
    checkpoints.insert(db->stats().checkpoint_txn_id);
    EXPECT_LT(db->stats().log_bytes, 4096u);
  }
  // About 130 bytes per record: a checkpoint every ~32 commits.
  EXPECT_GE(checkpoints.size(), 400u / 40);
  EXPECT_LE(checkpoints.size(), 400u / 20);
}

}  // namespace
}  // namespace northstar::engine
