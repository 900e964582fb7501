// northstar dump <db> [--page N [--raw]]: the meta pages and the tree, or one page.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format/types.h"
#include "tools/cli.h"
#include "tools/dump.h"
#include "tools/log_summary.h"
#include "util/status.h"
#include "vfs/posix.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "dump",
    "  northstar dump <db>\n"
    "  northstar dump <db> --page N [--raw]\n",
    "Without --page: both meta pages (fields, validity, which one open uses), the commit log\n"
    "past the checkpoint (records not yet in the data file, which the tree does not show),\n"
    "then the chosen meta's tree depth first (each page's id, type, txn and entry or key\n"
    "count; its keys, escaped and cut to 40 characters; children and overflow runs), then the\n"
    "free-list chain.\n"
    "With --page N: that page in detail: header fields and every slot (offset, key, value size\n"
    "or overflow page, child), an overflow page's next link and chunk size, a free-list page's\n"
    "ids. Pages 0 and 1 are the meta pages A and B. Every page is verified first; with --raw\n"
    "the page's bytes are hexdumped instead, unchecked, which works on a corrupt page too.\n\n"
    "Exit codes: 0 success; 2 bad usage, a file that is not a database, or a corrupt page or\n"
    "log (named on stderr).\n"};

struct DumpArgs {
  std::string db_path;
  std::optional<int64_t> page;
  bool raw = false;
};

std::optional<int> Parse(const Args& argv, DumpArgs& args) {
  po::options_description flags = CommonFlags();
  // clang-format off
  flags.add_options()
      ("page", po::value<int64_t>()->value_name("N"), "dump only page N, in detail")
      ("raw", po::bool_switch(&args.raw), "with --page: hexdump the bytes, unchecked");
  // clang-format on
  po::options_description positionals;
  positionals.add_options()("db", po::value(&args.db_path));
  po::positional_options_description positional;
  positional.add("db", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, flags, positionals, positional, values)) {
    return exit_code;
  }
  if (values.count("page") != 0) args.page = values["page"].as<int64_t>();
  if (args.db_path.empty()) return UsageError(kHelp.name, "missing <db>");
  if (args.raw && !args.page) return UsageError(kHelp.name, "--raw needs --page N");
  if (args.page && (*args.page < 0 || static_cast<uint64_t>(*args.page) >= engine::kPageCountMax)) {
    return UsageError(kHelp.name, absl::StrFormat("--page %d is not a page id", *args.page));
  }
  return std::nullopt;
}

// Both metas as read at the chosen meta's page size; the same choice as engine::ReadBestMeta.
absl::StatusOr<engine::Meta> PrintMetas(vfs::File& file) {
  NS_ASSIGN_OR_RETURN(const engine::Meta best, engine::ReadBestMeta(file));
  std::vector<absl::StatusOr<engine::Meta>> metas;
  for (engine::PageId slot : {engine::kMetaPageA, engine::kMetaPageB}) {
    metas.push_back(ReadMetaSlot(file, slot, best.page_size_bytes));
  }
  const bool chosen_b = metas[1].ok() && (!metas[0].ok() || metas[1]->txn_id > metas[0]->txn_id);
  for (size_t index = 0; index < metas.size(); index++) {
    const char* name = index == 0 ? "A" : "B";
    if (!metas[index].ok()) {
      std::cout << absl::StrFormat("meta %s (page %d): INVALID: %s\n", name, index,
                                   metas[index].status().message());
      continue;
    }
    const bool chosen = chosen_b == (index == 1);
    std::cout << absl::StrFormat("meta %s (page %d): valid%s, %s\n", name, index,
                                 chosen ? ", chosen" : "", FormatMeta(*metas[index]));
  }
  return best;
}

// The log line; false (reported) if the log is damaged.
bool PrintLog(vfs::FileSystem& fs, const std::string& path, const engine::Meta& meta) {
  absl::StatusOr<std::optional<LogSummary>> log = ScanPendingLog(fs, path, meta);
  if (!log.ok()) {
    std::cout << "log: CORRUPT (see stderr)\n";
    return ReportError(kHelp.name, log.status()) == kExitOk;
  }
  std::cout << FormatLogSummary(*log) << "\n";
  return true;
}

int DumpDatabase(vfs::FileSystem& fs, const std::string& path) {
  absl::StatusOr<std::unique_ptr<vfs::File>> file = fs.open(path, {});
  if (!file.ok()) return ReportError(kHelp.name, file.status());
  absl::StatusOr<engine::Meta> meta = PrintMetas(**file);
  if (!meta.ok()) return ReportError(kHelp.name, meta.status());
  const bool log_ok = PrintLog(fs, path, *meta);
  absl::StatusOr<std::unique_ptr<engine::Pager>> pager = engine::Pager::open(fs, path);
  if (!pager.ok()) return ReportError(kHelp.name, pager.status());
  const bool tree_ok = DumpTree(**pager);
  return log_ok && tree_ok ? kExitOk : kExitBadInput;
}

}  // namespace

absl::StatusOr<engine::Meta> ReadMetaSlot(vfs::File& file, engine::PageId slot,
                                          uint32_t page_size_bytes) {
  std::vector<uint8_t> page(page_size_bytes);
  NS_RETURN_IF_ERROR(vfs::ReadExact(file, slot * page_size_bytes, page));
  return engine::DecodeMeta(page, slot);
}

std::string FormatMeta(const engine::Meta& meta) {
  return absl::StrFormat(
      "txn %d, page size %d, height %d, root %d, %d pages, %d entries, free-list head %d, "
      "log position %d, options 0x%x",
      meta.txn_id, meta.page_size_bytes, meta.tree_height, meta.root, meta.page_count,
      meta.entry_count, meta.freelist_head, meta.log_position, meta.options);
}

int RunDump(const Args& argv) {
  DumpArgs args;
  if (auto exit_code = Parse(argv, args)) return *exit_code;
  vfs::PosixFileSystem fs;
  if (args.page) {
    return DumpPage(fs, args.db_path, static_cast<engine::PageId>(*args.page), args.raw);
  }
  return DumpDatabase(fs, args.db_path);
}

}  // namespace northstar::tools
