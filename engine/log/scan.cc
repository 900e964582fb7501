#include "engine/log/scan.h"

#include "absl/strings/str_format.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

// After a bad record at `bad_offset` whose header was readable: true if a good record with
// txn `next_txn` follows it, which means the damage is inside the log, not at its tail.
bool GoodRecordFollows(vfs::File& log, uint64_t bad_offset, TxnId next_txn,
                       const LogLimits& limits) {
  std::vector<uint8_t> header(kLogHeaderBytes);
  if (!vfs::ReadExact(log, bad_offset, header).ok()) return false;
  absl::StatusOr<LogRecordHeader> bad = DecodeLogHeader(header, bad_offset, limits);
  if (!bad.ok()) return false;
  LogReader reader(log, bad_offset + bad->record_bytes(), limits);
  absl::StatusOr<std::optional<LogRecord>> next = reader.next();
  // Unsynced records (kLogNoSync) survive a crash independently of each other: a torn one
  // followed by an intact one is an ordinary crash state there.
  return next.ok() && next->has_value() && (*next)->txn_id == next_txn &&
         ((*next)->flags & kLogFlagUnsynced) == 0;
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
    case LogEnd::kShortRecord:
    case LogEnd::kBadHeader:
    case LogEnd::kBadBody:
      break;
  }
  if (GoodRecordFollows(log, result.end.offset, expected + 1, limits)) {
    return absl::DataLossError(absl::StrFormat(
        "%s: log record at offset %d is corrupt (%s) but the records after it are intact: "
        "refusing to drop acknowledged commits",
        log.path(), result.end.offset, result.end.detail));
  }
  result.dropped_tail = true;
  return result;
}

}  // namespace northstar::engine
