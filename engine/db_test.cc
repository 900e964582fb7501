// Differential and behavioural tests of the Db against std::map, on sim_disk and posix.
#include "engine/db.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format/node.h"
#include "engine/validate.h"
#include "gtest/gtest.h"
#include "util/random.h"
#include "util/testing.h"
#include "vfs/posix.h"
#include "vfs/sim_disk.h"

namespace northstar::engine {
namespace {

using Model = std::map<std::string, std::string>;

struct DiffParams {
  uint32_t page_size_bytes;
  Durability durability;
  uint64_t seeds;
  uint64_t ops_per_seed;
};

class Differential {
 public:
  Differential(vfs::FileSystem& fs, std::string path, uint32_t page_size_bytes, uint64_t seed,
               Durability durability = Durability::kLog)
      : fs_(fs),
        path_(std::move(path)),
        page_size_bytes_(page_size_bytes),
        durability_(durability),
        rng_(seed) {}

  void run(uint64_t ops) {
    reopen();
    for (uint64_t op = 0; op < ops && !testing::Test::HasFatalFailure(); op++) step(op);
    ASSERT_NO_FATAL_FAILURE(commit());
    ASSERT_NO_FATAL_FAILURE(check_scans());
  }

 private:
  std::string random_key() {
    const uint64_t shape = rng_.Uniform(100);
    const uint32_t key_max = KeySizeMaxBytes(page_size_bytes_);
    if (shape < 2) return "";
    if (shape < 4)
      return std::string(key_max - rng_.Uniform(2), static_cast<char>('a' + rng_.Uniform(3)));
    // A smallish key space so that updates and deletes hit existing keys.
    std::string key = "k" + std::to_string(rng_.Uniform(3000));
    if (shape < 30) key += std::string(rng_.Uniform(200), 'x');
    return key;
  }

  std::string random_value() {
    const uint64_t shape = rng_.Uniform(1000);
    size_t size = rng_.Uniform(64);
    if (shape < 5) {
      size = page_size_bytes_ * (1 + rng_.Uniform(4)) + rng_.Uniform(100);  // Overflow.
    } else if (shape < 15) {
      size = rng_.Uniform(page_size_bytes_ / 3);  // Around the inline limit.
    } else if (shape < 17) {
      size = 0;
    }
    std::string value(size, '\0');
    for (char& byte : value) byte = static_cast<char>(rng_.Uniform(256));
    return value;
  }

  void reopen() {
    txn_.reset();
    db_.reset();
    auto db = Db::open(fs_, path_,
                       DbOptions{.page_size_bytes = page_size_bytes_,
                                 .cache_budget_bytes = 64 * page_size_bytes_,
                                 .durability = durability_,
                                 .log_preallocate_bytes = 256 << 10,
                                 .checkpoint_log_bytes = 128 << 10});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    pending_ = committed_;
  }

  void begin() {
    if (txn_) return;
    auto txn = db_->begin_write();
    ASSERT_TRUE(txn.ok()) << txn.status();
    txn_ = std::move(*txn);
  }

  void commit() {
    if (!txn_) return;
    ASSERT_OK(txn_->commit());
    txn_.reset();
    committed_ = pending_;
    // The in-memory accounting after every commit; the file itself whenever it is current (every
    // commit by meta flip, after a checkpoint in log mode).
    auto problems = db_->audit();
    ASSERT_TRUE(problems.ok()) << problems.status();
    ASSERT_TRUE(problems->empty()) << problems->front();
    if (durability_ != Durability::kMetaFlip) {
      if (!rng_.OneIn(8)) return;
      ASSERT_OK(db_->checkpoint());
    }
    auto report = Validate(fs_, path_);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->ok()) << FormatProblems(*report);
    ASSERT_EQ(report->entries, committed_.size());
  }

