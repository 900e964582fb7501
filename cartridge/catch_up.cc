#include "cartridge/catch_up.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "engine/log/reader.h"
#include "engine/log/scan.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

// Returned by the scan callback once the target's record is applied, to stop there: never
// escapes this file.
constexpr char kReachedTarget[] = "cartridge catch-up: reached the target txn";

bool IsReachedTarget(const absl::Status& status) {
  return absl::IsCancelled(status) && status.message() == kReachedTarget;
}

// The txn id of the log's first record, or an error saying why there is none.
absl::StatusOr<engine::TxnId> FirstTxnOfLog(vfs::File& log, const engine::LogLimits& limits) {
  engine::LogReader reader(log, 0, limits);
  NS_ASSIGN_OR_RETURN(const std::optional<engine::LogRecord> first, reader.next());
  if (!first) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s holds no record (%s at offset 0)", log.path(), engine::LogEndReasonName(reader.end().reason)));
  }
  return first->txn_id;
}

}  // namespace

absl::StatusOr<TouchedIds> TouchedIdsFromLog(vfs::FileSystem& fs, const std::string& log_path,
                                             engine::TxnId after_txn, engine::TxnId up_to_txn,
                                             const engine::LogLimits& limits, uint64_t records_max) {
  NS_ASSERT(after_txn < up_to_txn);
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> log, fs.open(log_path, {}));
  NS_ASSIGN_OR_RETURN(const engine::TxnId first_txn, FirstTxnOfLog(*log, limits));
  if (first_txn > after_txn + 1) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s starts at txn %d: the commits from txn %d on are no longer in it", log_path,
        first_txn, after_txn + 1));
  }
  if (up_to_txn - first_txn + 1 > records_max) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s would have to be read from txn %d to txn %d: %d records, more than the limit of %d",
        log_path, first_txn, up_to_txn, up_to_txn - first_txn + 1, records_max));
  }
  TouchedIds touched;
  const absl::StatusOr<engine::LogScanResult> scan =
      engine::ScanLog(*log, 0, first_txn, limits, [&](const engine::LogRecord& record) {
        touched.records_read++;
        if (record.txn_id <= after_txn) return absl::OkStatus();
        for (const engine::LogOp& op : record.ops) {
          if (const std::optional<uint64_t> id = apps::task_keys::TaskIdOfKey(op.key)) {
            touched.ids.push_back(*id);
          }
        }
        touched.records_applied++;
        return record.txn_id == up_to_txn ? absl::CancelledError(kReachedTarget)
                                          : absl::OkStatus();
      });
  if (scan.ok()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s ends before txn %d (%s at offset %d, after txn %d)", log_path, up_to_txn,
        engine::LogEndReasonName(scan->end.reason), scan->end.offset, scan->last_txn));
  }
  if (!IsReachedTarget(scan.status())) return scan.status();
  NS_ASSERT(touched.records_applied == up_to_txn - after_txn);
  std::sort(touched.ids.begin(), touched.ids.end());
  touched.ids.erase(std::unique(touched.ids.begin(), touched.ids.end()), touched.ids.end());
  return touched;
}

}  // namespace northstar::cartridge
