// The commit log as `validate` and `dump` report it. Both read the data file, which holds the
// state of the last checkpoint; commits after it live only in the log `<name>.log` until the
// next open replays them. This scans those records (applying nothing) so that the report says
// how far the log reaches past the data file, and whether it is damaged.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/format/meta.h"
#include "engine/log/scan.h"
#include "vfs/file_system.h"

namespace northstar::tools {

struct LogSummary {
  std::string path;
  engine::LogScanResult scan;
};

// The records after `meta`'s checkpoint in the log of the database at `data_path`; nullopt when
// there is no log file. DataLoss when the log is corrupt in a way recovery refuses (a gap in the
// txn ids, damage followed by intact records); other errors are I/O errors.
[[nodiscard]] absl::StatusOr<std::optional<LogSummary>> ScanPendingLog(vfs::FileSystem& fs,
                                                                       const std::string& data_path,
                                                                       const engine::Meta& meta);

// "log x.log: 3 committed records after the checkpoint (txn 5..7), replayed by the next open",
// or "log: none", with the dropped tail if any.
[[nodiscard]] std::string FormatLogSummary(const std::optional<LogSummary>& log);

}  // namespace northstar::tools
