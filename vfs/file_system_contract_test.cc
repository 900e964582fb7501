// The FileSystem contract (vfs/file_system.h), checked against every backend with the same calls
// and the same exact status codes: a backend that passes here behaves like the others as far as
// the engine can tell. Backend-specific behaviour (error texts, on-disk bytes) is tested beside
// each backend instead.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/assert.h"
#include "util/random.h"
#include "util/status.h"
#include "util/testing.h"
#include "vfs/counting.h"
#include "vfs/file_system.h"
#include "vfs/posix.h"
#include "vfs/sim_disk.h"
#include "vfs/uring.h"

namespace northstar::vfs {
namespace {

using ::absl::StatusCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A fresh, empty file system for one test. `owner` keeps alive whatever `fs` needs (a wrapped
// backend, a temporary directory); it is declared first so that it is destroyed after `fs`.
struct FreshFileSystem {
  std::shared_ptr<void> owner;
  std::unique_ptr<FileSystem> fs;
  // An existing, empty directory to put the test's files in.
  std::string root;
  // Set, with fs null, when the backend cannot run on this machine: why the tests are skipped.
  std::string skip_reason;
};

struct Backend {
  std::string name;  // Also the test name suffix: letters, digits and '_' only.
  std::function<FreshFileSystem()> make;
};

void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

FreshFileSystem MakePosix() {
  auto dir = std::make_shared<ScopedTempDir>("northstar_vfs_contract");
  return {dir, std::make_unique<PosixFileSystem>(), dir->path()};
}

FreshFileSystem MakeCountingOverPosix() {
  struct Owner {
    ScopedTempDir dir{"northstar_vfs_contract"};
    PosixFileSystem posix;
  };
  auto owner = std::make_shared<Owner>();
  return {owner, std::make_unique<CountingFileSystem>(&owner->posix), owner->dir.path()};
}

FreshFileSystem MakeSimDisk() {
  // Faults off: the simulated disk must then behave exactly like a real one.
  return {nullptr, std::make_unique<SimDisk>(SimDiskOptions{}, /*seed=*/42), "/db"};
}

FreshFileSystem MakeSimDisk512() {
  return {nullptr, std::make_unique<SimDisk>(SimDiskOptions{.sector_size_bytes = 512}, 7), "/db"};
}

FreshFileSystem MakeUring(UringOptions options) {
  absl::StatusOr<std::unique_ptr<UringFileSystem>> uring = UringFileSystem::Create(options);
  if (!uring.ok()) return {.skip_reason = uring.status().ToString()};
  auto dir = std::make_shared<ScopedTempDir>("northstar_vfs_contract");
  return {dir, *std::move(uring), dir->path()};
}

// The backends the contract runs against. Every test below must pass unchanged on each one.
std::vector<Backend> ContractBackends() {
  return {
      {"posix", MakePosix},
      {"counting_over_posix", MakeCountingOverPosix},
      {"sim_disk", MakeSimDisk},
      {"sim_disk_512", MakeSimDisk512},
      {"uring", [] { return MakeUring({}); }},
      // Every call longer than 4 KiB takes several requests, and the 1 MiB test many batches.
      {"uring_small_requests",
       [] { return MakeUring({.queue_depth = 4, .request_size_max_bytes = 4096}); }},
  };
}

// Up to `size_bytes` bytes at `offset_bytes`, as a string (shorter at the end of the file).
absl::StatusOr<std::string> Read(File& file, uint64_t offset_bytes, size_t size_bytes) {
  std::string buffer(size_bytes, '\0');
  NS_ASSIGN_OR_RETURN(const size_t read_bytes, file.pread(offset_bytes, AsWritableBytes(buffer)));
  buffer.resize(read_bytes);
  return buffer;
}

absl::StatusOr<std::string> ReadAll(File& file) {
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, file.size());
  return Read(file, 0, static_cast<size_t>(size_bytes));
}

class FileSystemContractTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    fresh_ = GetParam().make();
    if (!fresh_.skip_reason.empty()) GTEST_SKIP() << fresh_.skip_reason;
    ASSERT_NE(fresh_.fs, nullptr);
  }