  void step(uint64_t op) {
    const uint64_t kind = rng_.Uniform(100);
    if (kind < 45) {
      ASSERT_NO_FATAL_FAILURE(begin());
      const std::string key = random_key();
      const std::string value = random_value();
      ASSERT_OK(txn_->put(key, value));
      pending_[key] = value;
    } else if (kind < 65) {
      ASSERT_NO_FATAL_FAILURE(begin());
      const std::string key =
          rng_.OneIn(2) && !pending_.empty() ? pending_.begin()->first : random_key();
      auto removed = txn_->del(key);
      ASSERT_TRUE(removed.ok()) << removed.status();
      ASSERT_EQ(*removed, pending_.erase(key) == 1) << "op " << op;
    } else if (kind < 80) {
      ASSERT_NO_FATAL_FAILURE(begin());
      const std::string key = random_key();
      auto got = txn_->get(key);
      ASSERT_TRUE(got.ok()) << got.status();
      auto expected = pending_.find(key);
      ASSERT_EQ(got->has_value(), expected != pending_.end()) << "op " << op;
      if (got->has_value()) {
        ASSERT_EQ(**got, expected->second) << "op " << op;
      }
    } else if (kind < 88) {
      ASSERT_NO_FATAL_FAILURE(commit());
    } else if (kind < 90) {
      if (txn_) txn_->abort();
      txn_.reset();
      pending_ = committed_;
    } else if (kind < 91) {
      ASSERT_NO_FATAL_FAILURE(commit());
      ASSERT_NO_FATAL_FAILURE(reopen());
    } else {
      ASSERT_NO_FATAL_FAILURE(check_range());
    }
  }

  // A range [start, end), forward or reverse, or a prefix scan, on a fresh snapshot of the last
  // commit, against the model.
  void check_range() {
    auto read = db_->begin_read();
    ASSERT_TRUE(read.ok());
    std::unique_ptr<Cursor> cursor = (*read)->cursor();
    std::string start = random_key();
    std::string end = random_key();
    if (end < start) std::swap(start, end);
    std::vector<std::string> expected;
    for (auto it = committed_.lower_bound(start); it != committed_.end() && it->first < end; ++it) {
      expected.push_back(it->first);
    }
    std::vector<std::string> got;
    if (rng_.OneIn(2)) {
      ASSERT_OK(cursor->seek(start));
      while (cursor->valid() && cursor->key() < end) {
        got.emplace_back(cursor->key());
        ASSERT_OK(cursor->next());
      }
    } else {
      // Reverse: from the last key < end down to start.
      ASSERT_OK(cursor->seek(end));
      if (cursor->valid()) {
        ASSERT_OK(cursor->prev());
      } else {
        ASSERT_OK(cursor->seek_last());
      }
      while (cursor->valid() && cursor->key() >= start) {
        got.emplace_back(cursor->key());
        ASSERT_OK(cursor->prev());
      }
      std::reverse(got.begin(), got.end());
    }
    ASSERT_EQ(got, expected) << "range [" << start.substr(0, 20) << ", " << end.substr(0, 20)
                             << ")";
  }

  void check_scans() {
    auto read = db_->begin_read();
    ASSERT_TRUE(read.ok());
    std::unique_ptr<Cursor> cursor = (*read)->cursor();
    auto model = committed_.begin();
    ASSERT_OK(cursor->seek_first());
    for (; cursor->valid(); ++model) {
      ASSERT_NE(model, committed_.end());
      ASSERT_EQ(cursor->key(), model->first);
      auto value = cursor->value();
      ASSERT_TRUE(value.ok()) << value.status();
      ASSERT_EQ(*value, model->second);
      ASSERT_OK(cursor->next());
    }
    ASSERT_EQ(model, committed_.end());
    // Prefix scan "k1": every key starting with it, in order.
    std::vector<std::string> expected;
    for (auto it = committed_.lower_bound("k1");
         it != committed_.end() && it->first.starts_with("k1"); ++it) {
      expected.push_back(it->first);
    }
    std::vector<std::string> got;
    ASSERT_OK(cursor->seek("k1"));
    while (cursor->valid() && cursor->key().starts_with("k1")) {
      got.emplace_back(cursor->key());
      ASSERT_OK(cursor->next());
    }
    ASSERT_EQ(got, expected);
  }

