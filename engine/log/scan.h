// ScanLog: walks the commit records that follow a checkpoint, in txn order, and decides where
// the log really ends. Shared by recovery (which applies records to the tree) and by the replay
// engine (which applies them to a plain map).
//
// From `start_offset` the records must carry txn ids first_txn, first_txn + 1, ... The scan
// stops cleanly at the end of the file, at never-written (zero) space, or at a record whose txn
// id is smaller than expected (left over from before the log was recycled). It stops at a torn,
// short or checksum-bad record too, and reports it as a dropped tail, because a commit whose
// record did not fully reach the log was never acknowledged. Two things are corruption instead
// (DataLoss, and nothing is applied past them): a record whose txn id skips ahead (a gap), and a
// bad record followed by a good record with the next txn id (damage in the middle of the log,
// not a torn tail).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/format/types.h"
#include "engine/log/reader.h"
#include "engine/log/record.h"
#include "vfs/file_system.h"

namespace northstar::engine {

struct LogScanResult {
  uint64_t records = 0;
  TxnId last_txn = 0;         // 0 when no record was applied.
  uint64_t end_offset = 0;    // Just past the last applied record: where the next append goes.
  LogEnd end;                 // Why the scan stopped.
  bool dropped_tail = false;  // A torn, short or bad record was left behind at end.offset.

  // "replayed 3 records (txn 5..7); dropped a torn record at offset 4096: <detail>"
  [[nodiscard]] std::string summary() const;
};

// Calls `apply` for each record in order; stops at the first error it returns.
[[nodiscard]] absl::StatusOr<LogScanResult> ScanLog(
    vfs::File& log, uint64_t start_offset, TxnId first_txn, const LogLimits& limits,
    const std::function<absl::Status(const LogRecord&)>& apply);

}  // namespace northstar::engine
