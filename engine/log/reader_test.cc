// Tests of LogReader on the simulated disk (spec/commit_record.md CR-13..CR-17).
#include "engine/log/reader.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"
#include "util/testing.h"
#include "vfs/sim_disk.h"

namespace northstar::engine {
namespace {

constexpr std::string_view kDirectory = "/d";
constexpr std::string_view kLogPath = "/d/db.log";

LogOp Put(std::string key, std::string value) {
  return {.type = LogOpType::kPut, .key = std::move(key), .value = std::move(value)};
}
LogOp Delete(std::string key) { return {.type = LogOpType::kDelete, .key = std::move(key)}; }

// The ops of commit `txn_id` in these tests: a few, of varying sizes.
std::vector<LogOp> OpsOf(TxnId txn_id) {
  std::vector<LogOp> ops;
  for (uint64_t index = 0; index <= txn_id % 3; index++) {
    ops.push_back(
        Put(absl::StrFormat("key-%d-%d", txn_id, index),
            std::string(10 + (txn_id * 37 + index) % 200, static_cast<char>('a' + index))));
  }
  if (txn_id % 2 == 0) ops.push_back(Delete(absl::StrFormat("gone-%d", txn_id)));
  return ops;
}

struct Written {
  uint64_t offset;
  TxnId txn_id;
  std::vector<LogOp> ops;
  uint64_t record_bytes;
};

class LogReaderTest : public ::testing::Test {
 protected:
  explicit LogReaderTest(vfs::SimDiskOptions options = {}) : disk_(options, 1) {
    file_ = Open();
    EXPECT_OK(disk_.sync_dir(kDirectory));
  }

  std::unique_ptr<vfs::File> Open() {
    auto file = disk_.open(kLogPath, {.create = true});
    EXPECT_TRUE(file.ok()) << file.status();
    return std::move(file).value();
  }

  // Writes records for txn ids [first, first + count) back to back from `offset`.
  std::vector<Written> WriteRecords(uint64_t offset, TxnId first, int count) {
    std::vector<Written> written;
    for (TxnId txn_id = first; txn_id < first + count; txn_id++) {
      std::vector<uint8_t> bytes;
      EncodeLogRecord(txn_id, OpsOf(txn_id), bytes);
      EXPECT_OK(file_->pwrite(offset, bytes));
      written.push_back({offset, txn_id, OpsOf(txn_id), bytes.size()});
      offset += bytes.size();
    }
    return written;
  }

  void WriteAt(uint64_t offset, std::vector<uint8_t> bytes) {
    ASSERT_OK(file_->pwrite(offset, bytes));
  }

  uint64_t FileSize() {
    auto size_bytes = file_->size();
    EXPECT_TRUE(size_bytes.ok());
    return size_bytes.value_or(0);
  }

  vfs::SimDisk disk_;
  std::unique_ptr<vfs::File> file_;
};

// Reads every record up to the end; fails the test on an I/O error.
std::vector<LogRecord> ReadAll(LogReader& reader) {
  std::vector<LogRecord> records;
  for (int step = 0; step < 10000; step++) {
    absl::StatusOr<std::optional<LogRecord>> record = reader.next();
    EXPECT_TRUE(record.ok()) << record.status();
    if (!record.ok() || !record->has_value()) break;
    records.push_back(std::move(**record));
  }
  EXPECT_TRUE(reader.ended());
  return records;
}

void ExpectRecords(const std::vector<LogRecord>& records, const std::vector<Written>& written) {
  ASSERT_EQ(records.size(), written.size());
  for (size_t index = 0; index < records.size(); index++) {
    EXPECT_EQ(records[index].offset, written[index].offset) << index;
    EXPECT_EQ(records[index].txn_id, written[index].txn_id) << index;
    EXPECT_EQ(records[index].ops, written[index].ops) << index;
    EXPECT_EQ(records[index].record_bytes, written[index].record_bytes) << index;
  }
}

void ExpectEnd(const LogReader& reader, LogEnd::Reason reason, uint64_t offset,
               std::string_view detail_part) {
  ASSERT_TRUE(reader.ended());
  EXPECT_EQ(reader.end().reason, reason)
      << LogEndReasonName(reader.end().reason) << ": " << reader.end().detail;
  EXPECT_EQ(reader.end().offset, offset);
  EXPECT_EQ(reader.offset(), offset);
  EXPECT_NE(reader.end().detail.find(detail_part), std::string::npos) << reader.end().detail;
}

TEST(LogEndReasonNameTest, NamesEveryReason) {
  EXPECT_STREQ(LogEndReasonName(LogEnd::kEndOfFile), "end-of-file");
  EXPECT_STREQ(LogEndReasonName(LogEnd::kZeroHeader), "zero-header");
  EXPECT_STREQ(LogEndReasonName(LogEnd::kShortRecord), "short-record");
  EXPECT_STREQ(LogEndReasonName(LogEnd::kBadHeader), "bad-header");
  EXPECT_STREQ(LogEndReasonName(LogEnd::kBadBody), "bad-body");
  EXPECT_STREQ(LogEndReasonName(LogEnd::kStaleRecord), "stale-record");
}

// CR-13, CR-14: records come back in order with their offsets; the file's end ends the log,
// again on every later call.
TEST_F(LogReaderTest, ReadsRecordsInOrderThenEndOfFile) {
  const std::vector<Written> written = WriteRecords(0, 1, 6);
  LogReader reader(*file_, 0, {});
  EXPECT_EQ(reader.offset(), 0u);
  EXPECT_FALSE(reader.ended());
  ExpectRecords(ReadAll(reader), written);
  ExpectEnd(reader, LogEnd::kEndOfFile, FileSize(), "end of file");
  ASSERT_OK_AND_ASSIGN(const std::optional<LogRecord> again, reader.next());
  EXPECT_FALSE(again.has_value());
  EXPECT_EQ(reader.end().reason, LogEnd::kEndOfFile);
}

// CR-13: at most two preads per record, one more for the end.
TEST_F(LogReaderTest, ReadsEachRecordWithAtMostTwoPreads) {
  const std::vector<Written> written = WriteRecords(0, 1, 20);
  const uint64_t reads_before = disk_.counters().io.reads;
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), written);
  EXPECT_LE(disk_.counters().io.reads - reads_before, 2 * written.size() + 1);
}

