// northstar logdump <log>: the commit records of a log file, one line each, and where and why the
// readable log ends; with --verify a verdict, and with the database's meta what recovery would do.
//
// The live records are those from the start offset up to the first break in the txn order or the
// end of the readable log. Only they are judged: the log is recycled (rewritten in place from
// offset 0 after each checkpoint), so what follows them may be bytes of an earlier cycle.
#include <algorithm>
#include <array>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format/types.h"
#include "engine/log/reader.h"
#include "engine/log/record.h"
#include "engine/log/scan.h"
#include "engine/pager.h"
#include "tools/cli.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status.h"
#include "vfs/posix.h"

namespace northstar::tools {
namespace {

using engine::LogEnd;
using engine::LogRecord;
using engine::TxnId;

constexpr CommandHelp kHelp = {
    "logdump", "  northstar logdump <log> [--ops] [--from OFFSET] [--all] [--verify] [--db DB]\n",
    "Lists the commit records of a commit log (<name>.log) from offset 0, or --from: one line\n"
    "per record with its offset, txn id, op count, size in bytes and flags (\"unsynced\":\n"
    "written without a sync); with --ops each put and delete below it (the key escaped and cut\n"
    "to 60 characters, the value size). Then where the readable log ends and why (end-of-file,\n"
    "zero-header, short-record, bad-header, bad-body). The log is recycled: after a checkpoint\n"
    "it is overwritten from offset 0, so records of an earlier cycle, with lower txn ids, may\n"
    "follow the live ones. Where the txn ids stop increasing by one the listing says so and\n"
    "stops; --all lists the rest too.\n"
    "With the database (--db, or <name>.ns beside the log when it exists) each record is also\n"
    "marked \"checkpointed\" (already in the data file) or \"replay\" (after the checkpoint:\n"
    "the next open replays it), and a last line says what recovery would do: replay N records,\n"
    "drop a torn tail, or refuse to open.\n"
    "--verify judges the live records: checksums, txn ids increasing by one, a clean end (end\n"
    "of file, never-written zeros, a record of an earlier cycle, or bytes without a record magic\n"
    "that no newer record follows), and a recovery that would not refuse. Writes nothing.\n\n"
    "Exit codes: 0 the listing was printed (with --verify: and the log is sound); 1 --verify\n"
    "found a damaged record, a txn gap, newer records past the end, or a log recovery would\n"
    "refuse, each named with its offset; 2 bad usage, a missing file, or not a commit log.\n"};

constexpr size_t kKeyCharsMax = 60;
// How far past the end of the live records --verify looks for a newer record (one that says the
// end is damage inside the log, not its tail), and in what pieces.
constexpr uint64_t kProbeBytesMax = uint64_t{64} << 20;
constexpr size_t kProbeChunkBytes = size_t{1} << 20;
constexpr size_t kMagicBytes = 4;
constexpr uint8_t kMagicFirstByte = engine::kLogMagic & 0xff;  // Little-endian: 'N'.
static_assert(kProbeChunkBytes > kMagicBytes && kMagicBytes <= engine::kLogHeaderBytes);

struct LogdumpArgs {
  std::string log_path;
  std::string db_path;  // --db; empty: <name>.ns beside the log, if it exists.
  uint64_t from_offset = 0;
  bool ops = false;
  bool all = false;
  bool verify = false;
};

std::optional<int> Parse(const Args& argv, LogdumpArgs& args) {
  int64_t from_offset = 0;
  po::options_description flags = CommonFlags();
  // clang-format off
  flags.add_options()
      ("ops", po::bool_switch(&args.ops), "list each record's puts and deletes")
      ("from", po::value(&from_offset)->value_name("OFFSET"),
       "start at this log offset (the first byte of a record)")
      ("all", po::bool_switch(&args.all), "list past the live records, the stale ones too")
      ("verify", po::bool_switch(&args.verify), "judge the log; exit 1 if it is damaged")
      ("db", po::value(&args.db_path)->value_name("DB"),
       "the log's database (default: <name>.ns beside the log)");
  // clang-format on
  po::options_description positionals;
  positionals.add_options()("log", po::value(&args.log_path));
  po::positional_options_description positional;
  positional.add("log", 1);
  po::variables_map values;
  if (auto exit_code = ParseArgs(kHelp, argv, flags, positionals, positional, values)) {
    return exit_code;
  }
  if (args.log_path.empty()) return UsageError(kHelp.name, "missing <log>");
  if (from_offset < 0 || static_cast<uint64_t>(from_offset) > vfs::kFileSizeMaxBytes) {
    return UsageError(kHelp.name, absl::StrFormat("--from %d is not a file offset", from_offset));
  }
  args.from_offset = static_cast<uint64_t>(from_offset);
  return std::nullopt;
}

// Up to a header's worth of bytes at `offset_bytes` (fewer where the file ends).
absl::StatusOr<std::vector<uint8_t>> HeadBytes(vfs::File& log, uint64_t offset_bytes) {
  std::vector<uint8_t> head(engine::kLogHeaderBytes);
  NS_ASSIGN_OR_RETURN(const size_t read_bytes, log.pread(offset_bytes, head));
  head.resize(read_bytes);
  return head;
}

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t byte) { return byte == 0; });
}

