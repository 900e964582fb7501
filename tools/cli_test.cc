// End-to-end tests of the `northstar` binary: each test runs it with popen() on a temporary
// directory and checks stdout, stderr and the exit code.
#include "tools/cli.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/db.h"
#include "engine/log/reader.h"
#include "engine/pager.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "gtest/gtest.h"
#include "torture/torture.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar::tools {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ShellQuote(std::string_view arg) {
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class CliTest : public ::testing::Test {
 protected:
  std::string db() const { return dir_.path() + "/test.ns"; }

  Result Run(const std::vector<std::string>& args) {
    std::string command = ShellQuote(NORTHSTAR_CLI_PATH);
    for (const std::string& arg : args) command += " " + ShellQuote(arg);
    const std::string err_path = dir_.path() + "/stderr.txt";
    command += " 2>" + ShellQuote(err_path);
    FILE* pipe = popen(command.c_str(), "r");
    NS_ASSERT(pipe != nullptr);
    Result result;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = ReadWholeFile(err_path);
    return result;
  }

  Result Kv(std::vector<std::string> args) {
    args.insert(args.begin(), {"kv", db()});
    return Run(args);
  }

  // A database of `count` keys "key00000".. with 100-byte values, written through the engine by
  // `commits` commits of all the keys, then checkpointed unless `checkpoint` is false (then the
  // commits stay in the log only).
  void Fill(int count, uint32_t page_size_bytes, bool checkpoint = true, int commits = 1) {
    vfs::PosixFileSystem fs;
    ASSERT_OK_AND_ASSIGN(auto database,
                         engine::Db::open(fs, db(), {.page_size_bytes = page_size_bytes}));
    for (int commit = 0; commit < commits; commit++) {
      ASSERT_OK_AND_ASSIGN(auto txn, database->begin_write());
      for (int index = 0; index < count; index++) {
        ASSERT_OK(txn->put(absl::StrFormat("key%05d", index), std::string(100, 'v')));
      }
      ASSERT_OK(txn->commit());
    }
    if (checkpoint) ASSERT_OK(database->checkpoint());
  }

  engine::Meta ReadMeta() {
    vfs::PosixFileSystem fs;
    auto pager = engine::Pager::open(fs, db());
    NS_ASSERT_MSG(pager.ok(), pager.status().ToString());
    return (*pager)->meta();
  }

  void FlipByte(uint64_t offset_bytes) { FlipByteOf(db(), offset_bytes); }

  static void FlipByteOf(const std::string& path, uint64_t offset_bytes) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset_bytes));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x40);
    file.seekp(static_cast<std::streamoff>(offset_bytes));
    file.write(&byte, 1);
    ASSERT_TRUE(file.good());
  }

  std::string log() const { return engine::LogPathFor(db()); }

  // Commit c puts "tmp<c>", puts "key<c>" with a value of `value_bytes`, and deletes "tmp<c>":
  // a 3-op record whose size depends only on the digits of c and on value_bytes.
  static void Commit(engine::Db& database, int commit, size_t value_bytes) {
    ASSERT_OK_AND_ASSIGN(auto txn, database.begin_write());
    ASSERT_OK(txn->put(absl::StrFormat("tmp%d", commit), "x"));
    ASSERT_OK(txn->put(absl::StrFormat("key%d", commit), std::string(value_bytes, 'v')));
    ASSERT_OK_AND_ASSIGN(const bool removed, txn->del(absl::StrFormat("tmp%d", commit)));
    ASSERT_TRUE(removed);
    ASSERT_OK(txn->commit());
  }

  // Commits 1..`commits` (10-byte values) that stay in the log: no checkpoint, except right
  // after commit `checkpoint_after` if it is not 0, which recycles the log; commits after it
  // overwrite the log from offset 0 with values of `value_bytes_later`.
  void CommitToLog(int commits, int checkpoint_after = 0, size_t value_bytes_later = 10) {
    vfs::PosixFileSystem fs;
    ASSERT_OK_AND_ASSIGN(auto database,
                         engine::Db::open(fs, db(), {.checkpoint_log_bytes = uint64_t{1} << 40}));
    for (int commit = 1; commit <= commits; commit++) {
      const bool later = checkpoint_after != 0 && commit > checkpoint_after;
      ASSERT_NO_FATAL_FAILURE(Commit(*database, commit, later ? value_bytes_later : 10));
      if (commit == checkpoint_after) ASSERT_OK(database->checkpoint());
    }
  }  // Destroyed without a checkpoint.

  // The records LogReader reads from offset 0, up to the end of the readable log.
  std::vector<engine::LogRecord> ReadLog() const {
    vfs::PosixFileSystem fs;
    absl::StatusOr<std::unique_ptr<vfs::File>> file = fs.open(log(), {});
    NS_ASSERT_MSG(file.ok(), file.status().ToString());
    engine::LogReader reader(**file, 0, engine::LogLimits{});
    std::vector<engine::LogRecord> records;
    while (true) {
      absl::StatusOr<std::optional<engine::LogRecord>> record = reader.next();
      NS_ASSERT_MSG(record.ok(), record.status().ToString());
      if (!record->has_value()) return records;
      records.push_back(**record);
    }
  }

  ScopedTempDir dir_{"cli_test"};
};

TEST_F(CliTest, PutGetDelRoundTrip) {
  EXPECT_EQ(Kv({"put", "apple", "red"}).exit_code, kExitOk);
  Result get = Kv({"get", "apple"});
  EXPECT_EQ(get.exit_code, kExitOk);
  EXPECT_EQ(get.out, "red\n");
  EXPECT_EQ(Kv({"put", "apple", "green"}).exit_code, kExitOk);
  EXPECT_EQ(Kv({"get", "apple"}).out, "green\n");
  EXPECT_EQ(Kv({"del", "apple"}).exit_code, kExitOk);
  Result missing = Kv({"get", "apple"});
  EXPECT_EQ(missing.exit_code, kExitCheckFailed);
  EXPECT_THAT(missing.out, IsEmpty());
  EXPECT_THAT(missing.err, HasSubstr("apple: not found"));
  EXPECT_EQ(Kv({"del", "apple"}).exit_code, kExitCheckFailed);
}

TEST_F(CliTest, ScanOrdersBoundsReversesAndLimits) {
  for (const char* key : {"banana", "apple", "cherry", "apricot", "blueberry"}) {
    ASSERT_EQ(Kv({"put", key, std::string("v-") + key}).exit_code, kExitOk);
  }
  EXPECT_EQ(Kv({"scan"}).out, "apple\napricot\nbanana\nblueberry\ncherry\n");
  EXPECT_EQ(Kv({"scan", "--reverse"}).out, "cherry\nblueberry\nbanana\napricot\napple\n");
  EXPECT_EQ(Kv({"scan", "--prefix", "ap"}).out, "apple\napricot\n");
  EXPECT_EQ(Kv({"scan", "--prefix", "b", "--reverse"}).out, "blueberry\nbanana\n");
  EXPECT_EQ(Kv({"scan", "--limit", "2"}).out, "apple\napricot\n");
  EXPECT_EQ(Kv({"scan", "--reverse", "--limit", "1"}).out, "cherry\n");
  EXPECT_EQ(Kv({"scan", "--start", "apricot", "--end", "blueberry"}).out, "apricot\nbanana\n");
  EXPECT_EQ(Kv({"scan", "--start", "b", "--end", "c", "--reverse"}).out, "blueberry\nbanana\n");
  EXPECT_EQ(Kv({"scan", "--prefix", "c", "--values"}).out, "cherry\tv-cherry\n");
  EXPECT_EQ(Kv({"scan", "--prefix", "zz"}).out, "");
}