  FileSystem& fs() { return *fresh_.fs; }
  const std::string& root() const { return fresh_.root; }
  std::string path(std::string_view name) const { return absl::StrFormat("%s/%s", root(), name); }

  absl::StatusOr<std::unique_ptr<File>> open(std::string_view name, OpenOptions options = {}) {
    return fs().open(path(name), options);
  }
  absl::StatusOr<std::unique_ptr<File>> create(std::string_view name) {
    return open(name, {.create = true});
  }
  absl::StatusOr<std::vector<std::string>> list() { return fs().list(root()); }

 private:
  FreshFileSystem fresh_;
};

TEST_P(FileSystemContractTest, OpenMissingWithoutCreateIsNotFound) {
  const absl::StatusOr<std::unique_ptr<File>> file = open("missing");
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound) << file.status();
  EXPECT_THAT(file.status().message(), HasSubstr(path("missing")));
  ASSERT_OK_AND_ASSIGN(const bool exists, fs().exists(path("missing")));
  EXPECT_FALSE(exists);
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> names, list());
  EXPECT_THAT(names, IsEmpty());
}

TEST_P(FileSystemContractTest, CreateThenReopenKeepsContent) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  EXPECT_EQ(file->path(), path("db"));
  ASSERT_OK_AND_ASSIGN(const bool exists, fs().exists(path("db")));
  EXPECT_TRUE(exists);
  ASSERT_OK(file->pwrite(0, AsBytes("hello")));
  ASSERT_OK(file->close());

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> reopened, open("db"));
  EXPECT_EQ(ReadAll(*reopened).value_or("<error>"), "hello");
  // Create without exclusive opens an existing file as it is: it does not truncate.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> recreated, create("db"));
  EXPECT_EQ(ReadAll(*recreated).value_or("<error>"), "hello");
}

TEST_P(FileSystemContractTest, CreateExclusiveOnExistingIsAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, open("db", {.create = true, .exclusive = true}));
  ASSERT_OK(file->pwrite(0, AsBytes("kept")));

  const absl::StatusOr<std::unique_ptr<File>> again =
      open("db", {.create = true, .exclusive = true});
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr(path("db")));
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), "kept");
}

TEST_P(FileSystemContractTest, ExclusiveWithoutCreateIsInvalidArgument) {
  const absl::StatusOr<std::unique_ptr<File>> file = open("db", {.exclusive = true});
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument) << file.status();
  EXPECT_THAT(file.status().message(), HasSubstr(path("db")));
}

TEST_P(FileSystemContractTest, EmptyWritePastTheEndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(0, AsBytes("abc")));
  ASSERT_OK(file->pwrite(100, {}));
  EXPECT_EQ(file->size().value_or(0), 3u);
}

TEST_P(FileSystemContractTest, WriteReadRoundTrip) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(0, AsBytes("hello world")));
  EXPECT_EQ(Read(*file, 0, 11).value_or("<error>"), "hello world");
  ASSERT_OK(file->pwrite(6, AsBytes("WORLD")));
  EXPECT_EQ(Read(*file, 0, 11).value_or("<error>"), "hello WORLD");
  EXPECT_EQ(Read(*file, 3, 4).value_or("<error>"), "lo W");
}

TEST_P(FileSystemContractTest, ReadAtOrPastEndReturnsZeroAndAcrossEndIsShort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  EXPECT_EQ(Read(*file, 0, 4).value_or("<error>"), "");
  ASSERT_OK(file->pwrite(0, AsBytes("abcdef")));
  EXPECT_EQ(Read(*file, 6, 4).value_or("<error>"), "");
  EXPECT_EQ(Read(*file, 100, 4).value_or("<error>"), "");
  EXPECT_EQ(Read(*file, 4, 10).value_or("<error>"), "ef");
  EXPECT_EQ(Read(*file, 2, 0).value_or("<error>"), "");
}

TEST_P(FileSystemContractTest, WritePastEndZeroFillsTheGap) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(3, AsBytes("ab")));
  ASSERT_OK(file->pwrite(10, AsBytes("cd")));
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), std::string("\0\0\0ab\0\0\0\0\0cd", 12));
}