  vfs::FileSystem& fs_;
  const std::string path_;
  const uint32_t page_size_bytes_;
  const Durability durability_;
  Rng rng_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<WriteTxn> txn_;
  Model committed_;
  Model pending_;
};

class DbDifferentialTest : public testing::TestWithParam<DiffParams> {};

TEST_P(DbDifferentialTest, MatchesStdMapOnSimDisk) {
  const DiffParams params = GetParam();
  for (uint64_t seed = 0; seed < params.seeds; seed++) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    vfs::SimDisk disk({}, seed);
    Differential(disk, "/db/test.ns", params.page_size_bytes, seed, params.durability)
        .run(params.ops_per_seed);
    if (HasFatalFailure()) return;
  }
}

// 4 KiB pages make deep trees; 64 KiB pages make wide ones. Together well over 100k operations.
INSTANTIATE_TEST_SUITE_P(PageSizes, DbDifferentialTest,
                         testing::Values(DiffParams{4096, Durability::kLog, 10, 6000},
                                         DiffParams{4096, Durability::kMetaFlip, 6, 6000},
                                         DiffParams{65536, Durability::kLog, 3, 4000},
                                         DiffParams{65536, Durability::kMetaFlip, 2, 4000}),
                         [](const testing::TestParamInfo<DiffParams>& info) {
                           return absl::StrFormat(
                               "page%d_%s", info.param.page_size_bytes,
                               info.param.durability == Durability::kLog ? "log" : "metaflip");
                         });

TEST(DbTest, DifferentialOnPosix) {
  ScopedTempDir dir("northstar_db");
  vfs::PosixFileSystem fs;
  Differential(fs, dir.path() + "/test.ns", 4096, 99).run(4000);
}

TEST(DbTest, SecondWriterGetsWriteBusy) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/x.ns", {}));
  ASSERT_OK_AND_ASSIGN(auto writer, db->begin_write());
  auto second = db->begin_write();
  EXPECT_TRUE(IsWriteBusy(second.status())) << second.status();
  writer->abort();
  ASSERT_OK_AND_ASSIGN(auto third, db->begin_write());
}

TEST(DbTest, AbortLeavesNoTrace) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/x.ns", {.page_size_bytes = 4096}));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    ASSERT_OK(txn->put("a", "1"));
    ASSERT_OK(txn->commit());
  }
  const uint64_t image_before = disk.durable_image_hash();
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int index = 0; index < 1000; index++)
      ASSERT_OK(txn->put("k" + std::to_string(index), "v"));
    ASSERT_OK_AND_ASSIGN(auto seen, txn->get("k5"));
    EXPECT_EQ(seen, "v");  // Read your writes.
  }                        // Dropped: aborted.
  EXPECT_EQ(disk.durable_image_hash(), image_before);
  ASSERT_OK_AND_ASSIGN(auto read, db->begin_read());
  ASSERT_OK_AND_ASSIGN(auto gone, read->get("k5"));
  EXPECT_FALSE(gone.has_value());
  EXPECT_EQ(read->entry_count(), 1u);
}

TEST(DbTest, ReadersKeepTheirSnapshotAcrossCommits) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/x.ns", {.page_size_bytes = 4096}));
  auto write_all = [&](const std::string& value) {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int index = 0; index < 500; index++)
      ASSERT_OK(txn->put("k" + std::to_string(index), value));
    ASSERT_OK(txn->commit());
  };
  write_all("old");
  ASSERT_OK_AND_ASSIGN(auto reader, db->begin_read());
  for (int round = 0; round < 5; round++) write_all("new" + std::to_string(round));
  // The old snapshot's pages were not reused while the reader held them.
  std::unique_ptr<Cursor> cursor = reader->cursor();
  ASSERT_OK(cursor->seek_first());
  int count = 0;
  for (; cursor->valid(); count++) {
    ASSERT_OK_AND_ASSIGN(std::string value, cursor->value());
    EXPECT_EQ(value, "old");
    ASSERT_OK(cursor->next());
  }
  EXPECT_EQ(count, 500);
}

