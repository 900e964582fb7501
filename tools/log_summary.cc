#include "tools/log_summary.h"

#include <memory>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "util/status.h"

namespace northstar::tools {

absl::StatusOr<std::optional<LogSummary>> ScanPendingLog(vfs::FileSystem& fs,
                                                         const std::string& data_path,
                                                         const engine::Meta& meta) {
  LogSummary summary{.path = engine::LogPathFor(data_path)};
  NS_ASSIGN_OR_RETURN(const bool exists, fs.exists(summary.path));
  if (!exists) return std::nullopt;
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> log, fs.open(summary.path, {}));
  // The default limits, which the CLI's own Db uses too; a log written under larger limits shows
  // its larger records as bad ones here.
  NS_ASSIGN_OR_RETURN(summary.scan,
                      engine::ScanLog(*log, meta.log_position, meta.txn_id + 1, engine::LogLimits{},
                                      [](const engine::LogRecord&) { return absl::OkStatus(); }));
  return summary;
}

std::string FormatLogSummary(const std::optional<LogSummary>& log) {
  if (!log) return "log: none";
  const engine::LogScanResult& scan = log->scan;
  std::string text =
      scan.records == 0
          ? absl::StrFormat("log %s: no commit after the checkpoint", log->path)
          : absl::StrFormat(
                "log %s: %d committed records after the checkpoint (txn %d..%d), not yet in "
                "the data file (the next open replays them)",
                log->path, scan.records, scan.last_txn - scan.records + 1, scan.last_txn);
  if (scan.dropped_tail) {
    text += absl::StrFormat("; a torn tail at log offset %d (%s) that recovery drops: %s",
                            scan.end.offset, engine::LogEndReasonName(scan.end.reason),
                            scan.end.detail);
  }
  return text;
}

}  // namespace northstar::tools