TEST_P(FileSystemContractTest, SizeFollowsWritesThroughEveryHandle) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  EXPECT_EQ(file->size().value_or(999), 0u);
  ASSERT_OK(file->pwrite(0, AsBytes("abc")));
  EXPECT_EQ(file->size().value_or(999), 3u);
  ASSERT_OK(file->pwrite(1, AsBytes("xy")));  // Inside: no growth.
  EXPECT_EQ(file->size().value_or(999), 3u);
  ASSERT_OK(file->pwrite(9, AsBytes("z")));
  EXPECT_EQ(file->size().value_or(999), 10u);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> other, open("db"));
  EXPECT_EQ(other->size().value_or(999), 10u);
}

TEST_P(FileSystemContractTest, TruncateShrinksAndGrowsWithZeros) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(0, AsBytes("abcdefgh")));
  ASSERT_OK(file->truncate(3));
  EXPECT_EQ(file->size().value_or(999), 3u);
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), "abc");
  EXPECT_EQ(Read(*file, 3, 5).value_or("<error>"), "");
  // Growing again reads zeros, not the bytes that were cut off.
  ASSERT_OK(file->truncate(8));
  EXPECT_EQ(file->size().value_or(999), 8u);
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), std::string("abc\0\0\0\0\0", 8));
  ASSERT_OK(file->truncate(8));
  EXPECT_EQ(file->size().value_or(999), 8u);
  ASSERT_OK(file->truncate(0));
  EXPECT_EQ(file->size().value_or(999), 0u);
}

TEST_P(FileSystemContractTest, TwoHandlesSeeEachOthersWrites) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> first, create("db"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> second, open("db"));
  ASSERT_OK(first->pwrite(0, AsBytes("one")));
  EXPECT_EQ(ReadAll(*second).value_or("<error>"), "one");
  ASSERT_OK(second->pwrite(3, AsBytes("two")));
  EXPECT_EQ(ReadAll(*first).value_or("<error>"), "onetwo");
  ASSERT_OK(second->truncate(2));
  EXPECT_EQ(first->size().value_or(999), 2u);
  // Closing one handle leaves the other usable.
  ASSERT_OK(second->close());
  EXPECT_EQ(ReadAll(*first).value_or("<error>"), "on");
}

TEST_P(FileSystemContractTest, RenameReplacesTargetAndRemovesOldName) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> source, create("from"));
  ASSERT_OK(source->pwrite(0, AsBytes("new")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> target, create("to"));
  ASSERT_OK(target->pwrite(0, AsBytes("old content")));

  ASSERT_OK(fs().rename(path("from"), path("to")));
  ASSERT_OK_AND_ASSIGN(const bool from_exists, fs().exists(path("from")));
  EXPECT_FALSE(from_exists);
  EXPECT_EQ(open("from").status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> renamed, open("to"));
  EXPECT_EQ(ReadAll(*renamed).value_or("<error>"), "new");
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> names, list());
  EXPECT_THAT(names, ElementsAre("to"));

  // Handles follow files, not names: the moved file's handle writes to the new name, and the
  // replaced file stays readable through the handle that was open on it.
  ASSERT_OK(source->pwrite(3, AsBytes("er")));
  EXPECT_EQ(ReadAll(*renamed).value_or("<error>"), "newer");
  EXPECT_EQ(ReadAll(*target).value_or("<error>"), "old content");
}

TEST_P(FileSystemContractTest, RenameMissingIsNotFound) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> target, create("to"));
  ASSERT_OK(target->pwrite(0, AsBytes("untouched")));
  const absl::Status status = fs().rename(path("missing"), path("to"));
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr(path("missing")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> reopened, open("to"));
  EXPECT_EQ(ReadAll(*reopened).value_or("<error>"), "untouched");
  EXPECT_EQ(fs().rename(path("missing"), path("new")).code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(const bool new_exists, fs().exists(path("new")));
  EXPECT_FALSE(new_exists);
}

TEST_P(FileSystemContractTest, RemoveThenExistsIsFalseAndOpenIsNotFound) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->close());
  ASSERT_OK(fs().remove(path("db")));
  ASSERT_OK_AND_ASSIGN(const bool exists, fs().exists(path("db")));
  EXPECT_FALSE(exists);
  EXPECT_EQ(open("db").status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> names, list());
  EXPECT_THAT(names, IsEmpty());
}