// Whether `bytes` begin as a record does (all of them, if fewer than the magic).
bool StartsWithMagic(std::span<const uint8_t> bytes) {
  std::array<uint8_t, kMagicBytes> magic;
  EncodeFixed32(magic.data(), engine::kLogMagic);
  const size_t compared = std::min(bytes.size(), magic.size());
  return std::equal(bytes.begin(), bytes.begin() + compared, magic.begin());
}

// The data file's checkpoint, and what recovery would do with the log after it.
struct Recovery {
  std::string db_path;
  engine::Meta meta;
  // DataLoss: recovery would refuse to open the database.
  absl::StatusOr<engine::LogScanResult> scan = absl::UnknownError("not scanned");

  [[nodiscard]] const char* mark(const LogRecord& record) const {
    if (record.txn_id <= meta.txn_id) return ", checkpointed";
    const bool replayed = scan.ok() && record.offset >= meta.log_position &&
                          record.offset < scan->end_offset && record.txn_id <= scan->last_txn;
    return replayed ? ", replay" : ", after the checkpoint but not replayed";
  }
};

// --db, else x.ns beside x.log if it exists; nullopt when there is none.
absl::StatusOr<std::optional<std::string>> DatabaseOf(vfs::FileSystem& fs,
                                                      const LogdumpArgs& args) {
  if (!args.db_path.empty()) return args.db_path;
  const std::string_view log_path = args.log_path;
  if (!log_path.ends_with(".log")) return std::nullopt;
  std::string db_path = std::string(log_path.substr(0, log_path.size() - 4)) + ".ns";
  NS_ASSIGN_OR_RETURN(const bool exists, fs.exists(db_path));
  if (!exists) return std::nullopt;
  return db_path;
}

absl::StatusOr<Recovery> ReadRecovery(vfs::FileSystem& fs, vfs::File& log, std::string db_path) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Pager> pager, engine::Pager::open(fs, db_path));
  Recovery recovery{.db_path = std::move(db_path), .meta = pager->meta()};
  // As recovery scans, with the format's own limits; applying nothing.
  recovery.scan =
      engine::ScanLog(log, recovery.meta.log_position, recovery.meta.txn_id + 1,
                      engine::LogLimits{}, [](const LogRecord&) { return absl::OkStatus(); });
  if (!recovery.scan.ok() && recovery.scan.status().code() != absl::StatusCode::kDataLoss) {
    return recovery.scan.status();
  }
  return recovery;
}

std::string FormatRecovery(const Recovery& recovery) {
  if (!recovery.scan.ok()) {
    return absl::StrFormat("recovery would refuse to open the database: %s",
                           recovery.scan.status().message());
  }
  const engine::LogScanResult& scan = *recovery.scan;
  std::string text = scan.records == 0
                         ? std::string("recovery would replay no record")
                         : absl::StrFormat("recovery would replay %d %s (txn %d..%d)", scan.records,
                                           scan.records == 1 ? "record" : "records",
                                           scan.last_txn - scan.records + 1, scan.last_txn);
  if (scan.dropped_tail) {
    text += absl::StrFormat(" and drop the log tail at offset %d (%s): %s", scan.end.offset,
                            engine::LogEndReasonName(scan.end.reason), scan.end.detail);
  }
  return text;
}

