// LogReader: reads commit records (engine/log/record.h) one after another from a log file.
//
// The log is preallocated and recycled: after the last real record there may be zeros (never
// written space), a record cut short by a crash, torn or rotten bytes, or whole records of an
// earlier cycle. The reader stops at the first thing that is not a well-formed record and says
// precisely why (LogEnd); it does not judge txn order: a well-formed stale record is returned
// like any other, and recovery decides what to replay.
//
// next() costs at most two preads per record (header, then payload and trailer), plus a size()
// when a record reaches past the file size last seen. A record's size is bounded by
// kLogRecordBytesMax before anything is allocated for it (a larger header is a bad header), and
// a record that would run past the end of the file is a short record, also before allocation.
//
// Error statuses from next() are I/O errors of the file only (bad bytes end the log instead);
// after one the reader has not moved, and next() may be called again to retry.
//
// Not thread-safe. The file must outlive the reader.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/format/types.h"
#include "engine/log/record.h"
#include "vfs/file_system.h"

namespace northstar::engine {

struct LogRecord {
  uint64_t offset = 0;  // Of the record's first byte in the log.
  TxnId txn_id = 0;
  uint16_t flags = 0;  // kLogFlagUnsynced: written without a sync.
  std::vector<LogOp> ops;
  uint64_t record_bytes = 0;
};

// Why the readable log ended, and where: `offset` is where the first unreadable record starts
// (equal to LogReader::offset()).
struct LogEnd {
  enum Reason {
    kEndOfFile,    // The file ends exactly at `offset`.
    kZeroHeader,   // The 40 header bytes at `offset` are all zero: preallocated, never written.
    kShortRecord,  // The file ends inside the record (or inside its header) at `offset`.
    kNoRecord,     // No record magic at `offset`: not a record start (usually the leftovers of
                   // an older log cycle after the live records, or a header torn at its start).
    kBadHeader,    // The header has the magic but failed a check; `detail` is the message.
    kBadBody,      // The payload or trailer failed a check; `detail` is the DataLoss message.
    // Never set by LogReader (it does not judge txn order): for callers that do, such as a
    // recovery scan stopping at a well-formed record of an earlier log cycle.
    kStaleRecord,
  };
  Reason reason = kEndOfFile;
  uint64_t offset = 0;
  std::string detail;
};

// "end-of-file", "zero-header", "short-record", "no-record", "bad-header", "bad-body",
// "stale-record".
[[nodiscard]] const char* LogEndReasonName(LogEnd::Reason reason);

class LogReader {
 public:
  // Reads from `start_offset` (<= vfs::kFileSizeMaxBytes) on. `limits` must be at least as large
  // as the writer's (see record.h).
  LogReader(vfs::File& file, uint64_t start_offset, LogLimits limits);
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // The next record, or nullopt once the readable log has ended (then and on every later call;
  // see end()). An error status only for an I/O error.
  [[nodiscard]] absl::StatusOr<std::optional<LogRecord>> next();

  // The position right after the last record returned (start_offset before the first).
  [[nodiscard]] uint64_t offset() const { return offset_; }
  [[nodiscard]] bool ended() const { return end_.has_value(); }
  // Precondition: ended().
  [[nodiscard]] const LogEnd& end() const;

 private:
  // Ends the log at offset_ and returns nullopt.
  std::optional<LogRecord> finish(LogEnd::Reason reason, std::string detail);
  // Reads up to out.size() bytes at `offset_bytes`; fewer only where the file ends.
  [[nodiscard]] absl::StatusOr<size_t> read(uint64_t offset_bytes, std::span<uint8_t> out);
  // Whether the file, as far as its current size says, holds [offset_, offset_ + record_bytes).
  [[nodiscard]] absl::StatusOr<bool> record_fits(uint64_t record_bytes);

  vfs::File& file_;
  const LogLimits limits_;
  uint64_t offset_;
  // The file size last seen; refreshed only when a record reaches past it.
  uint64_t file_size_bytes_ = 0;
  std::optional<LogEnd> end_;
};

}  // namespace northstar::engine
