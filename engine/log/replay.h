// The replay engine: rebuilds key-value state from the commit log, for time travel and for the
// simulator's checkers (which compare a recovered database with the state after each commit).
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "engine/log/scan.h"

namespace northstar::engine {

using KeyValueMap = std::map<std::string, std::string>;

// Applies the records from `start_offset` (txn ids first_txn, first_txn + 1, ...) with txn id
// <= up_to_txn to `state`, which holds the state as of first_txn - 1. In a log kept whole
// (DbOptions::recycle_log = false), start_offset 0 and first_txn 1 over an empty state rebuild
// the state as of any txn id.
[[nodiscard]] absl::StatusOr<LogScanResult> ReplayLog(vfs::File& log, uint64_t start_offset,
                                                      TxnId first_txn, TxnId up_to_txn,
                                                      const LogLimits& limits, KeyValueMap& state);

// Applies one record's operations to `state`.
void ApplyLogRecord(const LogRecord& record, KeyValueMap& state);

}  // namespace northstar::engine