TEST_P(FileSystemContractTest, RemoveMissingIsNotFound) {
  const absl::Status status = fs().remove(path("missing"));
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr(path("missing")));
}

TEST_P(FileSystemContractTest, OpenHandleStillReadsAfterItsNameIsRemoved) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(0, AsBytes("still here")));
  ASSERT_OK(fs().remove(path("db")));
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), "still here");
  ASSERT_OK(file->pwrite(10, AsBytes("!")));
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), "still here!");
  // The name is free again, for a new and empty file.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> fresh,
                       open("db", {.create = true, .exclusive = true}));
  EXPECT_EQ(fresh->size().value_or(999), 0u);
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), "still here!");
}

TEST_P(FileSystemContractTest, ListIsSortedBytewiseAndExact) {
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> empty, list());
  EXPECT_THAT(empty, IsEmpty());
  // "\xc3\xa9" (é in UTF-8) sorts last only if bytes compare unsigned.
  for (const std::string_view name : {"b", "\xc3\xa9", "a", "B", "ab", "a0"}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create(name));
  }
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> created, list());
  EXPECT_THAT(created, ElementsAre("B", "a", "a0", "ab", "b", "\xc3\xa9"));

  ASSERT_OK(fs().rename(path("b"), path("c")));
  ASSERT_OK(fs().rename(path("ab"), path("a")));
  ASSERT_OK(fs().remove(path("a0")));
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> changed, list());
  EXPECT_THAT(changed, ElementsAre("B", "a", "c", "\xc3\xa9"));
}

TEST_P(FileSystemContractTest, SyncAndSyncDirSucceed) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->sync());  // Nothing written yet.
  ASSERT_OK(file->pwrite(0, AsBytes("durable")));
  ASSERT_OK(file->sync());
  ASSERT_OK(file->truncate(3));
  ASSERT_OK(file->sync());
  ASSERT_OK(fs().sync_dir(DirectoryOf(file->path())));
  ASSERT_OK(fs().sync_dir(root()));
  EXPECT_EQ(ReadAll(*file).value_or("<error>"), "dur");
}

TEST_P(FileSystemContractTest, EveryCallAfterCloseIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(0, AsBytes("data")));
  ASSERT_OK(file->close());

  std::string buffer(4, '\0');
  const std::vector<absl::Status> statuses = {
      file->pread(0, AsWritableBytes(buffer)).status(),
      file->pwrite(0, AsBytes("x")),
      file->size().status(),
      file->truncate(0),
      file->sync(),
      file->map_read_only().status(),
      file->close(),
  };
  for (const absl::Status& status : statuses) {
    EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status;
    EXPECT_THAT(status.message(), HasSubstr(path("db")));
  }
  EXPECT_EQ(file->path(), path("db"));
  // Closing released the handle only: the file and its content are still there.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> reopened, open("db"));
  EXPECT_EQ(ReadAll(*reopened).value_or("<error>"), "data");
}

TEST_P(FileSystemContractTest, RangesPastTheSizeLimitAreInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  std::string buffer(4, '\0');
  // Ending exactly at the limit is allowed (and reads nothing); one byte further is not.
  EXPECT_EQ(file->pread(kFileSizeMaxBytes - 4, AsWritableBytes(buffer)).value_or(999), 0u);

  constexpr uint64_t kOffsetsRejected[] = {kFileSizeMaxBytes - 3, kFileSizeMaxBytes + 1,
                                           std::numeric_limits<uint64_t>::max()};
  for (const uint64_t offset_bytes : kOffsetsRejected) {
    const absl::Status read_status = file->pread(offset_bytes, AsWritableBytes(buffer)).status();
    EXPECT_EQ(read_status.code(), StatusCode::kInvalidArgument) << read_status;
    EXPECT_THAT(read_status.message(), HasSubstr(path("db")));
    const absl::Status write_status = file->pwrite(offset_bytes, AsBytes("abcd"));
    EXPECT_EQ(write_status.code(), StatusCode::kInvalidArgument) << write_status;
    EXPECT_THAT(write_status.message(), HasSubstr(path("db")));
  }
  const absl::Status truncate_status = file->truncate(kFileSizeMaxBytes + 1);
  EXPECT_EQ(truncate_status.code(), StatusCode::kInvalidArgument) << truncate_status;
  // Rejected calls change nothing.
  EXPECT_EQ(file->size().value_or(999), 0u);
}