void PrintRecord(const LogRecord& record, bool ops, const Recovery* recovery) {
  std::cout << absl::StrFormat("offset %d: txn %d, %d %s, %d bytes%s%s\n", record.offset,
                               record.txn_id, record.ops.size(),
                               record.ops.size() == 1 ? "op" : "ops", record.record_bytes,
                               (record.flags & engine::kLogFlagUnsynced) != 0 ? ", unsynced" : "",
                               recovery != nullptr ? recovery->mark(record) : "");
  if (!ops) return;
  for (const engine::LogOp& op : record.ops) {
    const std::string key = EscapeTruncated(op.key, kKeyCharsMax);
    if (op.type == engine::LogOpType::kPut) {
      std::cout << absl::StrFormat("  put \"%s\": %d bytes\n", key, op.value.size());
    } else {
      std::cout << absl::StrFormat("  del \"%s\"\n", key);
    }
  }
}

// What the listing found. Live records run from the start offset to the first txn break.
struct Listing {
  uint64_t records = 0;  // Live ones.
  TxnId first_txn = 0;
  TxnId last_txn = 0;
  bool stale = false;              // The live records end at a record with a lower txn id.
  std::optional<std::string> gap;  // Or at one whose txn id skips ahead: a problem.
  std::optional<LogEnd> end;       // Where the readable log ends, if the listing got there.
};

// Prints a break in the txn order at `record` and records it in `listing` if it is the first.
void NoteBreak(const LogRecord& record, TxnId previous, bool all, Listing& listing) {
  const bool first = !listing.stale && !listing.gap;
  std::string what =
      absl::StrFormat("offset %d: txn %d after txn %d", record.offset, record.txn_id, previous);
  if (record.txn_id > previous) {
    what += absl::StrFormat(": a gap, txn %d..%d are missing", previous + 1, record.txn_id - 1);
    if (first) listing.gap = what;
  } else {
    what += ": the rest is stale (from before the last recycle)";
    if (first) listing.stale = true;
  }
  std::cout << absl::StrFormat("%s%s\n", first ? "" : "--- ", what);
  if (first && !all) std::cout << "(not listed; --all lists it)\n";
}

absl::StatusOr<Listing> ListRecords(vfs::File& log, const LogdumpArgs& args,
                                    const Recovery* recovery) {
  engine::LogReader reader(log, args.from_offset, engine::LogLimits{});
  Listing listing;
  std::optional<TxnId> previous;
  // Bounded: every record moves the reader forward, and the file ends.
  while (true) {
    NS_ASSIGN_OR_RETURN(std::optional<LogRecord> record, reader.next());
    if (!record) break;
    NS_ASSERT(record->offset + record->record_bytes == reader.offset());
    if (previous && record->txn_id != *previous + 1) {
      NoteBreak(*record, *previous, args.all, listing);
      if (!args.all) return listing;
    }
    previous = record->txn_id;
    if (!listing.stale && !listing.gap) {
      if (listing.records == 0) listing.first_txn = record->txn_id;
      listing.records++;
      listing.last_txn = record->txn_id;
    }
    PrintRecord(*record, args.ops, recovery);
  }
  listing.end = reader.end();
  return listing;
}

