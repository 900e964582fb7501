// northstar kv <db> put|get|del|scan: one operation, one transaction, on the posix backend.
#include <cstdint>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "tools/cli.h"
#include "util/status.h"
#include "vfs/posix.h"

namespace northstar::tools {
namespace {

constexpr CommandHelp kHelp = {
    "kv",
    "  northstar kv <db> put <key> <value> [--page-size N] [--hex]\n"
    "  northstar kv <db> get <key> [--hex]\n"
    "  northstar kv <db> del <key> [--hex]\n"
    "  northstar kv <db> scan [--start K] [--end K] [--prefix P] [--reverse] [--limit N]\n"
    "                         [--values] [--hex]\n",
    "Keys and values are taken literally from the arguments, or as hex strings with --hex.\n"
    "put creates the database (and its commit log <name>.log) if it does not exist. put and\n"
    "del commit, then checkpoint, so that the data file holds the change; opening the database\n"
    "replays any commits left in the log first.\n"
    "get prints the value and a newline (in hex with --hex). scan prints one entry per line in\n"
    "key order (reverse order with --reverse): the key and, with --values, a tab and the\n"
    "value; both escaped (a byte that is not printable ASCII as \\xNN, a backslash as \\\\)\n"
    "or, with --hex, in hex. Scan bounds: keys >= --start, < --end, and starting with\n"
    "--prefix. Put \"--\" before a key that starts with '-'.\n\n"
    "Exit codes: 0 success; 1 get or del of a key that is not there (nothing on stdout,\n"
    "\"not found\" on stderr); 2 bad usage, or a database that cannot be used (missing for\n"
    "get, del and scan; not a database; corrupt).\n"};

struct KvArgs {
  std::string db_path;
  std::string op;
  Args operands;  // Decoded: bytes, not hex.
  bool hex = false;
  int64_t page_size_bytes = engine::kPageSizeDefaultBytes;
  std::optional<std::string> start, end, prefix;  // Decoded.
  bool reverse = false;
  std::optional<int64_t> limit;
  bool values = false;
};

struct OpShape {
  std::string_view name;
  size_t operands;
  std::string_view operand_names;
};
constexpr OpShape kOps[] = {
    {"put", 2, "<key> <value>"}, {"get", 1, "<key>"}, {"del", 1, "<key>"}, {"scan", 0, "no"}};

// Keys in [low, high); nullopt: unbounded.
struct ScanRange {
  std::optional<std::string> low, high;
};

// The first key after every key that starts with `prefix`; nullopt when there is none.
std::optional<std::string> PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

ScanRange RangeOf(const KvArgs& args) {
  ScanRange range{args.start, args.end};
  if (!args.prefix) return range;
  if (!range.low || *range.low < *args.prefix) range.low = args.prefix;
  const std::optional<std::string> prefix_end = PrefixEnd(*args.prefix);
  if (prefix_end && (!range.high || *prefix_end < *range.high)) range.high = prefix_end;
  return range;
}

bool InRange(std::string_view key, const ScanRange& range) {
  return (!range.low || key >= *range.low) && (!range.high || key < *range.high);
}

std::string Show(std::string_view bytes, bool hex) {
  return hex ? HexEncode(bytes) : EscapeBytes(bytes);
}

absl::Status Position(engine::Cursor& cursor, const ScanRange& range, bool reverse) {
  if (!reverse) return range.low ? cursor.seek(*range.low) : cursor.seek_first();
  if (!range.high) return cursor.seek_last();
  NS_RETURN_IF_ERROR(cursor.seek(*range.high));
  return cursor.valid() ? cursor.prev() : cursor.seek_last();
}

absl::Status Scan(engine::Db& db, const KvArgs& args) {
  const ScanRange range = RangeOf(args);
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db.begin_read());
  std::unique_ptr<engine::Cursor> cursor = txn->cursor();
  NS_RETURN_IF_ERROR(Position(*cursor, range, args.reverse));
  for (int64_t count = 0; cursor->valid() && (!args.limit || count < *args.limit); count++) {
    if (!InRange(cursor->key(), range)) break;
    std::string line = Show(cursor->key(), args.hex);
    if (args.values) {
      NS_ASSIGN_OR_RETURN(const std::string value, cursor->value());
      line += "\t" + Show(value, args.hex);
    }
    std::cout << line << "\n";
    NS_RETURN_IF_ERROR(args.reverse ? cursor->prev() : cursor->next());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Get(engine::Db& db, const KvArgs& args) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::ReadTxn> txn, db.begin_read());
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> value, txn->get(args.operands[0]));
  if (!value) return false;
  std::cout << (args.hex ? HexEncode(*value) : *value) << "\n";
  return true;
}

// Folds the commit (durable in the log already) into the data file, so that the data file alone
// holds every change the command made: validate and dump read only the data file.
absl::Status Checkpoint(engine::Db& db) {
  const absl::Status status = db.checkpoint();
  if (status.ok()) return status;
  return absl::Status(
      status.code(),
      absl::StrFormat("committed (durable in the log), but the checkpoint failed: %s",
                      status.message()));
}

absl::Status Put(engine::Db& db, const KvArgs& args) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db.begin_write());
  NS_RETURN_IF_ERROR(txn->put(args.operands[0], args.operands[1]));
  NS_RETURN_IF_ERROR(txn->commit());
  return Checkpoint(db);
}