TEST_F(CliTest, HexRoundTripsBinaryKeysAndValues) {
  ASSERT_EQ(Kv({"put", "--hex", "00ff", "0a0009ff5c"}).exit_code, kExitOk);
  EXPECT_EQ(Kv({"get", "--hex", "00FF"}).out, "0a0009ff5c\n");
  EXPECT_EQ(Kv({"scan", "--hex", "--values"}).out, "00ff\t0a0009ff5c\n");
  EXPECT_EQ(Kv({"scan", "--values"}).out, "\\x00\\xff\t\\x0a\\x00\\x09\\xff\\\\\n");
  EXPECT_EQ(Kv({"scan", "--hex", "--prefix", "00"}).out, "00ff\n");
  Result bad_hex = Kv({"get", "--hex", "0g"});
  EXPECT_EQ(bad_hex.exit_code, kExitBadInput);
  EXPECT_THAT(bad_hex.err, HasSubstr("key '0g': not a hex string"));
}

TEST_F(CliTest, DoubleDashEndsOptionsForKeysStartingWithADash) {
  ASSERT_EQ(Kv({"put", "--", "-k", "-v"}).exit_code, kExitOk);
  EXPECT_EQ(Kv({"get", "--", "-k"}).out, "-v\n");
}

TEST_F(CliTest, LargeValueGoesToOverflowAndBack) {
  const std::string value(10000, 'x');
  ASSERT_EQ(Kv({"put", "--page-size", "4096", "big", value}).exit_code, kExitOk);
  EXPECT_EQ(Kv({"get", "big"}).out, value + "\n");
  EXPECT_THAT(Run({"dump", db()}).out, HasSubstr("\"big\": 10000 bytes on overflow pages"));
  EXPECT_EQ(Run({"validate", db()}).exit_code, kExitOk);
}

TEST_F(CliTest, BadUsageExitsTwoNamingTheProblem) {
  Result no_command = Run({});
  EXPECT_EQ(no_command.exit_code, kExitBadInput);
  EXPECT_THAT(no_command.err, HasSubstr("usage: northstar <command>"));
  Result unknown = Run({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitBadInput);
  EXPECT_THAT(unknown.err, HasSubstr("unknown command 'frobnicate'"));
  Result flag = Kv({"get", "a", "--bogus"});
  EXPECT_EQ(flag.exit_code, kExitBadInput);
  EXPECT_THAT(flag.err, AllOf(StartsWith("northstar kv: "), HasSubstr("--bogus")));
  Result put = Kv({"put", "a"});
  EXPECT_EQ(put.exit_code, kExitBadInput);
  EXPECT_THAT(put.err, HasSubstr("put takes <key> <value> arguments, got 1"));
  EXPECT_THAT(Run({"kv"}).err, HasSubstr("missing <db>"));
  EXPECT_THAT(Kv({}).err, HasSubstr("missing operation"));
  EXPECT_THAT(Kv({"frob"}).err, HasSubstr("unknown operation 'frob'"));
  EXPECT_THAT(Kv({"get", "a", "--reverse"}).err, HasSubstr("apply to scan only"));
  EXPECT_THAT(Kv({"scan", "--limit", "ten"}).err, HasSubstr("--limit"));
  EXPECT_THAT(Run({"validate"}).err, HasSubstr("missing <db>"));
  EXPECT_THAT(Run({"validate", db(), db()}).err, HasSubstr("too many positional options"));
  EXPECT_THAT(Run({"dump", db(), "--raw"}).err, HasSubstr("--raw needs --page N"));
}

TEST_F(CliTest, BadPageSizeGetsTheEnginesMessage) {
  Result result = Kv({"put", "--page-size", "1000", "a", "b"});
  EXPECT_EQ(result.exit_code, kExitBadInput);
  EXPECT_THAT(result.err, HasSubstr("page size 1000 is not a power of two"));
}

TEST_F(CliTest, MissingDatabaseIsBadInputExceptForPut) {
  Result get = Kv({"get", "a"});
  EXPECT_EQ(get.exit_code, kExitBadInput);
  EXPECT_THAT(get.err, HasSubstr("no such database"));
  EXPECT_EQ(Kv({"scan"}).exit_code, kExitBadInput);
  EXPECT_EQ(Run({"validate", db()}).exit_code, kExitBadInput);
  EXPECT_EQ(Run({"dump", db()}).exit_code, kExitBadInput);
}

TEST_F(CliTest, ValidateGoodDatabase) {
  ASSERT_NO_FATAL_FAILURE(Fill(500, 4096));
  Result result = Run({"validate", db()});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out << result.err;
  EXPECT_THAT(result.out, AllOf(HasSubstr("page size 4096 bytes"), HasSubstr("500 entries"),
                                HasSubstr("average leaf fill"), HasSubstr("\nok\n")));
  Result quiet = Run({"validate", "--quiet", db()});
  EXPECT_EQ(quiet.exit_code, kExitOk);
  EXPECT_THAT(quiet.out, IsEmpty());
}

TEST_F(CliTest, ValidateNamesThePageWithAFlippedByte) {
  ASSERT_NO_FATAL_FAILURE(Fill(500, 4096));
  const engine::Meta meta = ReadMeta();
  ASSERT_GE(meta.tree_height, 2u);
  ASSERT_NO_FATAL_FAILURE(FlipByte(meta.root * 4096 + 2048));
  Result result = Run({"validate", db()});
  EXPECT_EQ(result.exit_code, kExitCheckFailed);
  EXPECT_THAT(result.out, HasSubstr(absl::StrFormat("page %d: checksum", meta.root)));
  Result quiet = Run({"validate", "-q", db()});
  EXPECT_EQ(quiet.exit_code, kExitCheckFailed);
  EXPECT_THAT(quiet.out, StartsWith(db() + ": page "));
}

TEST_F(CliTest, ValidateAndDumpCountCommitsStillInTheLog) {
  ASSERT_NO_FATAL_FAILURE(Fill(10, 4096, /*checkpoint=*/false));
  Result validate = Run({"validate", db()});
  EXPECT_EQ(validate.exit_code, kExitOk) << validate.out << validate.err;
  EXPECT_THAT(validate.out, HasSubstr("1 committed records after the checkpoint (txn 1..1)"));
  EXPECT_THAT(Run({"dump", db()}).out, HasSubstr("1 committed records after the checkpoint"));
  EXPECT_EQ(Kv({"get", "key00009"}).out, std::string(100, 'v') + "\n");  // Replayed on open.
  EXPECT_THAT(Run({"validate", db()}).out,
              AllOf(HasSubstr("no commit after the checkpoint"), HasSubstr("10 entries")));
}

TEST_F(CliTest, ValidateReportsDamageInTheMiddleOfTheLog) {
  ASSERT_NO_FATAL_FAILURE(Fill(10, 4096, /*checkpoint=*/false, /*commits=*/2));
  ASSERT_NO_FATAL_FAILURE(FlipByteOf(engine::LogPathFor(db()), 100));  // Inside txn 1's record.
  Result validate = Run({"validate", db()});
  EXPECT_EQ(validate.exit_code, kExitCheckFailed) << validate.out << validate.err;
  EXPECT_THAT(validate.out, AllOf(HasSubstr("log: CORRUPT"), HasSubstr("log record at offset 0")));
  Result dump = Run({"dump", db()});
  EXPECT_EQ(dump.exit_code, kExitBadInput);
  EXPECT_THAT(dump.err, HasSubstr("log record at offset 0"));
}

TEST_F(CliTest, ValidateRejectsATextFile) {
  std::ofstream(db()) << "hello, I am not a database\n";
  Result result = Run({"validate", db()});
  EXPECT_EQ(result.exit_code, kExitBadInput);
  EXPECT_THAT(result.err,
              AllOf(StartsWith("northstar validate: "), HasSubstr("not a Northstar database")));
}

TEST_F(CliTest, DumpPrintsBothMetasAndTheTree) {
  ASSERT_NO_FATAL_FAILURE(Fill(500, 4096));
  ASSERT_EQ(Kv({"put", "key00001", "again"}).exit_code, kExitOk);  // txn 2: meta A chosen.
  const engine::Meta meta = ReadMeta();
  Result result = Run({"dump", db()});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, AllOf(HasSubstr("meta A (page 0): valid, chosen, txn 2"),
                                HasSubstr("meta B (page 1): valid, txn 1"),
                                HasSubstr(absl::StrFormat("page %d (branch, txn 2)", meta.root)),
                                HasSubstr("(leaf, txn 1)"), HasSubstr("  \"key00000\": 100 bytes"),
                                HasSubstr("\"key00001\": 5 bytes"), HasSubstr("free list: ")));
}

