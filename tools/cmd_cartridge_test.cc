// End to end: `northstar cartridge info|build|verify` on a real database, run with popen(),
// checking stdout, stderr and the exit code (0 ok, 1 a check failed, 2 bad usage or input).
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cartridge/cartridge_file.h"
#include "apps/task_keys.h"
#include "engine/db.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace task_keys = apps::task_keys;

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

class CartridgeCliTest : public testing::Test {
 protected:
  std::string db() const { return dir_.path() + "/tasks.ns"; }
  std::string cartridge() const { return dir_.path() + "/tasks.pending_tasks_by_type.cartridge"; }

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

  // Tasks 0..19: types build/test/lint by id % 3; 3, 4 and 5 claimed; 6 completed.
  void FillTasks() {
    vfs::PosixFileSystem fs;
    ASSERT_OK_AND_ASSIGN(auto database, engine::Db::open(fs, db(), {}));
    ASSERT_OK_AND_ASSIGN(auto txn, database->begin_write());
    const char* types[] = {"build", "test", "lint"};
    for (uint64_t id = 0; id < 20; id++) {
      ASSERT_OK(txn->put(task_keys::TaskKey(id), task_keys::TaskMetadata(types[id % 3], 1, "x")));
    }
    for (uint64_t id : {3, 4, 5}) ASSERT_OK(txn->put(task_keys::ClaimKey(id, 1), "100"));
    ASSERT_OK(txn->put(task_keys::CompletedKey(6), "200"));
    ASSERT_OK(txn->commit());
  }

  void CommitOneMoreTask() {
    vfs::PosixFileSystem fs;
    ASSERT_OK_AND_ASSIGN(auto database, engine::Db::open(fs, db(), {}));
    ASSERT_OK_AND_ASSIGN(auto txn, database->begin_write());
    ASSERT_OK(txn->put(task_keys::TaskKey(100), task_keys::TaskMetadata("deploy", 1, "x")));
    ASSERT_OK(txn->commit());
  }

  void FlipCartridgeByte(std::streamoff offset) {
    std::fstream file(cartridge(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(offset);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x40);
    file.seekp(offset);
    file.write(&byte, 1);
    ASSERT_TRUE(file.good());
  }

  ScopedTempDir dir_{"northstar_cartridge_cli"};
};

TEST_F(CartridgeCliTest, BuildInfoVerify) {
  ASSERT_NO_FATAL_FAILURE(FillTasks());
  const Result absent = Run({"cartridge", "info", db()});
  EXPECT_EQ(absent.exit_code, 0) << absent.err;
  EXPECT_THAT(absent.out, HasSubstr("state: absent ("));

  const Result built = Run({"cartridge", "build", db()});
  EXPECT_EQ(built.exit_code, 0) << built.err;
  EXPECT_THAT(built.out, HasSubstr("rebuilt " + cartridge() + " from a full scan at txn 1"));
  EXPECT_THAT(built.out, HasSubstr("before: absent"));
  EXPECT_THAT(built.out, HasSubstr("types: 3, pending tasks: 16"));
  const std::string first_bytes = ReadWholeFile(cartridge());

  const Result info = Run({"cartridge", "info", db()});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("state: fresh (watermark 1 is the database's latest commit)"));
  EXPECT_THAT(info.out, HasSubstr("watermark: txn 1\n"));
  // 64-byte header, 3 directory entries of 48 bytes, 16 ids of 8 bytes.
  EXPECT_THAT(info.out, HasSubstr(absl::StrFormat("file: %d bytes", 64 + 3 * 48 + 16 * 8)));
  // build 0 9 12 15 18 (3 claimed, 6 completed); lint 2 8 11 14 17 (5 claimed); test the rest.
  EXPECT_THAT(info.out, HasSubstr(absl::StrFormat("  %-32s %d\n", "build", 5)));
  EXPECT_THAT(info.out, HasSubstr(absl::StrFormat("  %-32s %d\n", "lint", 5)));
  EXPECT_THAT(info.out, HasSubstr(absl::StrFormat("  %-32s %d\n", "test", 6)));