// CR-13
TEST_F(LogReaderTest, StartsAtTheGivenOffset) {
  const std::vector<Written> written = WriteRecords(0, 1, 5);
  LogReader reader(*file_, written[2].offset, {});
  EXPECT_EQ(reader.offset(), written[2].offset);
  ExpectRecords(ReadAll(reader), {written.begin() + 2, written.end()});
  ExpectEnd(reader, LogEnd::kEndOfFile, FileSize(), "end of file");
}

// CR-14
TEST_F(LogReaderTest, EmptyFileEndsAtOnce) {
  LogReader reader(*file_, 0, {});
  EXPECT_TRUE(ReadAll(reader).empty());
  ExpectEnd(reader, LogEnd::kEndOfFile, 0, "end of file at offset 0");
}

// CR-14: a preallocated log ends where the zeros start.
TEST_F(LogReaderTest, PreallocatedZerosEndTheLog) {
  ASSERT_OK(file_->truncate(64 << 10));
  const std::vector<Written> written = WriteRecords(0, 1, 4);
  const uint64_t end_offset = written.back().offset + written.back().record_bytes;
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), written);
  ExpectEnd(reader, LogEnd::kZeroHeader, end_offset, "never written");
}

// CR-15: the file ends inside a record's body.
TEST_F(LogReaderTest, RecordCutShortIsShort) {
  const std::vector<Written> written = WriteRecords(0, 1, 4);
  ASSERT_OK(file_->truncate(written[3].offset + written[3].record_bytes - 5));
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), {written.begin(), written.begin() + 3});
  ExpectEnd(reader, LogEnd::kShortRecord, written[3].offset, "inside the");
}

// CR-15: the file ends inside a record's header.
TEST_F(LogReaderTest, HeaderCutShortIsShort) {
  const std::vector<Written> written = WriteRecords(0, 1, 3);
  ASSERT_OK(file_->truncate(written[2].offset + 20));
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), {written.begin(), written.begin() + 2});
  ExpectEnd(reader, LogEnd::kShortRecord, written[2].offset, "20 bytes into the 40-byte header");
}

// A header with valid CRC that claims `payload_bytes` for `op_count` ops, txn 99.
std::vector<uint8_t> HeaderClaiming(uint32_t op_count, uint64_t payload_bytes) {
  std::vector<uint8_t> header(kLogHeaderBytes, 0);
  EncodeFixed32(header.data(), kLogMagic);
  EncodeFixed16(header.data() + 4, kLogVersion);
  EncodeFixed64(header.data() + 8, 99);
  EncodeFixed32(header.data() + 16, op_count);
  EncodeFixed64(header.data() + 24, payload_bytes);
  EncodeFixed32(header.data() + 32, crc32c::Value(header.data(), 32));
  return header;
}

// CR-15, CR-16: a surviving header whose large body did not survive is a short record, found
// before a buffer for the body is allocated.
TEST_F(LogReaderTest, HeaderClaimingAHugeBodyPastTheEndIsShort) {
  const std::vector<Written> written = WriteRecords(0, 1, 2);
  const uint64_t end_offset = written.back().offset + written.back().record_bytes;
  WriteAt(end_offset, HeaderClaiming(32, uint64_t{512} << 20));
  uint64_t read_bytes_max = 0;
  disk_.set_event_callback([&read_bytes_max](const vfs::SimDiskEvent& event) {
    if (event.kind == vfs::SimDiskEventKind::kRead) {
      read_bytes_max = std::max(read_bytes_max, event.size);
    }
  });
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), written);
  ExpectEnd(reader, LogEnd::kShortRecord, end_offset, "file ends at");
  disk_.set_event_callback(nullptr);
  // No read (and so no buffer) of the claimed size.
  EXPECT_LE(read_bytes_max, FileSize());
}