TEST_F(CliTest, DumpOnePageAndRawOnACorruptPage) {
  ASSERT_NO_FATAL_FAILURE(Fill(500, 4096));
  const engine::Meta meta = ReadMeta();
  const std::string root = absl::StrFormat("%d", meta.root);
  Result page = Run({"dump", db(), "--page", root});
  EXPECT_EQ(page.exit_code, kExitOk) << page.err;
  EXPECT_THAT(page.out,
              AllOf(HasSubstr("type            3 (branch)"), HasSubstr("slot 0: offset ")));
  EXPECT_THAT(Run({"dump", db(), "--page", "0"}).out, HasSubstr("meta            txn 0"));
  EXPECT_THAT(Run({"dump", db(), "--page", "1"}).out, HasSubstr("meta            txn 1"));
  ASSERT_NO_FATAL_FAILURE(FlipByte(meta.root * 4096 + 2048));
  Result corrupt = Run({"dump", db(), "--page", root});
  EXPECT_EQ(corrupt.exit_code, kExitBadInput);
  EXPECT_THAT(corrupt.err, AllOf(HasSubstr("page " + root + " "), HasSubstr("--raw")));
  Result raw = Run({"dump", db(), "--page", root, "--raw"});
  EXPECT_EQ(raw.exit_code, kExitOk);
  EXPECT_THAT(raw.out, AllOf(HasSubstr("00000000  4e 53 50 47"), HasSubstr("|NSPG")));
  Result tree = Run({"dump", db()});
  EXPECT_EQ(tree.exit_code, kExitBadInput);
  EXPECT_THAT(tree.out, HasSubstr("page " + root + ": CORRUPT"));
}

TEST_F(CliTest, HelpWorksEverywhere) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"help"},
                                             {"kv", "--help"},
                                             {"validate", "--help"},
                                             {"dump", "-h"},
                                             {"logdump", "--help"},
                                             {"help", "kv"}}) {
    Result result = Run(args);
    EXPECT_EQ(result.exit_code, kExitOk) << args[0];
    EXPECT_THAT(result.out, HasSubstr("usage:")) << args[0];
  }
  EXPECT_THAT(Run({"kv", "--help"}).out, HasSubstr("Exit codes: 0 success; 1 get or del"));
}

TEST_F(CliTest, LogdumpListsTheRecordsAndWhatRecoveryWouldReplay) {
  ASSERT_NO_FATAL_FAILURE(CommitToLog(3));
  const std::vector<engine::LogRecord> records = ReadLog();
  ASSERT_EQ(records.size(), 3u);
  const uint64_t end_offset = records[2].offset + records[2].record_bytes;
  Result result = Run({"logdump", log()});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out << result.err;
  EXPECT_THAT(
      result.out,
      AllOf(HasSubstr(absl::StrFormat("offset 0: txn 1, 3 ops, %d bytes, replay\n",
                                      records[0].record_bytes)),
            HasSubstr(absl::StrFormat("offset %d: txn 2, 3 ops", records[1].offset)),
            HasSubstr(absl::StrFormat("offset %d: txn 3, 3 ops", records[2].offset)),
            HasSubstr(absl::StrFormat("end at offset %d: zero-header", end_offset)),
            HasSubstr("3 records (txn 1..3)\n"),
            HasSubstr("database " + db() + ": checkpoint at txn 0"),
            HasSubstr("recovery would replay 3 records (txn 1..3)\n"), Not(HasSubstr("put \""))));
  EXPECT_THAT(Run({"logdump", log(), "--ops"}).out,
              AllOf(HasSubstr("  put \"tmp2\": 1 bytes\n  put \"key2\": 10 bytes\n"
                              "  del \"tmp2\"\n"),
                    HasSubstr("  put \"key3\": 10 bytes")));
  Result verify = Run({"logdump", "--verify", log()});
  EXPECT_EQ(verify.exit_code, kExitOk) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("verify: ok\n"));
  Result from = Run({"logdump", log(), "--from", absl::StrFormat("%d", records[1].offset)});
  EXPECT_EQ(from.exit_code, kExitOk);
  EXPECT_THAT(from.out, AllOf(Not(HasSubstr("txn 1,")), HasSubstr("2 records (txn 2..3)")));
}

TEST_F(CliTest, LogdumpVerifyNamesTheRecordWithAFlippedByte) {
  ASSERT_NO_FATAL_FAILURE(CommitToLog(3));
  const std::vector<engine::LogRecord> records = ReadLog();
  ASSERT_EQ(records.size(), 3u);
  ASSERT_NO_FATAL_FAILURE(FlipByteOf(log(), records[1].offset + engine::kLogHeaderBytes + 4));
  Result list = Run({"logdump", log()});
  EXPECT_EQ(list.exit_code, kExitOk);  // Only --verify judges.
  EXPECT_THAT(list.out, AllOf(HasSubstr("1 record (txn 1..1)"), Not(HasSubstr("txn 3,"))));
  Result verify = Run({"logdump", log(), "--verify"});
  EXPECT_EQ(verify.exit_code, kExitCheckFailed) << verify.out;
  EXPECT_THAT(
      verify.out,
      AllOf(HasSubstr(absl::StrFormat("offset %d: damaged record (bad-body)", records[1].offset)),
            HasSubstr(absl::StrFormat("offset %d: an intact record of txn 3", records[2].offset)),
            HasSubstr("recovery would refuse to open the database"),
            HasSubstr("verify: 3 problems")));
}

TEST_F(CliTest, LogdumpTruncatedLastRecordIsATailRecoveryDrops) {
  ASSERT_NO_FATAL_FAILURE(CommitToLog(3));
  const std::vector<engine::LogRecord> records = ReadLog();
  ASSERT_EQ(records.size(), 3u);
  std::filesystem::resize_file(log(), records[2].offset + records[2].record_bytes - 10);
  Result result = Run({"logdump", log(), "--db", db()});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  const std::string recovery = absl::StrFormat(
      "recovery would replay 2 records (txn 1..2) and drop the log tail at offset %d "
      "(short-record): ",
      records[2].offset);
  EXPECT_THAT(result.out,
              AllOf(HasSubstr(absl::StrFormat("end at offset %d: short-record", records[2].offset)),
                    HasSubstr("2 records (txn 1..2)"), HasSubstr(recovery)));
  Result verify = Run({"logdump", log(), "--db", db(), "--verify"});
  EXPECT_EQ(verify.exit_code, kExitCheckFailed);
  EXPECT_THAT(verify.out, HasSubstr(absl::StrFormat("offset %d: damaged record (short-record)",
                                                    records[2].offset)));
}

