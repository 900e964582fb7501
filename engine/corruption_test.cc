// Flipping any byte of any page gives Corruption (DataLoss, naming the page) on the read that
// meets it: never a crash, never wrong data. A flipped meta page rolls back to the other meta.
#include <string>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "engine/pager.h"
#include "engine/test_databases.h"
#include "engine/validate.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::engine {
namespace {

constexpr uint32_t kPageSizeBytes = 4096;
constexpr char kPath[] = "/db/small.ns";

// Reads every key and value through a fresh Db; the first error, if any.
absl::StatusOr<KeyValues> ReadAll(vfs::FileSystem& fs) {
  NS_ASSIGN_OR_RETURN(auto db, Db::open(fs, kPath, {.create_if_missing = false}));
  NS_ASSIGN_OR_RETURN(auto read, db->begin_read());
  std::unique_ptr<Cursor> cursor = read->cursor();
  KeyValues found;
  NS_RETURN_IF_ERROR(cursor->seek_first());
  while (cursor->valid()) {
    NS_ASSIGN_OR_RETURN(found[std::string(cursor->key())], cursor->value());
    NS_RETURN_IF_ERROR(cursor->next());
  }
  return found;
}

class CorruptionTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(BuildSmallDatabase(disk_, kPath));
    ASSERT_OK_AND_ASSIGN(image_, disk_.durable_content(kPath));
    ASSERT_EQ(image_.size() % kPageSizeBytes, 0u);
    ASSERT_OK_AND_ASSIGN(file_, disk_.open(kPath, {}));
  }

  void set_byte(uint64_t offset, char byte) {
    ASSERT_OK(file_->pwrite(offset, vfs::AsBytes(std::string_view(&byte, 1))));
  }

  uint64_t page_count() const { return image_.size() / kPageSizeBytes; }

  vfs::SimDisk disk_{{}, 0};
  std::string image_;
  std::unique_ptr<vfs::File> file_;
};

TEST_F(CorruptionTest, EveryFlippedByteOfADataPageFailsItsRead) {
  ASSERT_OK_AND_ASSIGN(auto pager, Pager::open(disk_, kPath));
  std::vector<uint8_t> page(kPageSizeBytes);
  for (PageId page_id = kFirstDataPage; page_id < page_count(); page_id++) {
    if (!pager->read_page(page_id, page).ok()) continue;  // A never-written free page.
    const std::string expected_text = absl::StrFormat("page %d", page_id);
    for (uint64_t byte = 0; byte < kPageSizeBytes; byte++) {
      const uint64_t offset = page_id * kPageSizeBytes + byte;
      set_byte(offset, static_cast<char>(image_[offset] ^ 0x20));
      const absl::Status status = pager->read_page(page_id, page);
      ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss)
          << "page " << page_id << " byte " << byte;
      ASSERT_NE(status.message().find(expected_text), std::string_view::npos) << status;
      set_byte(offset, image_[offset]);
    }
  }
}

TEST_F(CorruptionTest, AFlippedMetaRollsBackToTheOtherMeta) {
  // Commit t writes slot t % 2: meta A holds commit 2, meta B commit 1.
  for (PageId slot : {kMetaPageA, kMetaPageB}) {
    for (uint64_t byte = 0; byte < kPageSizeBytes; byte++) {
      const uint64_t offset = slot * kPageSizeBytes + byte;
      set_byte(offset, static_cast<char>(image_[offset] ^ 0x01));
      ASSERT_OK_AND_ASSIGN(const Meta meta, ReadBestMeta(*file_));
      ASSERT_EQ(meta.txn_id, slot == kMetaPageA ? 1u : 2u) << "meta " << slot << " byte " << byte;
      set_byte(offset, image_[offset]);
    }
  }
}

TEST_F(CorruptionTest, BothMetasCorruptIsACorruptionError) {
  set_byte(10, static_cast<char>(image_[10] ^ 1));
  set_byte(kPageSizeBytes + 10, static_cast<char>(image_[kPageSizeBytes + 10] ^ 1));
  const absl::StatusOr<KeyValues> read = ReadAll(disk_);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(read.status().message().find("both meta pages"), std::string_view::npos)
      << read.status();
}

// End to end, through Db: a corrupt page is an error or is not met at all; a reader never sees
// data other than one of the two commits.
TEST_F(CorruptionTest, FlippedBytesNeverGiveWrongData) {
  const KeyValues first = SmallDatabaseFirstCommit();
  const KeyValues second = SmallDatabaseSecondCommit();
  int errors = 0;
  for (uint64_t page_id = 0; page_id < page_count(); page_id++) {
    for (uint64_t byte = 0; byte < kPageSizeBytes; byte += (byte < 64 ? 1 : 257)) {
      const uint64_t offset = page_id * kPageSizeBytes + byte;
      set_byte(offset, static_cast<char>(image_[offset] ^ 0x80));
      const absl::StatusOr<KeyValues> read = ReadAll(disk_);
      if (read.ok()) {
        ASSERT_TRUE(*read == second || (page_id == kMetaPageA && *read == first))
            << "wrong data after flipping page " << page_id << " byte " << byte;
      } else {
        ASSERT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
        ASSERT_NE(read.status().message().find("page "), std::string_view::npos) << read.status();
        errors++;
      }
      set_byte(offset, image_[offset]);
    }
  }
  EXPECT_GT(errors, 0);
}

TEST_F(CorruptionTest, ValidateReportsTheCorruptPage) {
  ASSERT_OK_AND_ASSIGN(const ValidationReport clean, Validate(disk_, kPath));
  ASSERT_TRUE(clean.ok()) << FormatProblems(clean);
  ASSERT_OK_AND_ASSIGN(const Meta meta, ReadBestMeta(*file_));
  const uint64_t offset = meta.root * kPageSizeBytes + 100;
  set_byte(offset, static_cast<char>(image_[offset] ^ 4));
  ASSERT_OK_AND_ASSIGN(const ValidationReport report, Validate(disk_, kPath));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(FormatProblems(report).find(absl::StrFormat("page %d", meta.root)), std::string::npos)
      << FormatProblems(report);
}

}  // namespace
}  // namespace northstar::engine