absl::StatusOr<bool> Del(engine::Db& db, const KvArgs& args) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::WriteTxn> txn, db.begin_write());
  NS_ASSIGN_OR_RETURN(const bool found, txn->del(args.operands[0]));
  if (!found) {
    txn->abort();
    return false;
  }
  NS_RETURN_IF_ERROR(txn->commit());
  NS_RETURN_IF_ERROR(Checkpoint(db));
  return true;
}

// Runs the operation; false when get or del found no such key.
absl::StatusOr<bool> RunOp(const KvArgs& args) {
  vfs::PosixFileSystem fs;
  const engine::DbOptions options = {
      .page_size_bytes = static_cast<uint32_t>(args.page_size_bytes),
      .create_if_missing = args.op == "put",
  };
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Db> db, engine::Db::open(fs, args.db_path, options));
  if (args.op == "get") return Get(*db, args);
  if (args.op == "del") return Del(*db, args);
  NS_RETURN_IF_ERROR(args.op == "put" ? Put(*db, args) : Scan(*db, args));
  return true;
}

// Decodes the hex arguments in place when --hex.
absl::Status DecodeHex(KvArgs& args) {
  if (!args.hex) return absl::OkStatus();
  for (size_t index = 0; index < args.operands.size(); index++) {
    NS_ASSIGN_OR_RETURN(args.operands[index],
                        HexDecode(args.operands[index], index == 0 ? "key" : "value"));
  }
  for (const auto& [bound, name] :
       {std::pair{&args.start, "--start"}, std::pair{&args.end, "--end"},
        std::pair{&args.prefix, "--prefix"}}) {
    if (*bound) {
      NS_ASSIGN_OR_RETURN(*bound, HexDecode(**bound, name));
    }
  }
  return absl::OkStatus();
}

// A usage problem in parsed arguments, or "" if none.
std::string CheckShape(const KvArgs& args) {
  if (args.db_path.empty()) return "missing <db>";
  if (args.op.empty()) return "missing operation: put, get, del or scan";
  for (const OpShape& shape : kOps) {
    if (shape.name != args.op) continue;
    if (args.operands.size() != shape.operands) {
      return absl::StrFormat("%s takes %s arguments, got %d", shape.name, shape.operand_names,
                             args.operands.size());
    }
    const bool scan_flags =
        args.start || args.end || args.prefix || args.reverse || args.limit || args.values;
    if (scan_flags && args.op != "scan") {
      return "--start, --end, --prefix, --reverse, --limit and --values apply to scan only";
    }
    if (args.limit && *args.limit < 0) return "--limit must not be negative";
    if (args.page_size_bytes < 0 || args.page_size_bytes > std::numeric_limits<uint32_t>::max()) {
      return absl::StrFormat("--page-size %d is not a page size", args.page_size_bytes);
    }
    return "";
  }
  return absl::StrFormat("unknown operation '%s': expected put, get, del or scan", args.op);
}

template <typename T>
std::optional<T> Optional(const po::variables_map& values, const char* name) {
  if (values.count(name) == 0) return std::nullopt;
  return values[name].as<T>();
}

// Parses argv into `args`; an exit code when the command must stop now.
std::optional<int> Parse(const Args& argv, KvArgs& args) {
  po::options_description flags = CommonFlags();
  // clang-format off
  flags.add_options()
      ("hex", po::bool_switch(&args.hex), "keys, values and scan bounds in hex, in and out")
      ("page-size", po::value(&args.page_size_bytes)->default_value(args.page_size_bytes)
                        ->value_name("N"), "page size in bytes, when put creates the database")
      ("start", po::value<std::string>()->value_name("K"), "scan: first key (inclusive)")
      ("end", po::value<std::string>()->value_name("K"), "scan: end key (exclusive)")
      ("prefix", po::value<std::string>()->value_name("P"), "scan: only keys starting with this")
      ("reverse", po::bool_switch(&args.reverse), "scan: in descending key order")
      ("limit", po::value<int64_t>()->value_name("N"), "scan: print at most N entries")
      ("values", po::bool_switch(&args.values), "scan: print values too");
  // clang-format on
  po::options_description positionals;
  // clang-format off
  positionals.add_options()
      ("db", po::value(&args.db_path))
      ("op", po::value(&args.op))
      ("operands", po::value(&args.operands));
  // clang-format on
  po::positional_options_description positional;
  positional.add("db", 1).add("op", 1).add("operands", -1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, flags, positionals, positional, values)) {
    return exit_code;
  }
  args.start = Optional<std::string>(values, "start");
  args.end = Optional<std::string>(values, "end");
  args.prefix = Optional<std::string>(values, "prefix");
  args.limit = Optional<int64_t>(values, "limit");
  if (const std::string problem = CheckShape(args); !problem.empty()) {
    return UsageError(kHelp.name, problem);
  }
  return std::nullopt;
}

}  // namespace

int RunKv(const Args& argv) {
  KvArgs args;
  if (auto exit_code = Parse(argv, args)) return *exit_code;
  if (absl::Status status = DecodeHex(args); !status.ok()) {
    return UsageError(kHelp.name, std::string(status.message()));
  }
  absl::StatusOr<bool> found = RunOp(args);
  if (!found.ok()) return ReportError(kHelp.name, found.status());
  if (!*found) {
    std::cerr << absl::StrFormat("northstar kv: %s: not found\n", Show(args.operands[0], args.hex));
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace northstar::tools