TEST_F(CliTest, LogdumpStopsAtStaleRecordsFromBeforeTheLastRecycle) {
  // Txn 4 overwrites txn 1 (same size) after the checkpoint; txn 2 and 3 follow it, stale.
  ASSERT_NO_FATAL_FAILURE(CommitToLog(4, /*checkpoint_after=*/3));
  const std::vector<engine::LogRecord> records = ReadLog();
  ASSERT_EQ(records.size(), 3u);
  ASSERT_EQ(records[0].txn_id, 4u);
  const std::string stale = absl::StrFormat("offset %d: txn 2", records[1].offset);
  Result result = Run({"logdump", log(), "--verify"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out;
  EXPECT_THAT(
      result.out,
      AllOf(HasSubstr("offset 0: txn 4, 3 ops"), HasSubstr(", replay\n"),
            HasSubstr(stale + " after txn 4: the rest is stale (from before the last "
                              "recycle)\n(not listed; --all lists it)"),
            Not(HasSubstr(stale + ",")), HasSubstr("1 record (txn 4..4)"),
            HasSubstr("recovery would replay 1 record (txn 4..4)\n"), HasSubstr("verify: ok")));
  Result all = Run({"logdump", log(), "--all"});
  EXPECT_THAT(all.out, AllOf(HasSubstr(stale + ", 3 ops"), HasSubstr(", checkpointed\n"),
                             HasSubstr(absl::StrFormat("offset %d: txn 3", records[2].offset)),
                             HasSubstr("1 record (txn 4..4)")));
}

TEST_F(CliTest, LogdumpEndsWhereNoRecordStartsAfterARecycle) {
  // Txn 4 is longer than txn 1: the next offset lands inside the old txn 2, not on a record.
  ASSERT_NO_FATAL_FAILURE(CommitToLog(4, /*checkpoint_after=*/3, /*value_bytes_later=*/20));
  const std::vector<engine::LogRecord> records = ReadLog();
  ASSERT_EQ(records.size(), 1u);
  Result result = Run({"logdump", log(), "--verify"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out;
  EXPECT_THAT(result.out, AllOf(HasSubstr("no-record"), HasSubstr("no record starts there"),
                                HasSubstr("verify: ok")));
}

TEST_F(CliTest, LogdumpFindsDamageBehindAHeaderWithoutMagic) {
  ASSERT_NO_FATAL_FAILURE(CommitToLog(3));
  const std::vector<engine::LogRecord> records = ReadLog();
  ASSERT_EQ(records.size(), 3u);
  ASSERT_NO_FATAL_FAILURE(FlipByteOf(log(), records[1].offset));
  Result verify = Run({"logdump", log(), "--verify"});
  EXPECT_EQ(verify.exit_code, kExitCheckFailed) << verify.out;
  EXPECT_THAT(
      verify.out,
      AllOf(HasSubstr("no record starts there"),
            HasSubstr(absl::StrFormat("offset %d: an intact record of txn 3", records[2].offset))));
  // The first record: still a log (intact records follow), but one with no readable record.
  ASSERT_NO_FATAL_FAILURE(FlipByteOf(log(), 0));
  Result first = Run({"logdump", log(), "--verify"});
  EXPECT_EQ(first.exit_code, kExitCheckFailed) << first.out << first.err;
  EXPECT_THAT(
      first.out,
      AllOf(HasSubstr("no records\n"),
            HasSubstr(absl::StrFormat("offset %d: an intact record of txn 3", records[2].offset))));
  Result from = Run({"logdump", log(), "--from", "1"});
  EXPECT_EQ(from.exit_code, kExitBadInput);
  EXPECT_THAT(from.err, HasSubstr("no commit record starts at offset 1"));
}

TEST_F(CliTest, LogdumpZerosMissingFilesAndTextFiles) {
  const std::string zeros = dir_.path() + "/zeros.log";
  std::ofstream(zeros, std::ios::binary) << std::string(4096, '\0');
  Result empty = Run({"logdump", zeros, "--verify"});
  EXPECT_EQ(empty.exit_code, kExitOk) << empty.out << empty.err;
  EXPECT_THAT(empty.out, AllOf(HasSubstr("end at offset 0: zero-header"), HasSubstr("no records\n"),
                               HasSubstr("verify: ok")));
  Result missing = Run({"logdump", dir_.path() + "/missing.log"});
  EXPECT_EQ(missing.exit_code, kExitBadInput);
  EXPECT_THAT(missing.err, AllOf(StartsWith("northstar logdump: "), HasSubstr("no such file")));
  const std::string text = dir_.path() + "/text.log";
  std::ofstream(text) << "hello, I am not a commit log\n";
  Result not_log = Run({"logdump", text});
  EXPECT_EQ(not_log.exit_code, kExitBadInput);
  EXPECT_THAT(not_log.out, IsEmpty());
  EXPECT_THAT(not_log.err, HasSubstr("not a Northstar commit log"));
  EXPECT_THAT(Run({"logdump"}).err, HasSubstr("missing <log>"));
  EXPECT_THAT(Run({"logdump", zeros, "--from", "-1"}).err, HasSubstr("--from -1"));
}

// A scenario file in the temporary directory, named `name`, holding `text`.
std::string WriteScenario(const ScopedTempDir& dir, const std::string& name,
                          const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST_F(CliTest, ScenarioFmtPrintsTheCanonicalForm) {
  const std::string path =
      WriteScenario(dir_, "mini.toml", "# comment\nname = \"mini\"\nseed = \"0x2A\"\n");
  Result result = Run({"scenario", "fmt", path});
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("name = \"mini\"\ndescription = \"\"\nseed = \"0x2a\"\n"
                                     "expect = \"pass\"\n\n[engine]\npage_size_bytes = 4096\n"));
  EXPECT_THAT(result.out, AllOf(HasSubstr("\n[workload.mix]\nput = 50\n"),
                                HasSubstr("\nstep_duration_ns = 100\n"), Not(HasSubstr("#"))));
  EXPECT_EQ(ReadWholeFile(path), "# comment\nname = \"mini\"\nseed = \"0x2A\"\n");  // Untouched.
  // The output is canonical: fmt --check accepts it.
  const std::string canonical = WriteScenario(dir_, "canonical.toml", result.out);
  Result check = Run({"scenario", "fmt", "--check", canonical});
  EXPECT_EQ(check.exit_code, kExitOk) << check.err;
  EXPECT_EQ(check.out, "ok: " + canonical + "\n");
}

TEST_F(CliTest, ScenarioFmtCheckAndInPlace) {
  const std::string path = WriteScenario(dir_, "loose.toml", "name = \"loose\"\n");
  Result check = Run({"scenario", "fmt", "--check", path});
  EXPECT_EQ(check.exit_code, kExitCheckFailed);
  EXPECT_EQ(check.out, "not canonical: " + path + "\n");
  EXPECT_EQ(ReadWholeFile(path), "name = \"loose\"\n");
  Result in_place = Run({"scenario", "fmt", "--in-place", path});
  EXPECT_EQ(in_place.exit_code, kExitOk) << in_place.err;
  EXPECT_EQ(in_place.out, "formatted: " + path + "\n");
  EXPECT_EQ(Run({"scenario", "fmt", "--check", path}).exit_code, kExitOk);
  EXPECT_EQ(Run({"scenario", "fmt", "--in-place", path}).out, "");  // Already canonical.
  EXPECT_EQ(Run({"scenario", "fmt", "--in-place", "--check", path}).exit_code, kExitBadInput);
}

TEST_F(CliTest, ScenarioBadFilesNameFileLineAndColumn) {
  const std::string syntax = WriteScenario(dir_, "syntax.toml", "name = \"x\"\n[engine\n");
  Result malformed = Run({"scenario", "fmt", syntax});
  EXPECT_EQ(malformed.exit_code, kExitBadInput);
  EXPECT_THAT(malformed.out, IsEmpty());
  EXPECT_THAT(malformed.err, StartsWith("northstar scenario: " + syntax + ":2:"));
  const std::string unknown =
      WriteScenario(dir_, "unknown.toml", "name = \"x\"\n\n[workload]\nreaderz = 3\n");
  Result bad_key = Run({"scenario", "check", unknown});
  EXPECT_EQ(bad_key.exit_code, kExitBadInput);
  EXPECT_EQ(bad_key.err,
            "northstar scenario: " + unknown + ":4:1: workload.readerz: unknown key\n");
  const std::string range =
      WriteScenario(dir_, "range.toml", "name = \"x\"\n[workload]\nreaders = 65\n");
  EXPECT_THAT(Run({"scenario", "check", range}).err,
              HasSubstr(range + ":3:11: workload.readers: 65 is not in [0, 64]"));
  Result missing = Run({"scenario", "check", dir_.path() + "/missing.toml"});
  EXPECT_EQ(missing.exit_code, kExitBadInput);
  EXPECT_THAT(missing.err, AllOf(StartsWith("northstar scenario: "),
                                 HasSubstr("missing.toml: cannot open: No such file")));
}

TEST_F(CliTest, ScenarioCheckReportsEveryFile) {
  const std::string good = WriteScenario(dir_, "good.toml", "name = \"good\"\n");
  const std::string bad = WriteScenario(dir_, "bad.toml", "name = \"Bad\"\n");
  Result result = Run({"scenario", "check", good, bad, good});
  EXPECT_EQ(result.exit_code, kExitBadInput);
  EXPECT_EQ(result.out, "ok: " + good + "\nok: " + good + "\n");
  EXPECT_THAT(result.err, HasSubstr(bad + ":1:8: name: \"Bad\" is not 1..64 characters"));
  EXPECT_EQ(Run({"scenario", "check", good}).exit_code, kExitOk);
  EXPECT_THAT(Run({"scenario"}).err, HasSubstr("missing 'fmt' or 'check'"));
  EXPECT_THAT(Run({"scenario", "lint", good}).err, HasSubstr("unknown action 'lint'"));
  EXPECT_THAT(Run({"scenario", "check"}).err, HasSubstr("missing <file>"));
  EXPECT_EQ(Run({"scenario", "check", "--check", good}).exit_code, kExitBadInput);
}

// run, torture, replay: seeds of scenarios/smoke.toml (tens of milliseconds each).
const std::string kSmoke = std::string(NORTHSTAR_SOURCE_DIR) + "/scenarios/smoke.toml";

// The trace hash printed by run ("trace 0x<16 hex digits>"); "" if none.
std::string TraceHashOf(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("trace (0x[0-9a-f]{16})"))) return "";
  return match[1];
}

// The path after "reproduce: northstar replay " in `out`; "" if none.
std::string ReproPathOf(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("reproduce: northstar replay (\\S+)"))) return "";
  return match[1];
}

