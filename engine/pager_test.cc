#include "engine/pager.h"

#include "engine/format/node.h"
#include "engine/format/page.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::engine {
namespace {

TEST(PagerTest, CreateWritesBothMetasAndOpenPicksTheHighestTxn) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto pager, Pager::create(disk, "/db/x.ns", 8192));
  EXPECT_EQ(pager->meta().txn_id, 0u);
  EXPECT_EQ(pager->page_size_bytes(), 8192u);
  Meta meta = pager->meta();
  for (TxnId txn = 1; txn <= 3; txn++) {
    meta.txn_id = txn;
    ASSERT_OK(pager->write_meta(meta));
    ASSERT_OK_AND_ASSIGN(auto reopened, Pager::open(disk, "/db/x.ns"));
    EXPECT_EQ(reopened->meta().txn_id, txn);
  }
}

TEST(PagerTest, CreateIsAtomic) {
  // A crash at any I/O during create leaves no database or a complete one, never a broken file.
  for (uint64_t crash_after = 1; crash_after < 12; crash_after++) {
    vfs::SimDisk disk({.faults = {.crash_after_io_count = crash_after}}, crash_after);
    (void)Pager::create(disk, "/db/x.ns", 4096);
    disk.set_faults({});
    disk.crash();
    if (*disk.exists("/db/x.ns")) {
      EXPECT_TRUE(Pager::open(disk, "/db/x.ns").ok()) << "crash after I/O " << crash_after;
    }
  }
}

// Found by `northstar torture scenarios/smoke.toml` (seed 0x27d1): checkpoints in log mode do
// not alternate txn parity, and writing the meta of slot `txn % 2` could overwrite the newest
// durable meta; a torn write then fell back to an older meta whose pages were reused.
TEST(PagerTest, EveryMetaWriteKeepsThePreviousMetaInTheOtherSlot) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto pager, Pager::create(disk, "/db/x.ns", 4096));
  ASSERT_OK_AND_ASSIGN(auto file, disk.open("/db/x.ns", {}));
  Meta meta = pager->meta();
  TxnId previous = 0;
  for (TxnId txn : {1, 3, 5, 6, 8, 9, 11}) {
    meta.txn_id = txn;
    ASSERT_OK(pager->write_meta(meta));
    std::vector<uint8_t> page(4096);
    TxnId slot_txns[2];
    for (PageId slot : {kMetaPageA, kMetaPageB}) {
      ASSERT_OK(vfs::ReadExact(*file, slot * 4096, page));
      ASSERT_OK_AND_ASSIGN(const Meta decoded, DecodeMeta(page, slot));
      slot_txns[slot] = decoded.txn_id;
    }
    EXPECT_EQ(std::max(slot_txns[0], slot_txns[1]), txn);
    EXPECT_EQ(std::min(slot_txns[0], slot_txns[1]), previous) << "after writing txn " << txn;
    previous = txn;
  }
}

TEST(PagerTest, TornMetaWriteRollsBackToTheOtherMeta) {
  int rolled_back = 0;
  for (uint64_t seed = 0; seed < 40; seed++) {
    vfs::SimDisk disk({.sector_size_bytes = 512}, seed);
    ASSERT_OK_AND_ASSIGN(auto pager, Pager::create(disk, "/db/x.ns", 4096));
    Meta meta = pager->meta();
    meta.txn_id = 1;
    ASSERT_OK(pager->write_meta(meta));
    // Write meta 2 (slot A) without its sync, then crash: the sectors come back mixed.
    meta.txn_id = 2;
    meta.entry_count = 0;
    std::vector<uint8_t> page(4096);
    EncodeMeta(meta, kMetaPageA, page);
    ASSERT_OK_AND_ASSIGN(auto file, disk.open("/db/x.ns", {}));
    ASSERT_OK(file->pwrite(0, page));
    disk.crash();
    ASSERT_OK_AND_ASSIGN(auto reopened, Pager::open(disk, "/db/x.ns"));
    EXPECT_TRUE(reopened->meta().txn_id == 1 || reopened->meta().txn_id == 2);
    if (reopened->meta().txn_id == 1) rolled_back++;
  }
  EXPECT_GT(rolled_back, 0);
}

TEST(PagerTest, ReadPageRejectsMetaAndOutOfRangeIds) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto pager, Pager::create(disk, "/db/x.ns", 4096));
  std::vector<uint8_t> page(4096);
  EXPECT_EQ(pager->read_page(kMetaPageA, page).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(pager->read_page(kPageCountMax, page).code(), absl::StatusCode::kDataLoss);
  // Beyond the end of the file: a short read, reported as DataLoss naming the file.
  const absl::Status beyond = pager->read_page(50, page);
  EXPECT_EQ(beyond.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(beyond.message().find("/db/x.ns"), std::string_view::npos) << beyond;
}

TEST(PagerTest, AMisplacedPageIsCaughtByItsId) {
  vfs::SimDisk disk({}, 1);
  ASSERT_OK_AND_ASSIGN(auto pager, Pager::create(disk, "/db/x.ns", 4096));
  std::vector<uint8_t> page(4096);
  EncodeLeaf({}, PageHeader{PageType::kLeaf, 5, 1}, page);
  ASSERT_OK(pager->write_page(6, page));  // Page 5's image at page 6 (a misdirected write).
  const absl::Status status = pager->read_page(6, page);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("page 6"), std::string_view::npos) << status;
}

}  // namespace
}  // namespace northstar::engine
