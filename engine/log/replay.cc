#include "engine/log/replay.h"

namespace northstar::engine {

void ApplyLogRecord(const LogRecord& record, KeyValueMap& state) {
  for (const LogOp& op : record.ops) {
    if (op.type == LogOpType::kPut) {
      state[op.key] = op.value;
    } else {
      state.erase(op.key);
    }
  }
}

absl::StatusOr<LogScanResult> ReplayLog(vfs::File& log, uint64_t start_offset, TxnId first_txn,
                                        TxnId up_to_txn, const LogLimits& limits,
                                        KeyValueMap& state) {
  return ScanLog(log, start_offset, first_txn, limits, [&](const LogRecord& record) {
    if (record.txn_id <= up_to_txn) ApplyLogRecord(record, state);
    return absl::OkStatus();
  });
}

}  // namespace northstar::engine