TEST_F(CliTest, RunPrintsVerdictSeedTraceHashAndStats) {
  Result first = Run({"run", kSmoke});
  EXPECT_EQ(first.exit_code, kExitOk) << first.out << first.err;
  EXPECT_THAT(first.out, StartsWith("pass: smoke seed 0x1 trace 0x"));
  EXPECT_THAT(first.out, AllOf(HasSubstr("commits "), HasSubstr("crashes "), HasSubstr(" ms)\n")));
  const std::string hash = TraceHashOf(first.out);
  ASSERT_FALSE(hash.empty()) << first.out;
  EXPECT_EQ(TraceHashOf(Run({"run", kSmoke}).out), hash) << "the same seed, the same trace";
  Result other = Run({"run", kSmoke, "--seed", "2"});
  EXPECT_THAT(other.out, StartsWith("pass: smoke seed 0x2 "));
  EXPECT_NE(TraceHashOf(other.out), hash);
  Result twice = Run({"run", kSmoke, "--check-determinism"});
  EXPECT_EQ(twice.exit_code, kExitOk);
  EXPECT_THAT(twice.out, HasSubstr("deterministic: a second run gave the same trace hash\n"));
}

TEST_F(CliTest, RunWritesTraceFiles) {
  const std::string json_lines = dir_.path() + "/trace.jsonl";
  const std::string chrome = dir_.path() + "/trace.json";
  EXPECT_EQ(Run({"run", kSmoke, "--trace", json_lines, "--chrome-trace", chrome}).exit_code,
            kExitOk);
  EXPECT_THAT(ReadWholeFile(json_lines), StartsWith("{\"step\":"));
  EXPECT_THAT(ReadWholeFile(chrome), Not(IsEmpty()));
}

TEST_F(CliTest, APlantedBugWritesAReproThatReplaysWithTheSameTraceHash) {
  const std::string out_dir = dir_.path() + "/failures";
  Result run =
      Run({"run", kSmoke, "--seed", "0x2", "--plant-bug", "ack-without-sync", "--out", out_dir});
  EXPECT_EQ(run.exit_code, kExitCheckFailed) << run.out << run.err;
  EXPECT_THAT(run.out, StartsWith("durability: smoke seed 0x2 trace 0x"));
  const std::string path = ReproPathOf(run.out);
  EXPECT_EQ(path, out_dir + "/smoke-0x2-durability.toml");
  const std::string repro = ReadWholeFile(path);
  EXPECT_THAT(repro, StartsWith("# northstar repro: durability: "));
  EXPECT_THAT(repro, AllOf(HasSubstr("\n# trace hash: " + TraceHashOf(run.out) + "\n"),
                           HasSubstr("\n# build: northstar "),
                           HasSubstr("\n# planted bug: ack-without-sync\n"),
                           HasSubstr("\n# reproduce: northstar replay " + path + "\n"),
                           HasSubstr("\nseed = \"0x2\"\nexpect = \"durability\"\n")));
  Result replay = Run({"replay", path});
  EXPECT_EQ(replay.exit_code, kExitOk) << replay.out << replay.err;
  EXPECT_THAT(replay.out, AllOf(StartsWith("durability: smoke seed 0x2 "),
                                HasSubstr("expected durability: reproduces\n"),
                                HasSubstr("same build: trace hash matches\n")));

  // Another build would give another trace hash: the failure still reproduces.
  std::string other_build = repro;
  other_build.replace(other_build.find("# trace hash: 0x") + 16, 16, "0123456789abcdef");
  std::ofstream(path, std::ios::trunc) << other_build;
  replay = Run({"replay", path});
  EXPECT_EQ(replay.exit_code, kExitOk);
  EXPECT_THAT(replay.out, HasSubstr("differs (different build?)\n"));

  // Without the planted bug the seed passes: the repro does not reproduce.
  std::string fixed = repro;
  fixed.erase(fixed.find("# planted bug: "),
              std::string("# planted bug: ack-without-sync\n").size());
  std::ofstream(path, std::ios::trunc) << fixed;
  replay = Run({"replay", path});
  EXPECT_EQ(replay.exit_code, kExitCheckFailed);
  EXPECT_THAT(replay.out, HasSubstr("expected durability: does not reproduce\n"));

  // A scenario file is a repro of a pass, with no recorded hash.
  replay = Run({"replay", kSmoke});
  EXPECT_EQ(replay.exit_code, kExitOk);
  EXPECT_THAT(replay.out, HasSubstr("none recorded\n"));
}