// The first record within kProbeBytesMax after `offset_bytes` whose txn id is above `txn` (and,
// if `synced_only`, written with a sync): proof that the log does not end at `offset_bytes`.
absl::StatusOr<std::optional<LogRecord>> FindNewerRecord(vfs::File& log, uint64_t offset_bytes,
                                                         TxnId txn, bool synced_only) {
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, log.size());
  const uint64_t limit = std::min(size_bytes, offset_bytes + kProbeBytesMax);
  std::vector<uint8_t> chunk(kProbeChunkBytes);
  // Chunks overlap by kMagicBytes - 1 so that no magic is missed at a seam.
  for (uint64_t start = offset_bytes + 1; start + kMagicBytes <= limit;
       start += kProbeChunkBytes - (kMagicBytes - 1)) {
    const size_t wanted = static_cast<size_t>(std::min<uint64_t>(kProbeChunkBytes, limit - start));
    NS_ASSIGN_OR_RETURN(const size_t read_bytes, log.pread(start, std::span(chunk).first(wanted)));
    for (size_t index = 0; index + kMagicBytes <= read_bytes; index++) {
      const void* hit = std::memchr(chunk.data() + index, kMagicFirstByte,
                                    read_bytes - (kMagicBytes - 1) - index);
      if (hit == nullptr) break;
      index = static_cast<size_t>(static_cast<const uint8_t*>(hit) - chunk.data());
      if (!StartsWithMagic(std::span(chunk).subspan(index, kMagicBytes))) continue;
      engine::LogReader reader(log, start + index, engine::LogLimits{});
      NS_ASSIGN_OR_RETURN(std::optional<LogRecord> record, reader.next());
      if (!record || record->txn_id <= txn) continue;
      if (!synced_only || (record->flags & engine::kLogFlagUnsynced) == 0) return record;
    }
    if (read_bytes < wanted) break;
  }
  return std::nullopt;
}

// Prints where the readable log ends; returns --verify's problems with that end.
absl::StatusOr<std::vector<std::string>> JudgeEnd(vfs::File& log, const Listing& listing,
                                                  uint64_t from_offset) {
  const LogEnd& end = *listing.end;
  std::cout << absl::StrFormat("end at offset %d: %s: %s\n", end.offset,
                               engine::LogEndReasonName(end.reason), end.detail);
  if (listing.stale || listing.gap || end.reason == LogEnd::kEndOfFile) {
    return std::vector<std::string>{};
  }
  NS_ASSIGN_OR_RETURN(const std::vector<uint8_t> head, HeadBytes(log, end.offset));
  std::vector<std::string> problems;
  if (end.reason == LogEnd::kShortRecord && AllZero(head)) {
    std::cout << "(zeros up to the end of the file: never written)\n";
  } else if (end.reason != LogEnd::kZeroHeader && !StartsWithMagic(head)) {
    std::cout << "(no record starts there: bytes from before the last recycle, or a header "
                 "destroyed beyond recognition)\n";
  } else if (end.reason != LogEnd::kZeroHeader) {
    problems.push_back(absl::StrFormat("offset %d: damaged record (%s): %s", end.offset,
                                       engine::LogEndReasonName(end.reason), end.detail));
  }
  // Unsynced records are skipped as recovery skips them (engine/log/scan.cc): they survive a
  // crash independently of each other, so one after a torn record is an ordinary crash state.
  // Without a record to compare with, only a listing from offset 0 knows that any record is
  // newer than what it found (nothing).
  if (listing.records == 0 && from_offset != 0) return problems;
  NS_ASSIGN_OR_RETURN(const std::optional<LogRecord> newer,
                      FindNewerRecord(log, end.offset, listing.last_txn, /*synced_only=*/true));
  if (newer) {
    problems.push_back(absl::StrFormat(
        "offset %d: an intact record of txn %d follows the end at offset %d: the log is "
        "damaged inside, not at its tail",
        newer->offset, newer->txn_id, end.offset));
  }
  return problems;
}

std::string FormatLiveRecords(const Listing& listing) {
  if (listing.records == 0) return "no records";
  return absl::StrFormat("%d %s (txn %d..%d)", listing.records,
                         listing.records == 1 ? "record" : "records", listing.first_txn,
                         listing.last_txn);
}

