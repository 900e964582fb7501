// Incremental catch-up: which tasks the commits after a cartridge's watermark touched, read from
// the commit log (engine/log/scan.h), so that only those tasks are looked up again
// (ApplyTouchedIds) instead of scanning the whole base data.
//
// The log holds the commits since the last checkpoint (more when engine::DbOptions::recycle_log is
// false), starting at offset 0. The scan starts there, at whatever txn the first record has, and
// engine::ScanLog checks that the txn ids then run on without a gap; records up to the watermark are
// skipped. When the log does not reach back to the watermark (a checkpoint recycled it, or the
// database has no log: kMetaFlip), or does not reach forward to the target, catch-up is
// impossible and the caller rebuilds instead: the error says which, and why.
//
// Reading a log that the database's writer appends to at the same time is safe: the scan stops
// right after the target's record (committed, so complete), and any record it meets torn or
// overwritten by a concurrent recycle fails its CRC or txn-order check, which ends the catch-up
// with an error (then a rebuild), never with a wrong id set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/format/types.h"
#include "engine/log/record.h"
#include "vfs/file_system.h"

namespace northstar::cartridge {

struct TouchedIds {
  std::vector<uint64_t> ids;  // Ascending, unique.
  uint64_t records_read = 0;  // Including those skipped up to the watermark.
  uint64_t records_applied = 0;
};

// The ids of the task:, claim: and completed: keys put or deleted by commits (after_txn,
// up_to_txn], from the log at `log_path`. Precondition: after_txn < up_to_txn. Errors
// (FailedPrecondition, or the log's own errors) when the log does not hold every one of those
// commits, or holds more than `records_max` records from its start to up_to_txn.
[[nodiscard]] absl::StatusOr<TouchedIds> TouchedIdsFromLog(vfs::FileSystem& fs,
                                                           const std::string& log_path,
                                                           engine::TxnId after_txn, engine::TxnId up_to_txn,
                                                           const engine::LogLimits& limits,
                                                           uint64_t records_max);

}  // namespace northstar::cartridge