TEST_F(CliTest, TortureRunsSeedsInWorkersAndWritesJsonAndJunit) {
  const std::string json = dir_.path() + "/summary.json";
  const std::string junit = dir_.path() + "/junit.xml";
  Result result = Run({"torture", kSmoke, "--seeds", "20", "--jobs", "2", "--json", json, "--junit",
                       junit, "--out", dir_.path() + "/failures"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("total: 20 seeds, 0 failures"));
  EXPECT_TRUE(std::regex_search(result.out, std::regex("\nsmoke +20 +20 +0 ")));
  EXPECT_THAT(result.err, HasSubstr("20/20 seeds"));  // The last progress line.
  const std::string summary = ReadWholeFile(json);
  EXPECT_THAT(summary,
              AllOf(StartsWith("{"), HasSubstr("\"seeds\": 20,"), HasSubstr("\"passes\": 20,"),
                    HasSubstr("\"failures\": [\n  ]"), HasSubstr("\"seeds_per_second\": ")));
  const std::string xml = ReadWholeFile(junit);
  EXPECT_THAT(xml, AllOf(StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "),
                         HasSubstr("<testsuite name=\"smoke\" tests=\"1\" failures=\"0\""),
                         HasSubstr("</testsuites>\n")));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/failures")) << "no failure, no repro";
}

TEST_F(CliTest, TortureCheckDeterminismRunsEachSeedTwice) {
  Result result = Run({"torture", kSmoke, "--seeds", "10", "--jobs", "2", "--check-determinism",
                       "--out", dir_.path() + "/failures"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out << result.err;
  EXPECT_THAT(result.out,
              AllOf(HasSubstr("total: 10 seeds, 0 failures"),
                    HasSubstr("determinism: every seed ran twice with the same trace hash\n")));
}

TEST_F(CliTest, TortureRecordsAWorkerCrashAndGoesOn) {
  const std::string out_dir = dir_.path() + "/failures";
  const std::string json = dir_.path() + "/summary.json";
  const std::string junit = dir_.path() + "/junit.xml";
  Result result = Run({"torture", kSmoke, "--seeds", "6", "--jobs", "2", "--crash-worker-on-seed",
                       "0x3", "--out", out_dir, "--json", json, "--junit", junit});
  EXPECT_EQ(result.exit_code, kExitWorkerCrashed) << result.out << result.err;
  EXPECT_THAT(result.out,
              AllOf(HasSubstr("total: 6 seeds, 1 failures"),
                    HasSubstr("smoke seed 0x3: worker-crash: worker crashed (signal 6")));
  EXPECT_TRUE(std::regex_search(result.out, std::regex("\nsmoke +6 +5 +1 .*worker-crash 1\n")));
  const std::string path = ReproPathOf(result.out);
  EXPECT_EQ(path, out_dir + "/smoke-0x3-worker-crash.toml");
  EXPECT_THAT(ReadWholeFile(path), AllOf(HasSubstr("# trace hash: none (the worker crashed)\n"),
                                         HasSubstr("# planted bug: abort\n")));
  EXPECT_THAT(ReadWholeFile(json),
              AllOf(HasSubstr("\"verdict\": \"worker-crash\""), HasSubstr("\"seed\": \"0x3\""),
                    HasSubstr("\"exit_code\": 4")));
  EXPECT_THAT(ReadWholeFile(junit),
              AllOf(HasSubstr("<testsuite name=\"smoke\" tests=\"2\" failures=\"1\""),
                    HasSubstr("<testcase classname=\"smoke\" name=\"seed 0x3\""),
                    HasSubstr("<failure type=\"worker-crash\"")));
  Result replay = Run({"replay", path});
  EXPECT_EQ(replay.exit_code, kExitOk) << replay.out << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("expected worker-crash: reproduces\n"));
}

TEST_F(CliTest, TortureShardsSplitTheSeeds) {
  // Seeds 0x1..0x6: shard 0/2 runs 0x1, 0x3, 0x5 and shard 1/2 runs 0x2, 0x4, 0x6.
  const std::vector<std::string> common = {"torture",
                                           kSmoke,
                                           "--seeds",
                                           "6",
                                           "--jobs",
                                           "2",
                                           "--crash-worker-on-seed",
                                           "0x4",
                                           "--out",
                                           dir_.path() + "/failures"};
  std::vector<std::string> shard_0 = common;
  shard_0.insert(shard_0.end(), {"--shard", "0/2"});
  std::vector<std::string> shard_1 = common;
  shard_1.insert(shard_1.end(), {"--shard", "1/2"});
  Result first = Run(shard_0);
  EXPECT_EQ(first.exit_code, kExitOk) << first.out;
  EXPECT_THAT(first.out, HasSubstr("total: 3 seeds, 0 failures"));
  Result second = Run(shard_1);
  EXPECT_EQ(second.exit_code, kExitWorkerCrashed) << second.out;
  EXPECT_THAT(second.out, HasSubstr("total: 3 seeds, 1 failures"));
}

TEST(SeedPlanTest, ShardsCoverTheUnshardedSeedsOnce) {
  const torture::SeedPlan whole({0x10, 0x100}, 0, 1, 7);
  ASSERT_EQ(whole.item_count(), 14u);
  std::multiset<std::pair<uint32_t, uint64_t>> expected;
  for (uint64_t index = 0; index < 14; index++) {
    expected.insert({whole.item(index).scenario_index, whole.item(index).seed});
  }
  std::multiset<std::pair<uint32_t, uint64_t>> sharded;
  for (uint32_t shard = 0; shard < 3; shard++) {
    const torture::SeedPlan plan({0x10, 0x100}, shard, 3, 7);
    for (uint64_t index = 0; index < *plan.item_count(); index++) {
      sharded.insert({plan.item(index).scenario_index, plan.item(index).seed});
    }
  }
  EXPECT_EQ(sharded, expected);
  EXPECT_EQ(torture::SeedPlan({1}, 2, 3, 2).item_count(), 0u);
  EXPECT_EQ(torture::SeedPlan({1}, 0, 1, std::nullopt).item_count(), std::nullopt);
}

TEST_F(CliTest, TortureStopsAtTheTimeBudget) {
  Result result = Run({"torture", kSmoke, "--time-budget", "1s", "--jobs", "2", "--out",
                       dir_.path() + "/failures"});
  EXPECT_EQ(result.exit_code, kExitOk) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("total: "));
}

TEST_F(CliTest, TortureMaxFailuresStopsAtTheFirstFailure) {
  const std::string json = dir_.path() + "/summary.json";
  // Seeds and a time budget together: whichever ends first. Every seed of the planted bug fails
  // after its first crash; the run must stop long before the 500 seeds.
  Result result = Run({"torture", kSmoke, "--seeds", "500", "--time-budget", "10m", "--jobs", "2",
                       "--plant-bug", "ack-without-sync", "--max-failures", "1", "--out",
                       dir_.path() + "/failures", "--json", json});
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.out << result.err;
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("\"verdict\": \"durability\""));
  const size_t total_at = text.find("\n  \"seeds\": ");  // The run's total, not a scenario's.
  ASSERT_NE(total_at, std::string::npos) << text;
  EXPECT_LT(std::stoull(text.substr(total_at + 12)), 100u) << text;
}