// Lists, then judges; the exit code.
absl::StatusOr<int> Dump(vfs::File& log, const LogdumpArgs& args,
                         const std::optional<Recovery>& recovery) {
  const Recovery* recovery_pointer = recovery ? &*recovery : nullptr;
  NS_ASSIGN_OR_RETURN(const Listing listing, ListRecords(log, args, recovery_pointer));
  std::vector<std::string> problems;
  if (listing.gap) problems.push_back(*listing.gap);
  if (listing.end) {
    NS_ASSIGN_OR_RETURN(std::vector<std::string> end_problems,
                        JudgeEnd(log, listing, args.from_offset));
    problems.insert(problems.end(), end_problems.begin(), end_problems.end());
  }
  std::cout << FormatLiveRecords(listing) << "\n";
  if (recovery) {
    std::cout << FormatRecovery(*recovery) << "\n";
    if (!recovery->scan.ok()) problems.push_back(std::string(recovery->scan.status().message()));
  }
  if (!args.verify) return kExitOk;
  if (problems.empty()) {
    std::cout << "verify: ok\n";
    return kExitOk;
  }
  std::cout << absl::StrFormat("verify: %d %s:\n", problems.size(),
                               problems.size() == 1 ? "problem" : "problems");
  for (const std::string& problem : problems) std::cout << problem << "\n";
  return kExitCheckFailed;
}

// InvalidArgument unless a record (or never-written zeros, or nothing) starts at the offset. At
// offset 0, an intact record further on makes a log whose first record is damaged.
absl::Status CheckIsLog(vfs::File& log, const LogdumpArgs& args) {
  NS_ASSIGN_OR_RETURN(const std::vector<uint8_t> head, HeadBytes(log, args.from_offset));
  if (AllZero(head) || StartsWithMagic(head)) return absl::OkStatus();
  if (args.from_offset != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: no commit record starts at offset %d (no record magic there)",
                        args.log_path, args.from_offset));
  }
  NS_ASSIGN_OR_RETURN(const std::optional<LogRecord> record,
                      FindNewerRecord(log, 0, 0, /*synced_only=*/false));
  if (record) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: not a Northstar commit log (no record magic at offset 0, no record after it)",
      args.log_path));
}

absl::StatusOr<std::optional<Recovery>> OpenRecovery(vfs::FileSystem& fs, vfs::File& log,
                                                     const LogdumpArgs& args) {
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> db_path, DatabaseOf(fs, args));
  if (!db_path) return std::nullopt;
  absl::StatusOr<Recovery> recovery = ReadRecovery(fs, log, *db_path);
  if (!recovery.ok() && args.db_path.empty()) {  // Found by its name only: go on without it.
    std::cout << absl::StrFormat("database %s: not used: %s\n", *db_path,
                                 recovery.status().message());
    return std::nullopt;
  }
  if (!recovery.ok()) return recovery.status();
  std::cout << absl::StrFormat(
      "database %s: checkpoint at txn %d; replay starts at log offset %d\n", recovery->db_path,
      recovery->meta.txn_id, recovery->meta.log_position);
  return *std::move(recovery);
}

absl::StatusOr<int> Run(const LogdumpArgs& args) {
  vfs::PosixFileSystem fs;
  NS_ASSIGN_OR_RETURN(const bool exists, fs.exists(args.log_path));
  if (!exists) return absl::NotFoundError(absl::StrFormat("%s: no such file", args.log_path));
  NS_ASSIGN_OR_RETURN(std::unique_ptr<vfs::File> log, fs.open(args.log_path, {}));
  NS_RETURN_IF_ERROR(CheckIsLog(*log, args));
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, log->size());
  std::cout << absl::StrFormat("log %s: %d bytes; records from offset %d\n", args.log_path,
                               size_bytes, args.from_offset);
  NS_ASSIGN_OR_RETURN(const std::optional<Recovery> recovery, OpenRecovery(fs, *log, args));
  return Dump(*log, args, recovery);
}

}  // namespace

int RunLogdump(const Args& argv) {
  LogdumpArgs args;
  if (auto exit_code = Parse(argv, args)) return *exit_code;
  const absl::StatusOr<int> exit_code = Run(args);
  if (!exit_code.ok()) return ReportError(kHelp.name, exit_code.status());
  return *exit_code;
}

}  // namespace northstar::tools
