// northstar validate <db>: engine::Validate on the posix backend, as a summary and a problem list.
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/format/node.h"
#include "engine/validate.h"
#include "tools/cli.h"
#include "tools/log_summary.h"
#include "vfs/posix.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "validate", "  northstar validate <db> [--quiet]\n",
    "Checks both meta pages, every reachable page (checksum, structure, key order, separator\n"
    "bounds, tree height), overflow runs, the free list, and that every page of the file is\n"
    "used exactly once; then scans the commit log (<name>.log) past the checkpoint for damage\n"
    "that recovery would refuse. Prints a summary, then every problem on a line of its own\n"
    "naming the page. The data file holds the last checkpoint: commits still only in the log\n"
    "are counted, not checked. Writes nothing.\n\n"
    "Exit codes: 0 the database is consistent; 1 problems were found; 2 the file cannot be\n"
    "examined (missing, not a Northstar database, neither meta page valid) or bad usage.\n"};

std::string FillPercent(const engine::ValidationReport& report) {
  if (report.leaf_pages == 0) return "n/a (no leaves)";
  const double capacity_bytes = static_cast<double>(report.leaf_pages) *
                                engine::LeafCapacityBytes(report.meta.page_size_bytes);
  return absl::StrFormat("%.1f%%",
                         100.0 * static_cast<double>(report.leaf_bytes_used) / capacity_bytes);
}

std::string Entries(const engine::ValidationReport& report) {
  if (report.entries == report.meta.entry_count) {
    return absl::StrFormat("%d entries", report.entries);
  }
  return absl::StrFormat("%d entries in the meta, %d found in the tree", report.meta.entry_count,
                         report.entries);
}

void PrintSummary(const std::string& path, const engine::ValidationReport& report,
                  const std::string& log_summary) {
  const engine::Meta& meta = report.meta;
  std::cout << absl::StrFormat(
      "database %s\n"
      "meta: A %s, B %s; open uses %s (txn %d)\n"
      "page size %d bytes, %d pages, tree height %d, %s\n"
      "pages: %d branch, %d leaf, %d overflow, %d free-list, %d free\n"
      "average leaf fill %s\n"
      "%s\n",
      path, report.meta_a_valid ? "valid" : "INVALID", report.meta_b_valid ? "valid" : "INVALID",
      meta.txn_id % 2 == 0 ? "A" : "B", meta.txn_id, meta.page_size_bytes, meta.page_count,
      meta.tree_height, Entries(report), report.branch_pages, report.leaf_pages,
      report.overflow_pages, report.freelist_pages, report.free_pages, FillPercent(report),
      log_summary);
}

std::optional<int> Parse(const Args& argv, std::string& path, bool& quiet) {
  po::options_description flags = CommonFlags();
  flags.add_options()("quiet,q", po::bool_switch(&quiet), "print only the problems");
  po::options_description positionals;
  positionals.add_options()("db", po::value(&path));
  po::positional_options_description positional;
  positional.add("db", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, flags, positionals, positional, values)) {
    return exit_code;
  }
  if (path.empty()) return UsageError(kHelp.name, "missing <db>");
  return std::nullopt;
}

}  // namespace

int RunValidate(const Args& argv) {
  std::string path;
  bool quiet = false;
  if (auto exit_code = Parse(argv, path, quiet)) return *exit_code;
  vfs::PosixFileSystem fs;
  absl::StatusOr<engine::ValidationReport> report = engine::Validate(fs, path);
  if (!report.ok()) return ReportError(kHelp.name, report.status());
  absl::StatusOr<std::optional<LogSummary>> log = ScanPendingLog(fs, path, report->meta);
  if (!log.ok() && log.status().code() != absl::StatusCode::kDataLoss) {
    return ReportError(kHelp.name, log.status());
  }
  if (!log.ok()) report->problems.push_back(std::string(log.status().message()));
  if (!quiet) PrintSummary(path, *report, log.ok() ? FormatLogSummary(*log) : "log: CORRUPT");
  if (report->ok()) {
    if (!quiet) std::cout << "ok\n";
    return kExitOk;
  }
  if (!quiet) {
    const bool capped = report->problems.size() >= engine::kValidationProblemsMax;
    std::cout << absl::StrFormat("%s%d problems:\n", capped ? "at least " : "",
                                 report->problems.size());
  }
  for (const std::string& problem : report->problems) std::cout << problem << "\n";
  return kExitCheckFailed;
}

}  // namespace northstar::tools