// Parsed, not grepped: failure messages hold quotes, backslashes and escaped binary keys.
TEST_F(CliTest, TortureWritesValidJsonAndJunitXmlForFailures) {
  const std::string json_path = dir_.path() + "/summary.json";
  const std::string junit_path = dir_.path() + "/junit.xml";
  const std::string io_errors = std::string(NORTHSTAR_SOURCE_DIR) + "/scenarios/io-errors.toml";
  Result result = Run({"torture", kSmoke, io_errors, "--seeds", "4", "--jobs", "2", "--plant-bug",
                       "ack-without-sync", "--out", dir_.path() + "/failures", "--json",
                       json_path, "--junit", junit_path});
  EXPECT_EQ(result.exit_code, kExitCheckFailed) << result.out << result.err;
  const nlohmann::json summary = nlohmann::json::parse(ReadWholeFile(json_path));
  EXPECT_EQ(summary.at("seeds").get<int>(), 8);
  ASSERT_TRUE(summary.at("failures").is_array());
  EXPECT_EQ(summary.at("failures").size(), 8 - summary.at("passes").get<size_t>());
  ASSERT_FALSE(summary.at("failures").empty());
  for (const nlohmann::json& failure : summary.at("failures")) {
    EXPECT_TRUE(failure.at("message").is_string());
    EXPECT_TRUE(std::filesystem::exists(failure.at("repro").get<std::string>()));
    EXPECT_THAT(failure.at("trace_hash").get<std::string>(), StartsWith("0x"));
  }
  EXPECT_EQ(summary.at("scenarios").size(), 2u);
  // xmllint (libxml2-utils, installed by tools/setup.sh) checks that the XML is well formed.
  const int xmllint = std::system(("xmllint --noout " + junit_path + " 2>&1").c_str());
  EXPECT_EQ(xmllint, 0) << "xmllint rejects " << junit_path << ":\n" << ReadWholeFile(junit_path);
}

TEST_F(CliTest, RunTortureReplayBadUsageAndMissingFiles) {
  const std::string missing = dir_.path() + "/missing.toml";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"run"},
           {"run", missing},
           {"run", kSmoke, "--seed", "0xzz"},
           {"run", kSmoke, "--bogus"},
           {"run", kSmoke, "--plant-bug", "nope"},
           {"torture", kSmoke},
           {"torture", kSmoke, "--seeds", "0"},
           {"torture", kSmoke, "--seeds", "3", "--max-failures", "x"},
           {"torture", kSmoke, "--time-budget", "10x"},
           {"torture", kSmoke, "--seeds", "3", "--shard", "2/2"},
           {"torture", kSmoke, "--seeds", "3", "--jobs", "0"},
           {"torture", missing, "--seeds", "3"},
           {"torture", dir_.path(), "--seeds", "3"},  // No *.toml in it.
           {"replay"},
           {"replay", missing},
       }) {
    Result result = Run(args);
    EXPECT_EQ(result.exit_code, kExitBadInput) << args.back() << ": " << result.err;
    EXPECT_THAT(result.err, StartsWith("northstar " + args[0] + ": ")) << args.back();
  }
}

// shrink: a planted-bug repro of scenarios/smoke.toml shrinks to a few operations, and the shrunk
// file replays (and runs, with the same planted bug) to the same failure.
TEST_F(CliTest, ShrinkMakesAPlantedBugReproSmallAndItStillReproduces) {
  const std::string out_dir = dir_.path() + "/failures";
  Result run =
      Run({"run", kSmoke, "--seed", "0x2", "--plant-bug", "ack-without-sync", "--out", out_dir});
  ASSERT_EQ(run.exit_code, kExitCheckFailed) << run.out << run.err;
  const std::string repro = ReproPathOf(run.out);
  ASSERT_FALSE(repro.empty()) << run.out;

  Result shrink = Run({"shrink", repro});
  EXPECT_EQ(shrink.exit_code, kExitOk) << shrink.out << shrink.err;
  EXPECT_THAT(shrink.out, StartsWith("shrunk durability: smoke seed 0x2 in "));
  std::smatch ops;
  ASSERT_TRUE(std::regex_search(shrink.out, ops, std::regex("\\n  ops +([0-9,]+) -> ([0-9,]+) ")))
      << shrink.out;
  const auto number = [](std::string text) {
    std::erase(text, ',');
    return std::stoull(text);
  };
  EXPECT_LT(number(ops[2]) * 10, number(ops[1])) << shrink.out;
  EXPECT_THAT(shrink.out, AllOf(HasSubstr("\n  fibers        3 -> "), HasSubstr("\n  crashes "),
                                HasSubstr("\n  faults "), HasSubstr("\n  key space "),
                                HasSubstr("\n  steps ")));
  EXPECT_THAT(shrink.err, HasSubstr("shrink: workload.transactions 200 -> "));
  const std::string shrunk = out_dir + "/smoke-0x2-durability.shrunk.toml";
  EXPECT_THAT(shrink.out, HasSubstr("\nreproduce: northstar replay " + shrunk + "\n"));
  const std::string text = ReadWholeFile(shrunk);
  EXPECT_THAT(text, AllOf(StartsWith("# northstar repro: durability: "),
                          HasSubstr("\n# trace hash: 0x"), HasSubstr("\n# build: northstar "),
                          HasSubstr("\n# planted bug: ack-without-sync\n"),
                          HasSubstr("\n# shrunk from " + repro + ": ops "),
                          HasSubstr("\nseed = \"0x2\"\nexpect = \"durability\"\n")));
  EXPECT_EQ(Run({"scenario", "check", shrunk}).exit_code, kExitOk);

  Result replay = Run({"replay", shrunk});
  EXPECT_EQ(replay.exit_code, kExitOk) << replay.out << replay.err;
  EXPECT_THAT(replay.out, AllOf(StartsWith("durability: smoke seed 0x2 "),
                                HasSubstr("expected durability: reproduces\n"),
                                HasSubstr("same build: trace hash matches\n")));
  Result run_shrunk = Run({"run", shrunk, "--plant-bug", "ack-without-sync", "--out", out_dir});
  EXPECT_EQ(run_shrunk.exit_code, kExitOk) << run_shrunk.out << run_shrunk.err;
  EXPECT_THAT(run_shrunk.out, StartsWith("durability (as expected): smoke seed 0x2 "));

  // --out names the file; shrinking a shrunk file finds nothing more to take away.
  const std::string again = dir_.path() + "/again.toml";
  Result twice = Run({"shrink", shrunk, "--out", again, "--time-budget", "1m"});
  EXPECT_EQ(twice.exit_code, kExitOk) << twice.out << twice.err;
  EXPECT_THAT(ReadWholeFile(again), HasSubstr("\n# shrunk from " + shrunk + ": ops "));
}