// CR-16: no record is larger than kLogRecordBytesMax, whatever its header says.
TEST_F(LogReaderTest, HeaderClaimingMoreThanTheRecordLimitIsBad) {
  WriteAt(0, HeaderClaiming(100, kLogPayloadBytesMax + 1));
  LogReader reader(*file_, 0, {});
  EXPECT_TRUE(ReadAll(reader).empty());
  ExpectEnd(reader, LogEnd::kBadHeader, 0, "exceeds the limit");
}

// CR-15: bytes changed in the middle of a record (a torn write) end the log there.
TEST_F(LogReaderTest, TornRecordIsBadBody) {
  const std::vector<Written> written = WriteRecords(0, 1, 5);
  WriteAt(written[3].offset + written[3].record_bytes / 2, {0xDE, 0xAD, 0xBE, 0xEF});
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), {written.begin(), written.begin() + 3});
  ExpectEnd(reader, LogEnd::kBadBody, written[3].offset,
            absl::StrFormat("commit record at log offset %d: payload_crc", written[3].offset));
}

// CR-15
TEST_F(LogReaderTest, GarbageWithoutMagicIsNoRecord) {
  const std::vector<Written> written = WriteRecords(0, 1, 3);
  const uint64_t end_offset = written.back().offset + written.back().record_bytes;
  std::vector<uint8_t> garbage(100);
  Rng rng(5);
  for (uint8_t& byte : garbage) byte = static_cast<uint8_t>(rng.Next());
  WriteAt(end_offset, garbage);
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), written);
  ExpectEnd(reader, LogEnd::kNoRecord, end_offset,
            absl::StrFormat("no record magic at offset %d", end_offset));
}

TEST_F(LogReaderTest, GarbageAfterTheMagicIsBadHeader) {
  const std::vector<Written> written = WriteRecords(0, 1, 3);
  const uint64_t end_offset = written.back().offset + written.back().record_bytes;
  std::vector<uint8_t> garbage(100);
  Rng rng(5);
  for (uint8_t& byte : garbage) byte = static_cast<uint8_t>(rng.Next());
  EncodeFixed32(garbage.data(), kLogMagic);
  WriteAt(end_offset, garbage);
  LogReader reader(*file_, 0, {});
  ExpectRecords(ReadAll(reader), written);
  ExpectEnd(reader, LogEnd::kBadHeader, end_offset,
            absl::StrFormat("commit record at log offset %d", end_offset));
}

// CR-17: the reader does not judge txn order. In a recycled log a record of the previous cycle
// that starts right where the new records end is returned like any other; recovery decides.
TEST_F(LogReaderTest, StaleRecordAfterTheEndIsReturned) {
  const std::vector<Written> old_cycle = WriteRecords(0, 1, 3);
  // A new commit of exactly txn 1's size over it.
  std::vector<uint8_t> bytes;
  std::vector<LogOp> new_ops = OpsOf(1);
  for (LogOp& op : new_ops) op.key += "!";
  for (LogOp& op : new_ops) op.value.pop_back();
  EncodeLogRecord(10, new_ops, bytes);
  ASSERT_EQ(bytes.size(), old_cycle[0].record_bytes);
  WriteAt(0, bytes);

  LogReader reader(*file_, 0, {});
  std::vector<Written> expected = {{0, 10, new_ops, bytes.size()}};
  expected.insert(expected.end(), old_cycle.begin() + 1, old_cycle.end());
  ExpectRecords(ReadAll(reader), expected);
  ExpectEnd(reader, LogEnd::kEndOfFile, FileSize(), "end of file");
}

