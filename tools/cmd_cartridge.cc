// northstar cartridge info|build|verify <db>: the pending_tasks_by_type cartridge beside a
// database (cartridge/, spec/cartridge_format.md), on the posix backend.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "cartridge/cartridge_file.h"
#include "cartridge/refresh.h"
#include "cartridge/verify.h"
#include "engine/db.h"
#include "tools/cli.h"
#include "util/status.h"
#include "vfs/posix.h"

namespace northstar::tools {
namespace {


constexpr CommandHelp kHelp = {
    "cartridge",
    "  northstar cartridge info <db>\n"
    "  northstar cartridge build <db>\n"
    "  northstar cartridge verify <db>\n",
    "The pending_tasks_by_type cartridge of a database <name>.ns lives beside it in\n"
    "<name>.pending_tasks_by_type.cartridge: for every task type, the ids of its pending tasks\n"
    "(a task:{id} key without claim:{id}:{agent} and completed:{id} keys), as of one commit,\n"
    "the watermark. Format and policy: spec/cartridge_format.md. Each command opens the database\n"
    "first (which replays any commits still in its log).\n"
    "info prints the cartridge's state against the database: fresh (its watermark is the\n"
    "latest commit), stale (behind), ahead (the database was replaced or restored), corrupt\n"
    "(with the field and offset that failed), unsupported-version, or absent; and, when it\n"
    "decodes, the watermark, the file size and each type with its count. Writes nothing.\n"
    "build rebuilds the cartridge from a full scan of the database at its latest commit and\n"
    "replaces the file atomically; the same database gives the same bytes.\n"
    "verify decodes the cartridge (every field, both checksums) and compares it with a fresh\n"
    "scan of the database at its watermark, byte for byte; a stale cartridge fails (it would\n"
    "never be served), and so does one whose content differs: the first difference is named.\n\n"
    "Exit codes: 0 success (info: the report was printed, whatever the state; verify: the\n"
    "cartridge is fresh and matches the database); 1 verify found a problem; 2 bad usage, or a\n"
    "database that cannot be opened (missing, corrupt), or a scan that failed.\n"};

struct CartridgeArgs {
  std::string op;
  std::string db_path;
};

std::optional<int> Parse(const Args& argv, CartridgeArgs& args) {
  po::options_description flags = CommonFlags();
  po::options_description positionals;
  positionals.add_options()("op", po::value(&args.op))("db", po::value(&args.db_path));
  po::positional_options_description positional;
  positional.add("op", 1).add("db", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, flags, positionals, positional, values)) {
    return exit_code;
  }
  if (args.op.empty()) return UsageError(kHelp.name, "missing operation: info, build or verify");
  if (args.op != "info" && args.op != "build" && args.op != "verify") {
    return UsageError(kHelp.name,
                      absl::StrFormat("unknown operation '%s': expected info, build or verify",
                                      args.op));
  }
  if (args.db_path.empty()) return UsageError(kHelp.name, "missing <db>");
  return std::nullopt;
}

void PrintTypes(const cartridge::CartridgeView& view) {
  std::cout << absl::StrFormat("types: %d, pending tasks: %d\n", view.types().size(),
                               view.id_count());
  for (std::string_view type : view.types()) {
    std::cout << absl::StrFormat("  %-32s %d\n", type, view.count(type));
  }
}

absl::Status Info(vfs::FileSystem& fs, engine::Db& db) {
  const engine::TxnId latest = db.stats().txn_id;
  const std::string path = cartridge::CartridgePathFor(db.path());
  NS_ASSIGN_OR_RETURN(const cartridge::CartridgeCheck check,
                      cartridge::CheckCartridge(fs, path, latest));
  std::cout << absl::StrFormat("cartridge %s\ndatabase %s: latest commit txn %d\nstate: %s (%s)\n",
                               path, db.path(), latest, CartridgeStateName(check.state),
                               check.reason);
  if (check.cartridge == nullptr) return absl::OkStatus();
  std::cout << absl::StrFormat("watermark: txn %d\nfile: %d bytes, format version %d\n",
                               check.cartridge->watermark_txn(), check.cartridge->file_bytes(),
                               cartridge::kCartridgeFormatVersion);
  PrintTypes(check.cartridge->view());
  return absl::OkStatus();
}

absl::Status Build(vfs::FileSystem& fs, engine::Db& db) {
  NS_ASSIGN_OR_RETURN(const cartridge::Refreshed built, cartridge::RebuildCartridge(fs, db));
  std::cout << absl::StrFormat(
      "rebuilt %s from a full scan at txn %d: %d bytes\nbefore: %s (%s)\n",
      built.cartridge->path(), built.txn, built.cartridge->file_bytes(),
      CartridgeStateName(built.found), built.reason);
  PrintTypes(built.cartridge->view());
  return absl::OkStatus();
}

absl::StatusOr<bool> Verify(vfs::FileSystem& fs, engine::Db& db) {
  NS_ASSIGN_OR_RETURN(const cartridge::VerifyResult result, cartridge::VerifyCartridge(fs, db));
  std::cout << absl::StrFormat("cartridge %s\ndatabase %s: latest commit txn %d\nstate: %s\n",
                               cartridge::CartridgePathFor(db.path()), db.path(),
                               result.database_txn, CartridgeStateName(result.state));
  if (result.compared) {
    std::cout << absl::StrFormat("compared with a scan of the database at txn %d\n",
                                 *result.watermark_txn);
  }
  std::cout << (result.ok() ? "ok" : result.finding) << "\n";
  return result.ok();
}

}  // namespace

int RunCartridge(const Args& argv) {
  CartridgeArgs args;
  if (auto exit_code = Parse(argv, args)) return *exit_code;
  vfs::PosixFileSystem fs;
  absl::StatusOr<std::unique_ptr<engine::Db>> db =
      engine::Db::open(fs, args.db_path, {.create_if_missing = false});
  if (!db.ok()) return ReportError(kHelp.name, db.status());
  if (args.op == "verify") {
    absl::StatusOr<bool> passed = Verify(fs, **db);
    if (!passed.ok()) return ReportError(kHelp.name, passed.status());
    return *passed ? kExitOk : kExitCheckFailed;
  }
  const absl::Status status = args.op == "info" ? Info(fs, **db) : Build(fs, **db);
  if (!status.ok()) return ReportError(kHelp.name, status);
  return kExitOk;
}

}  // namespace northstar::tools