TEST_F(CliTest, ShrinkRunsAWorkerCrashInAChildProcess) {
  std::string smoke = ReadWholeFile(kSmoke);
  smoke.replace(smoke.find("expect = \"pass\""), 15, "expect = \"worker-crash\"");
  const std::string path = WriteScenario(dir_, "crash.toml", "# planted bug: abort\n" + smoke);
  Result shrink = Run({"shrink", path});
  EXPECT_EQ(shrink.exit_code, kExitOk) << shrink.out << shrink.err;
  EXPECT_THAT(shrink.out, AllOf(StartsWith("shrunk worker-crash: smoke seed 0x1 in "),
                                HasSubstr("\n  fibers        3 -> 1\n"),
                                HasSubstr("it reproduces worker-crash")));
  const std::string shrunk = dir_.path() + "/crash.shrunk.toml";
  EXPECT_THAT(ReadWholeFile(shrunk), AllOf(HasSubstr("# trace hash: none (the worker crashed)\n"),
                                           HasSubstr("# planted bug: abort\n")));
  Result replay = Run({"replay", shrunk});
  EXPECT_EQ(replay.exit_code, kExitOk) << replay.out << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("expected worker-crash: reproduces\n"));
}

TEST_F(CliTest, ShrinkOfAScenarioThatDoesNotFailExitsOne) {
  const std::string out = dir_.path() + "/out.toml";
  Result pass = Run({"shrink", kSmoke, "--out", out});
  EXPECT_EQ(pass.exit_code, kExitCheckFailed) << pass.out << pass.err;
  EXPECT_EQ(pass.out, "pass: smoke seed 0x1: the scenario does not fail; nothing to shrink\n");
  EXPECT_FALSE(std::filesystem::exists(out));
  // A repro whose failure is fixed (here: no planted bug any more) does not reproduce.
  std::string smoke = ReadWholeFile(kSmoke);
  smoke.replace(smoke.find("expect = \"pass\""), 15, "expect = \"durability\"");
  const std::string fixed = WriteScenario(dir_, "fixed.toml", smoke);
  Result shrink = Run({"shrink", fixed, "--out", out});
  EXPECT_EQ(shrink.exit_code, kExitCheckFailed) << shrink.out << shrink.err;
  EXPECT_THAT(shrink.out, HasSubstr("the scenario does not fail"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(CliTest, ShrinkBadUsageAndBadFilesExitTwo) {
  const std::string missing = dir_.path() + "/missing.toml";
  const std::string bad =
      WriteScenario(dir_, "bad.toml", "name = \"x\"\n[workload]\nreaders = 65\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"shrink"},
           {"shrink", missing},
           {"shrink", bad},
           {"shrink", kSmoke, "--bogus"},
           {"shrink", kSmoke, kSmoke},
           {"shrink", kSmoke, "--time-budget", "10x"},
           {"shrink", kSmoke, "--time-budget", "0s"},
           {"shrink", kSmoke, "--plant-bug", "nope"},
       }) {
    Result result = Run(args);
    EXPECT_EQ(result.exit_code, kExitBadInput) << args.back() << ": " << result.err;
    EXPECT_THAT(result.err, StartsWith("northstar shrink: ")) << args.back();
  }
  EXPECT_THAT(Run({"shrink", missing}).err, HasSubstr(missing));
  EXPECT_THAT(Run({"shrink", bad}).err, HasSubstr(bad + ":3:11: workload.readers"));
  Result help = Run({"shrink", "--help"});
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_THAT(help.out, AllOf(HasSubstr("usage:\n  northstar shrink <repro.toml>"),
                              HasSubstr("--time-budget"), HasSubstr("Exit codes: 0 shrunk")));
  EXPECT_THAT(Run({"--help"}).out, HasSubstr("\n  shrink "));
}

// run and torture with crash_points = "every-io" (spec/fault_model.md, FM-12): the library's
// crash-point scenario checks every crash state; a planted bug's repro is the one failing crash
// state, which replays alone with the same trace hash; --jobs gives the same trace hash.
const std::string kCrashPoints =
    std::string(NORTHSTAR_SOURCE_DIR) + "/scenarios/crash-points.toml";

TEST_F(CliTest, RunEnumeratesCrashPointsAndWritesTheFailingCrashState) {
  Result run = Run({"run", kCrashPoints});
  EXPECT_EQ(run.exit_code, kExitOk) << run.out << run.err;
  EXPECT_TRUE(std::regex_search(
      run.out, std::regex("\ncrash points: checked [0-9,]+ crash states over [0-9,]+ I/O "
                          "indexes \\(every I/O\\)\n")))
      << run.out;
  Result jobs = Run({"run", kCrashPoints, "--jobs", "2"});
  EXPECT_EQ(jobs.exit_code, kExitOk) << jobs.out << jobs.err;
  EXPECT_EQ(TraceHashOf(jobs.out), TraceHashOf(run.out));

  const std::string out_dir = dir_.path() + "/failures";
  Result planted =
      Run({"run", kCrashPoints, "--plant-bug", "ack-without-sync", "--out", out_dir, "-j", "2"});
  EXPECT_EQ(planted.exit_code, kExitCheckFailed) << planted.out << planted.err;
  EXPECT_THAT(planted.out, HasSubstr("\n  durability: crash state I/O "));
  const std::string path = ReproPathOf(planted.out);
  EXPECT_EQ(path, out_dir + "/crash-points-0x1-durability.toml");
  EXPECT_THAT(ReadWholeFile(path),
              AllOf(HasSubstr("\n[faults]\ncrash_points = \"random\"\ncrashes = 0\ncrash_at_io = ["),
                    HasSubstr("\ncrash_last_write_variant = ")));
  Result replay = Run({"replay", path});
  EXPECT_EQ(replay.exit_code, kExitOk) << replay.out << replay.err;
  EXPECT_THAT(replay.out, AllOf(HasSubstr("expected durability: reproduces\n"),
                                HasSubstr("same build: trace hash matches\n")));

  // --crash-points overrides the file's plan.
  Result random = Run({"run", kCrashPoints, "--crash-points", "random"});
  EXPECT_EQ(random.exit_code, kExitOk);
  EXPECT_THAT(random.out, Not(HasSubstr("crash points:")));
  EXPECT_EQ(Run({"run", kCrashPoints, "--crash-points", "sometimes"}).exit_code, kExitBadInput);
  EXPECT_EQ(Run({"run", kCrashPoints, "--jobs", "0"}).exit_code, kExitBadInput);
}

TEST_F(CliTest, TortureEnumeratesCrashPointsPerSeed) {
  const std::string out_dir = dir_.path() + "/failures";
  Result passing = Run({"torture", kCrashPoints, "--seeds", "2", "--jobs", "2", "--out", out_dir});
  EXPECT_EQ(passing.exit_code, kExitOk) << passing.out << passing.err;
  Result planted = Run({"torture", kCrashPoints, "--seeds", "1", "--plant-bug", "ack-without-sync",
                        "--out", out_dir});
  EXPECT_EQ(planted.exit_code, kExitCheckFailed) << planted.out << planted.err;
  const std::string path = ReproPathOf(planted.out);
  EXPECT_EQ(path, out_dir + "/crash-points-0x1-durability.toml");
  EXPECT_THAT(ReadWholeFile(path), HasSubstr("\ncrashes = 0\ncrash_at_io = ["));
  Result replay = Run({"replay", path});
  EXPECT_EQ(replay.exit_code, kExitOk) << replay.out << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("same build: trace hash matches\n"));
}

}  // namespace
}  // namespace northstar::tools