// CR-14: an I/O error is an error status, not an end of the log; the reader has not moved and
// the next call retries.
TEST(LogReaderIoTest, ReadErrorIsAnErrorNotAnEnd) {
  // Read calls: 1 header of record 0, 2 its body, 3 header of record 1, 4 its body.
  for (const uint64_t failing_call : {uint64_t{2}, uint64_t{3}, uint64_t{4}}) {
    vfs::SimDisk disk({.faults = {.read_error_at_call = failing_call}}, 1);
    auto file = disk.open(kLogPath, {.create = true});
    ASSERT_TRUE(file.ok());
    std::vector<uint8_t> bytes;
    EncodeLogRecord(1, OpsOf(1), bytes);
    const uint64_t second_offset = bytes.size();
    EncodeLogRecord(2, OpsOf(2), bytes);
    ASSERT_OK((*file)->pwrite(0, bytes));

    LogReader reader(**file, 0, {});
    std::vector<TxnId> txn_ids;
    int errors = 0;
    for (int step = 0; step < 10 && !reader.ended(); step++) {
      const uint64_t offset_before = reader.offset();
      absl::StatusOr<std::optional<LogRecord>> record = reader.next();
      if (!record.ok()) {
        EXPECT_EQ(record.status().code(), absl::StatusCode::kInternal) << record.status();
        EXPECT_FALSE(reader.ended());
        EXPECT_EQ(reader.offset(), offset_before);
        errors++;
        continue;
      }
      if (record->has_value()) txn_ids.push_back((*record)->txn_id);
    }
    EXPECT_EQ(errors, 1) << "failing call " << failing_call;
    EXPECT_EQ(txn_ids, (std::vector<TxnId>{1, 2})) << "failing call " << failing_call;
    ExpectEnd(reader, LogEnd::kEndOfFile, second_offset + LogRecordBytes(OpsOf(2)), "end of file");
  }
}

// CR-9, CR-15, CR-17 against the fault model: a recycled log whose unsynced tail was torn by a
// crash reads back as the synced records, then records each of which is, in its slot, either the
// new record or the previous cycle's one (a new record can even follow a stale one: sectors
// persist independently); never a record whose content was not written as one.
TEST(LogReaderCrashTest, CrashedRecycledLogReadsOnlyWrittenRecords) {
  constexpr int kSeeds = 300;
  constexpr int kRecordsPerCycle = 40;
  // Fixed-size records, so that a new record lies exactly over an old one of the same size.
  const auto ops_of = [](TxnId txn_id) {
    return std::vector<LogOp>{
        Put(absl::StrFormat("key-%04d", txn_id % 10000), absl::StrFormat("value-%08d", txn_id))};
  };
  int stale_seen = 0;
  int unsynced_seen = 0;
  for (uint64_t seed = 1; seed <= kSeeds; seed++) {
    vfs::SimDisk disk({.sector_size_bytes = 512, .torn_writes = true}, seed);
    Rng rng(seed);
    auto file = disk.open(kLogPath, {.create = true});
    ASSERT_TRUE(file.ok());
    ASSERT_OK(disk.sync_dir(kDirectory));
    std::vector<uint8_t> old_cycle;
    for (TxnId txn_id = 1; txn_id <= kRecordsPerCycle; txn_id++) {
      EncodeLogRecord(txn_id, ops_of(txn_id), old_cycle);
    }
    ASSERT_OK((*file)->pwrite(0, old_cycle));
    ASSERT_OK((*file)->sync());

    const int synced_count = static_cast<int>(rng.Uniform(kRecordsPerCycle / 2));
    const int unsynced_count = static_cast<int>(rng.UniformInclusive(1, kRecordsPerCycle / 2));
    std::vector<uint8_t> new_cycle;
    for (int index = 0; index < synced_count + unsynced_count; index++) {
      if (index == synced_count) {
        ASSERT_OK((*file)->pwrite(0, new_cycle));
        ASSERT_OK((*file)->sync());
      }
      EncodeLogRecord(1000 + index, ops_of(1000 + index), new_cycle);
    }
    ASSERT_OK((*file)->pwrite(0, new_cycle));
    disk.crash();

    auto reopened = disk.open(kLogPath, {});
    ASSERT_TRUE(reopened.ok());
    LogReader reader(**reopened, 0, {});
    const std::vector<LogRecord> records = ReadAll(reader);
    const uint64_t record_bytes = LogRecordBytes(ops_of(1));
    ASSERT_GE(records.size(), static_cast<size_t>(synced_count)) << "seed " << seed;
    for (size_t index = 0; index < records.size(); index++) {
      const LogRecord& record = records[index];
      EXPECT_EQ(record.offset, index * record_bytes);
      const bool is_new = index < static_cast<size_t>(synced_count + unsynced_count) &&
                          record.txn_id == 1000 + index;
      const TxnId expected_txn_id = is_new ? 1000 + index : index + 1;
      ASSERT_EQ(record.txn_id, expected_txn_id) << "seed " << seed << " record " << index;
      ASSERT_EQ(record.ops, ops_of(expected_txn_id)) << "seed " << seed << " record " << index;
      ASSERT_TRUE(is_new || index >= static_cast<size_t>(synced_count)) << "seed " << seed;
      if (!is_new) stale_seen++;
      if (is_new && index >= static_cast<size_t>(synced_count)) unsynced_seen++;
    }
  }
  // Both situations must occur, or the test checks little.
  EXPECT_GT(stale_seen, 0);
  EXPECT_GT(unsynced_seen, 0);
}

}  // namespace
}  // namespace northstar::engine