  const Result verified = Run({"cartridge", "verify", db()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("compared with a scan of the database at txn 1\nok\n"));

  // Deterministic: a second build writes the same bytes.
  EXPECT_EQ(Run({"cartridge", "build", db()}).exit_code, 0);
  EXPECT_EQ(ReadWholeFile(cartridge()), first_bytes);
}

TEST_F(CartridgeCliTest, ACorruptCartridgeIsReportedAndRebuilt) {
  ASSERT_NO_FATAL_FAILURE(FillTasks());
  ASSERT_EQ(Run({"cartridge", "build", db()}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(FlipCartridgeByte(64 + 3 * 48 + 5));  // Inside the first id.

  const Result info = Run({"cartridge", "info", db()});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("state: corrupt (" + cartridge() +
                                  ": cartridge: body_crc at offset 36: stored 0x"));
  EXPECT_THAT(info.out, Not(HasSubstr("watermark:")));

  const Result verified = Run({"cartridge", "verify", db()});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_THAT(verified.out, HasSubstr("corrupt: " + cartridge() + ": cartridge: body_crc"));

  const Result rebuilt = Run({"cartridge", "build", db()});
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_THAT(rebuilt.out, HasSubstr("before: corrupt"));
  EXPECT_EQ(Run({"cartridge", "verify", db()}).exit_code, 0);

  // A truncated file, and a header byte.
  std::filesystem::resize_file(cartridge(), 100);
  EXPECT_THAT(Run({"cartridge", "verify", db()}).out,
              HasSubstr("cartridge: file_bytes at offset 16: 336, but the file has 100 bytes "
                        "(truncated)"));
  ASSERT_EQ(Run({"cartridge", "build", db()}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(FlipCartridgeByte(9));
  EXPECT_THAT(Run({"cartridge", "verify", db()}).out, HasSubstr("header_crc at offset 60"));
}

TEST_F(CartridgeCliTest, AStaleCartridgeFailsVerify) {
  ASSERT_NO_FATAL_FAILURE(FillTasks());
  ASSERT_EQ(Run({"cartridge", "build", db()}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(CommitOneMoreTask());
  const Result info = Run({"cartridge", "info", db()});
  EXPECT_THAT(info.out, HasSubstr("state: stale (watermark 1, database at 2: 1 commits behind)"));
  const Result verified = Run({"cartridge", "verify", db()});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_THAT(verified.out, HasSubstr("stale: watermark 1, database at 2"));
  ASSERT_EQ(Run({"cartridge", "build", db()}).exit_code, 0);
  const Result fresh = Run({"cartridge", "verify", db()});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.out;
}

// The planted bug: a well-formed cartridge (valid checksums) with one pending id dropped.
TEST_F(CartridgeCliTest, VerifyNamesTheDroppedId) {
  ASSERT_NO_FATAL_FAILURE(FillTasks());
  const cartridge::PendingTasks wrong = {
      {"build", {0, 9, 12, 15, 18}}, {"lint", {2, 8, 11, 14, 17}}, {"test", {1, 7, 10, 13, 16}}};
  vfs::PosixFileSystem fs;
  ASSERT_OK(cartridge::WriteCartridgeFile(fs, cartridge(),
                                                  cartridge::EncodeCartridge(1, wrong)));
  const Result verified = Run({"cartridge", "verify", db()});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_THAT(verified.out,
              HasSubstr("content differs from the database at txn 1: type \"test\": task 19 is "
                        "pending in the database but missing from the cartridge"));
}

TEST_F(CartridgeCliTest, BadUsageAndMissingDatabasesExitTwo) {
  const Result no_op = Run({"cartridge"});
  EXPECT_EQ(no_op.exit_code, 2);
  EXPECT_THAT(no_op.err, HasSubstr("missing operation: info, build or verify"));
  const Result unknown = Run({"cartridge", "frob", db()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown operation 'frob'"));
  EXPECT_EQ(Run({"cartridge", "info"}).exit_code, 2);
  const Result missing = Run({"cartridge", "verify", db()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("northstar cartridge: "));
  EXPECT_THAT(missing.out, IsEmpty());
  const Result help = Run({"cartridge", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("northstar cartridge verify <db>"));
}

}  // namespace
}  // namespace northstar
