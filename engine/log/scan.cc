#include "engine/log/scan.h"

#include "absl/strings/str_format.h"
#include "util/coding.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

constexpr size_t kSearchChunkBytes = 1 << 20;

// True if an intact, synced record with txn `next_txn` lies after the end `end` of the readable
// log: then the end is damage inside the log (rot in a header or body), not a torn tail, and
// commits after it were acknowledged. Unsynced records (kLogNoSync) survive a crash
// independently of each other, so they prove nothing and are skipped.
//
// When the bad record's header is intact, its length says exactly where the next record starts:
// look only there (a search would also look inside the bad record's own payload, whose user
// value may hold anything, even an encoded record). Without a usable header, search forward.
absl::StatusOr<bool> SyncedRecordFollows(vfs::File& log, const LogEnd& end, TxnId next_txn,
                                         const LogLimits& limits) {
  auto proves_damage = [&](const std::optional<LogRecord>& record) {
    return record && record->txn_id == next_txn && (record->flags & kLogFlagUnsynced) == 0;
  };
  std::vector<uint8_t> header(kLogHeaderBytes);
  NS_ASSIGN_OR_RETURN(const size_t header_bytes, log.pread(end.offset, header));
  if (header_bytes == kLogHeaderBytes) {
    absl::StatusOr<LogRecordHeader> bad = DecodeLogHeader(header, end.offset, limits);
    if (bad.ok()) {
      LogReader reader(log, end.offset + bad->record_bytes(), limits);
      NS_ASSIGN_OR_RETURN(std::optional<LogRecord> record, reader.next());
      return proves_damage(record);
    }
  }
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, log.size());
  for (uint64_t base = end.offset + 1; base < size_bytes; base += kSearchChunkBytes) {
    std::vector<uint8_t> chunk(
        std::min<uint64_t>(kSearchChunkBytes + sizeof(kLogMagic), size_bytes - base));
    NS_ASSIGN_OR_RETURN(const size_t read_bytes, log.pread(base, chunk));
    for (size_t index = 0; index + sizeof(kLogMagic) <= read_bytes && index < kSearchChunkBytes;
         index++) {
      if (DecodeFixed32(chunk.data() + index) != kLogMagic) continue;
      LogReader reader(log, base + index, limits);
      NS_ASSIGN_OR_RETURN(std::optional<LogRecord> record, reader.next());
      if (proves_damage(record)) return true;
    }
  }
  return false;
}

}  // namespace

std::string LogScanResult::summary() const {
  std::string text = records == 0 ? "replayed no record"
                                  : absl::StrFormat("replayed %d records (txn %d..%d)", records,
                                                    last_txn - records + 1, last_txn);
  if (dropped_tail) {
    text += absl::StrFormat("; dropped the log tail at offset %d (%s): %s", end.offset,
                            LogEndReasonName(end.reason), end.detail);
  }
  return text;
}

absl::StatusOr<LogScanResult> ScanLog(vfs::File& log, uint64_t start_offset, TxnId first_txn,
                                      const LogLimits& limits,
                                      const std::function<absl::Status(const LogRecord&)>& apply) {
  LogScanResult result;
  result.end_offset = start_offset;
  LogReader reader(log, start_offset, limits);
  TxnId expected = first_txn;
  while (true) {
    NS_ASSIGN_OR_RETURN(std::optional<LogRecord> record, reader.next());
    if (!record) break;
    if (record->txn_id < expected) {
      // Left over from before the last recycle: the log ends here.
      result.end = LogEnd{LogEnd::kStaleRecord, record->offset,
                          absl::StrFormat("txn %d, expected %d", record->txn_id, expected)};
      return result;
    }
    if (record->txn_id > expected) {
      return absl::DataLossError(absl::StrFormat(
          "%s: log record at offset %d has txn %d, but txn %d was expected: commits are missing",
          log.path(), record->offset, record->txn_id, expected));
    }
    NS_RETURN_IF_ERROR(apply(*record));
    result.records++;
    result.last_txn = record->txn_id;
    result.end_offset = record->offset + record->record_bytes;
    expected++;
  }
  result.end = reader.end();
  switch (result.end.reason) {
    case LogEnd::kEndOfFile:
    case LogEnd::kZeroHeader:
    case LogEnd::kStaleRecord:
      return result;
    case LogEnd::kNoRecord:
    case LogEnd::kShortRecord:
    case LogEnd::kBadHeader:
    case LogEnd::kBadBody:
      break;
  }
  NS_ASSIGN_OR_RETURN(const bool damaged,
                      SyncedRecordFollows(log, result.end, expected + 1, limits));
  if (damaged) {
    return absl::DataLossError(absl::StrFormat(
        "%s: log record at offset %d is corrupt (%s) but the records after it are intact: "
        "refusing to drop acknowledged commits",
        log.path(), result.end.offset, result.end.detail));
  }
  // Bytes that do not start a record end the log cleanly (leftovers of an older cycle); a
  // record that starts but fails its checks is an unacknowledged commit's torn record.
  result.dropped_tail = result.end.reason != LogEnd::kNoRecord;
  return result;
}

}  // namespace northstar::engine