TEST(DbTest, TreeGrowsDeepAndShrinksToNothingWhenItEmpties) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/x.ns", {.page_size_bytes = 4096}));
  auto key = [](int index) { return std::to_string(index * 7919 % 20000) + std::string(200, 'k'); };
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int index = 0; index < 20000; index++) ASSERT_OK(txn->put(key(index), "value"));
    ASSERT_OK(txn->commit());
  }
  EXPECT_GE(db->stats().tree.height, 4u);
  for (int round = 0; round < 4; round++) {  // Delete in four commits, validating each.
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int index = round; index < 20000; index += 4) {
      ASSERT_OK_AND_ASSIGN(const bool removed, txn->del(key(index)));
      ASSERT_TRUE(removed);
    }
    ASSERT_OK(txn->commit());
    ASSERT_OK(db->checkpoint());
    ASSERT_OK_AND_ASSIGN(const ValidationReport report, Validate(disk, "/db/x.ns"));
    ASSERT_TRUE(report.ok()) << FormatProblems(report);
  }
  ASSERT_OK(db->checkpoint());  // Lets the last commit's freed pages go free.
  const DbStats stats = db->stats();
  EXPECT_EQ(stats.tree.root, kNoPage);
  EXPECT_EQ(stats.tree.height, 0u);
  EXPECT_EQ(stats.tree.entry_count, 0u);
  ASSERT_OK_AND_ASSIGN(const ValidationReport report, Validate(disk, "/db/x.ns"));
  EXPECT_EQ(report.free_pages + report.freelist_pages, stats.page_count - kFirstDataPage)
      << "every page but the metas is free again";
}

TEST(DbTest, OversizeKeyAndValueAreClearErrorsAndChangeNothing) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/x.ns", {.page_size_bytes = 4096}));
  ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
  const absl::Status long_key = txn->put(std::string(1025, 'k'), "v");
  EXPECT_EQ(long_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(long_key.message().find("1025"), std::string_view::npos) << long_key;
  const absl::Status big_value = txn->put("k", std::string(kValueSizeMaxBytes + 1, 'v'));
  EXPECT_EQ(big_value.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_OK(txn->put(std::string(1024, 'k'), std::string(kValueSizeMaxBytes, 'v')));  // Limits.
  ASSERT_OK(txn->commit());
  ASSERT_OK_AND_ASSIGN(auto read, db->begin_read());
  ASSERT_OK_AND_ASSIGN(auto value, read->get(std::string(1024, 'k')));
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->size(), kValueSizeMaxBytes);
}

TEST(DbTest, BadPageSizeIsAClearErrorAndCreatesNothing) {
  vfs::SimDisk disk({}, 1);
  auto db = Db::open(disk, "/db/x.ns", {.page_size_bytes = 5000});
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(db.status().message().find("5000"), std::string_view::npos);
  EXPECT_TRUE(disk.list("/db")->empty());
}

TEST(DbTest, NotADatabaseAndTruncatedFilesAreClearErrors) {
  vfs::SimDisk disk({}, 1);
  {
    ASSERT_OK_AND_ASSIGN(auto file, disk.open("/db/text.ns", {.create = true}));
    ASSERT_OK(file->pwrite(0, vfs::AsBytes(std::string(20000, 'x'))));
  }
  const uint64_t image = disk.durable_image_hash();
  auto text = Db::open(disk, "/db/text.ns", {});
  EXPECT_EQ(text.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(text.status().message().find("not a Northstar database"), std::string_view::npos)
      << text.status();
  EXPECT_EQ(disk.durable_image_hash(), image) << "a failed open must not write";
  {
    ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/x.ns", {.page_size_bytes = 4096}));
    ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
    for (int index = 0; index < 3000; index++)
      ASSERT_OK(txn->put("k" + std::to_string(index), "v"));
    ASSERT_OK(txn->commit());
    ASSERT_OK(db->checkpoint());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto file, disk.open("/db/x.ns", {}));
    ASSERT_OK(file->truncate(5 * 4096));
  }
  auto truncated = Db::open(disk, "/db/x.ns", {});
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(truncated.status().message().find("truncated"), std::string_view::npos)
      << truncated.status();
}