TEST_P(FileSystemContractTest, ReadExactPastTheEndIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(0, AsBytes("abc")));
  std::string buffer(3, '\0');
  ASSERT_OK(ReadExact(*file, 0, AsWritableBytes(buffer)));
  EXPECT_EQ(buffer, "abc");

  std::string too_long(5, '\0');
  const absl::Status status = ReadExact(*file, 0, AsWritableBytes(too_long));
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path("db")));
  std::string past_end(1, '\0');
  EXPECT_EQ(ReadExact(*file, 3, AsWritableBytes(past_end)).code(), StatusCode::kDataLoss);
}

TEST_P(FileSystemContractTest, LargeUnalignedWriteRoundTrips) {
  constexpr size_t kDataBytes = size_t{1} << 20;
  constexpr uint64_t kOffsetBytes = 3 * 4096 + 17;  // Unaligned to any sector size.
  std::string data(kDataBytes, '\0');
  Rng rng(/*seed=*/0x5eed);
  for (char& byte : data) byte = static_cast<char>(rng.Next());

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK(file->pwrite(kOffsetBytes, AsBytes(data)));
  ASSERT_OK(file->sync());
  EXPECT_EQ(file->size().value_or(999), kOffsetBytes + kDataBytes);
  ASSERT_OK_AND_ASSIGN(const std::string read_back, Read(*file, kOffsetBytes, kDataBytes));
  EXPECT_TRUE(read_back == data) << "1 MiB round trip differs";
  ASSERT_OK_AND_ASSIGN(const std::string gap, Read(*file, 0, kOffsetBytes));
  EXPECT_EQ(gap, std::string(kOffsetBytes, '\0'));
  // A slice that starts and ends inside sectors.
  ASSERT_OK_AND_ASSIGN(const std::string slice, Read(*file, kOffsetBytes + 5000, 10000));
  EXPECT_TRUE(slice == data.substr(5000, 10000)) << "unaligned slice differs";
}

std::string ViewText(const FileMapping& mapping) {
  const std::span<const uint8_t> bytes = mapping.bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

TEST_P(FileSystemContractTest, MapReadOnlySeesTheWholeFileAndOutlivesTheHandleAndTheName) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, create("db"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FileMapping> empty, file->map_read_only());
  EXPECT_TRUE(empty->bytes().empty());

  // More than one page, unaligned, so that a mapping's length and tail are exercised.
  std::string data(3 * 4096 + 5, '\0');
  Rng rng(/*seed=*/0x3a9);
  for (char& byte : data) byte = static_cast<char>(rng.Next());
  ASSERT_OK(file->pwrite(0, AsBytes(data)));
  ASSERT_OK(file->sync());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FileMapping> mapping, file->map_read_only());
  ASSERT_OK(file->close());
  ASSERT_OK(fs().rename(path("db"), path("db.old")));
  ASSERT_OK(fs().remove(path("db.old")));
  EXPECT_EQ(mapping->bytes().size(), data.size());
  EXPECT_TRUE(ViewText(*mapping) == data) << "the mapped bytes differ from the written ones";
}

TEST_P(FileSystemContractTest, MapReadOnlyOfAReplacedNameKeepsTheOldContent) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> old_file, create("cartridge"));
  ASSERT_OK(old_file->pwrite(0, AsBytes("old content")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FileMapping> old_view, old_file->map_read_only());

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> new_file, create("cartridge.tmp"));
  ASSERT_OK(new_file->pwrite(0, AsBytes("new")));
  ASSERT_OK(new_file->sync());
  ASSERT_OK(fs().rename(path("cartridge.tmp"), path("cartridge")));
  EXPECT_EQ(ViewText(*old_view), "old content");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> reopened, open("cartridge"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FileMapping> new_view, reopened->map_read_only());
  EXPECT_EQ(ViewText(*new_view), "new");
}

INSTANTIATE_TEST_SUITE_P(Backends, FileSystemContractTest, testing::ValuesIn(ContractBackends()),
                         [](const testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace northstar::vfs
