// Fuzz target: reading a whole commit log, LogReader and ScanLog (engine/log/reader.h, scan.h),
// over a file on the simulated disk.
//
// Input: the whole log file. The reader walks it from offset 0 to its end; then ScanLog walks it
// as recovery would (first txn = the first record's). Checks:
// - next() never fails (no I/O faults here) and ends within a bounded number of records;
// - records are back to back from offset 0, each re-encodes to the file's bytes at its offset;
// - the end is where offset() says and its reason matches the bytes there (end of file exactly
//   at the end; zero header: 40 zero bytes; no record: 40 bytes without the magic);
//   next() after the end keeps returning nothing;
// - ScanLog applies a prefix of those records, in txn order, and stops inside the file; or
//   refuses with DataLoss (a txn gap, or damage followed by an intact record).
// The custom mutator re-seals the CRCs of the records it can walk.
#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/log/reader.h"
#include "engine/log/record.h"
#include "engine/log/scan.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/log_mutator.h"
#include "vfs/sim_disk.h"

namespace northstar::fuzz {
namespace {

using engine::LogEnd;
using engine::LogRecord;

constexpr char kLogPath[] = "/db/fuzz.log";
// Every record is at least header + one op header + trailer bytes.
constexpr size_t kRecordBytesMin =
    engine::kLogHeaderBytes + engine::kLogOpHeaderBytes + engine::kLogTrailerBytes;

void CheckRecord(std::span<const uint8_t> log, const LogRecord& record, uint64_t expected_offset) {
  NS_ASSERT(record.offset == expected_offset);
  NS_ASSERT(record.record_bytes <= log.size() && record.offset <= log.size() - record.record_bytes);
  std::vector<uint8_t> again;
  engine::EncodeLogRecord(record.txn_id, record.ops, again, record.flags);
  NS_ASSERT_MSG(again.size() == record.record_bytes &&
                    std::equal(again.begin(), again.end(), log.begin() + record.offset),
                "a record the reader returned re-encodes to different bytes");
}

void CheckEnd(std::span<const uint8_t> log, const engine::LogReader& reader) {
  const LogEnd& end = reader.end();
  NS_ASSERT(end.offset == reader.offset());
  NS_ASSERT(end.offset <= log.size());
  const size_t left = log.size() - end.offset;
  switch (end.reason) {
    case LogEnd::kEndOfFile:
      NS_ASSERT(left == 0);
      break;
    case LogEnd::kZeroHeader:
      NS_ASSERT(left >= engine::kLogHeaderBytes);
      NS_ASSERT(std::all_of(log.begin() + end.offset,
                            log.begin() + end.offset + engine::kLogHeaderBytes,
                            [](uint8_t byte) { return byte == 0; }));
      break;
    case LogEnd::kNoRecord:
      NS_ASSERT(left >= engine::kLogHeaderBytes);
      NS_ASSERT(DecodeFixed32(log.data() + end.offset) != engine::kLogMagic);
      break;
    case LogEnd::kShortRecord:
    case LogEnd::kBadHeader:
    case LogEnd::kBadBody:
      NS_ASSERT(left > 0);
      NS_ASSERT_MSG(!end.detail.empty(), "a bad log end without a detail");
      break;
    case LogEnd::kStaleRecord:
      NS_ASSERT_MSG(false, "LogReader judged txn order");
  }
}

// Reads the whole log; returns the records.
std::vector<LogRecord> ReadAll(vfs::File& file, std::span<const uint8_t> log) {
  engine::LogReader reader(file, 0, engine::LogLimits{});
  std::vector<LogRecord> records;
  uint64_t offset = 0;
  for (size_t step = 0; step <= log.size() / kRecordBytesMin + 1; step++) {
    absl::StatusOr<std::optional<LogRecord>> record = reader.next();
    NS_ASSERT_MSG(record.ok(), record.status().ToString());
    if (!record->has_value()) break;
    CheckRecord(log, **record, offset);
    offset += (*record)->record_bytes;
    NS_ASSERT(reader.offset() == offset);
    records.push_back(std::move(**record));
  }
  NS_ASSERT_MSG(reader.ended(), "the log reader returned more records than fit in the file");
  CheckEnd(log, reader);
  const absl::StatusOr<std::optional<LogRecord>> after = reader.next();
  NS_ASSERT(after.ok() && !after->has_value());
  return records;
}

void CheckScan(vfs::File& file, std::span<const uint8_t> log,
               const std::vector<LogRecord>& records) {
  const engine::TxnId first_txn = records.empty() ? 1 : records.front().txn_id;
  size_t applied = 0;
  const auto apply = [&](const LogRecord& record) {
    NS_ASSERT(applied < records.size());
    NS_ASSERT(record.offset == records[applied].offset);
    NS_ASSERT(record.txn_id == first_txn + applied);
    NS_ASSERT(record.ops == records[applied].ops);
    applied++;
    return absl::OkStatus();
  };
  const absl::StatusOr<engine::LogScanResult> scan =
      engine::ScanLog(file, 0, first_txn, engine::LogLimits{}, apply);
  if (!scan.ok()) {
    AssertCorruption(scan.status(), "ScanLog");
    return;
  }
  NS_ASSERT(scan->records == applied);
  NS_ASSERT(scan->end_offset <= log.size());
  NS_ASSERT(applied == 0 || scan->last_txn == first_txn + applied - 1);
  NS_ASSERT(!scan->summary().empty());
}

}  // namespace
}  // namespace northstar::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar;
  const std::span<const uint8_t> log(data, size);
  vfs::SimDisk disk({}, 1);
  absl::StatusOr<std::unique_ptr<vfs::File>> file =
      disk.open(fuzz::kLogPath, {.create = true, .exclusive = true});
  NS_ASSERT_MSG(file.ok(), file.status().ToString());
  NS_ASSERT((*file)->pwrite(0, log).ok());
  const std::vector<engine::LogRecord> records = fuzz::ReadAll(**file, log);
  fuzz::CheckScan(**file, log, records);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return northstar::fuzz::MutateLogBytes(data, size, max_size, seed);
}