// A load in key order fills leaves: the split at the end of the tree leaves the left node full
// (it left two half-full nodes, twice the pages).
TEST(DbTest, ALoadInKeyOrderLeavesFullLeaves) {
  constexpr uint64_t kKeys = 20'000;
  constexpr uint32_t kPageBytes = 4096;
  const std::string value(100, 'v');
  auto build = [&](bool random) -> uint64_t {
    vfs::SimDisk disk({}, 1);
    DbOptions options{.page_size_bytes = kPageBytes, .durability = Durability::kLogNoSync};
    auto db = Db::open(disk, "/db/load.ns", options);
    EXPECT_OK(db.status());
    for (uint64_t batch = 0; batch < kKeys / 1000; batch++) {
      auto txn = (*db)->begin_write();
      EXPECT_OK(txn.status());
      for (uint64_t n = batch * 1000; n < (batch + 1) * 1000; n++) {
        const uint64_t key = random ? (n * 7919) % kKeys : n;
        EXPECT_OK((*txn)->put(absl::StrFormat("key%012d", key), value));
      }
      EXPECT_OK((*txn)->commit());
    }
    EXPECT_OK((*db)->checkpoint());
    auto problems = (*db)->audit();
    EXPECT_TRUE(problems.ok() && problems->empty());
    return (*db)->stats().page_count;
  };
  const uint64_t cell_bytes = LeafCellBytes(LeafCell{"key000000000000", value, kNoPage, 100});
  const uint64_t full_leaves = kKeys / (LeafCapacityBytes(kPageBytes) / cell_bytes);
  const uint64_t sequential_pages = build(/*random=*/false);
  const uint64_t random_pages = build(/*random=*/true);
  EXPECT_LE(sequential_pages, full_leaves * 110 / 100) << "full leaves: " << full_leaves;
  EXPECT_LT(sequential_pages, random_pages);
}

// The copy-free reads give what the copying ones do, inline and on overflow pages.
TEST(DbTest, GetIntoABufferAndValueViewsMatchTheCopyingReads) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto db, Db::open(disk, "/db/views.ns", {.page_size_bytes = 4096}));
  ASSERT_OK_AND_ASSIGN(auto txn, db->begin_write());
  ASSERT_OK(txn->put("a", "small"));
  ASSERT_OK(txn->put("b", std::string(20'000, 'x')));  // Overflow pages.
  ASSERT_OK(txn->put("c", ""));
  ASSERT_OK(txn->commit());
  ASSERT_OK_AND_ASSIGN(auto read, db->begin_read());
  std::string value = "stale";
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_OK_AND_ASSIGN(const std::optional<std::string> copied, read->get(key));
    ASSERT_OK_AND_ASSIGN(const bool found, read->get(key, value));
    EXPECT_TRUE(found);
    EXPECT_EQ(value, *copied) << key;
  }
  value = "sentinel";
  ASSERT_OK_AND_ASSIGN(const bool found, read->get("missing", value));
  EXPECT_FALSE(found);
  EXPECT_EQ(value, "sentinel");  // Untouched.
  std::unique_ptr<Cursor> cursor = read->cursor();
  std::string overflow;
  ASSERT_OK(cursor->seek_first());
  std::vector<std::string> viewed;
  while (cursor->valid()) {
    ASSERT_OK_AND_ASSIGN(const std::string_view view, cursor->value_view(overflow));
    ASSERT_OK_AND_ASSIGN(const std::string copied, cursor->value());
    EXPECT_EQ(view, copied) << cursor->key();
    viewed.emplace_back(view);
    ASSERT_OK(cursor->next());
  }
  EXPECT_EQ(viewed, (std::vector<std::string>{"small", std::string(20'000, 'x'), ""}));
}

}  // namespace
}  // namespace northstar::engine
