// CountingFileSystem beyond the shared contract (file_system_contract_test.cc): what counts, under
// which path, and from several threads.
#include "vfs/counting.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "util/assert.h"
#include "util/status.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar::vfs {

// Readable failures for EXPECT_EQ on whole counters (found by argument-dependent lookup).
inline void PrintTo(const IoCounters& counters, std::ostream* out) {
  *out << "{opens=" << counters.opens << " reads=" << counters.reads
       << " writes=" << counters.writes << " syncs=" << counters.syncs
       << " truncates=" << counters.truncates << " dir_syncs=" << counters.dir_syncs
       << " bytes_read=" << counters.bytes_read << " bytes_written=" << counters.bytes_written
       << "}";
}

namespace {

class CountingFileSystemTest : public testing::Test {
 protected:
  std::string path(std::string_view name) const {
    return absl::StrFormat("%s/%s", dir_.path(), name);
  }

  ScopedTempDir dir_{"northstar_vfs_counting"};
  PosixFileSystem posix_;
  CountingFileSystem counting_{&posix_};
};

TEST_F(CountingFileSystemTest, CountsCallsAndBytesPerPathAndInTotal) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> a, counting_.open(path("a"), {.create = true}));
  ASSERT_OK(a->pwrite(0, AsBytes("0123456789")));
  ASSERT_OK(a->pwrite(10, AsBytes("abcde")));
  std::string buffer(8, '\0');
  ASSERT_OK(a->pread(0, AsWritableBytes(buffer)).status());
  ASSERT_OK(a->sync());
  ASSERT_OK(a->truncate(4));
  ASSERT_OK(a->size().status());  // Not counted.
  ASSERT_OK(a->close());          // Not counted.

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> b, counting_.open(path("b"), {.create = true}));
  ASSERT_OK(b->pwrite(0, AsBytes("xyz")));
  ASSERT_OK(counting_.sync_dir(dir_.path()));
  ASSERT_OK(counting_.list(dir_.path()).status());    // Not counted.
  ASSERT_OK(counting_.exists(path("a")).status());    // Not counted.
  ASSERT_OK(counting_.rename(path("b"), path("c")));  // Not counted.
  ASSERT_OK(b->pwrite(3, AsBytes("!")));              // Still counts under "b".

  const IoCounters a_expected = {.opens = 1,
                                 .reads = 1,
                                 .writes = 2,
                                 .syncs = 1,
                                 .truncates = 1,
                                 .bytes_read = 8,
                                 .bytes_written = 15};
  const IoCounters b_expected = {.opens = 1, .writes = 2, .bytes_written = 4};
  const IoCounters dir_expected = {.dir_syncs = 1};
  EXPECT_EQ(counting_.for_path(path("a")), a_expected);
  EXPECT_EQ(counting_.for_path(path("b")), b_expected);
  EXPECT_EQ(counting_.for_path(path("c")), IoCounters{});
  EXPECT_EQ(counting_.for_path(dir_.path()), dir_expected);
  EXPECT_EQ(counting_.for_path(path("never_touched")), IoCounters{});

  IoCounters total_expected = a_expected;
  total_expected += b_expected;
  total_expected += dir_expected;
  EXPECT_EQ(counting_.total(), total_expected);
}

TEST_F(CountingFileSystemTest, ShortReadCountsOnlyTheBytesRead) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, counting_.open(path("db"), {.create = true}));
  ASSERT_OK(file->pwrite(0, AsBytes("abc")));
  std::string buffer(100, '\0');
  ASSERT_OK(file->pread(1, AsWritableBytes(buffer)).status());
  ASSERT_OK(file->pread(50, AsWritableBytes(buffer)).status());
  const IoCounters counters = counting_.for_path(path("db"));
  EXPECT_EQ(counters.reads, 2u);
  EXPECT_EQ(counters.bytes_read, 2u);
}

TEST_F(CountingFileSystemTest, FailedCallsCountAsCallsButNotBytes) {
  EXPECT_FALSE(counting_.open(path("missing"), {}).ok());
  EXPECT_FALSE(counting_.sync_dir(path("missing_dir")).ok());
  EXPECT_EQ(counting_.for_path(path("missing")), IoCounters{.opens = 1});
  EXPECT_EQ(counting_.for_path(path("missing_dir")), IoCounters{.dir_syncs = 1});

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, counting_.open(path("db"), {.create = true}));
  std::string buffer(4, '\0');
  EXPECT_FALSE(file->pwrite(kFileSizeMaxBytes, AsBytes("abcd")).ok());
  EXPECT_FALSE(file->pread(kFileSizeMaxBytes, AsWritableBytes(buffer)).ok());
  EXPECT_FALSE(file->truncate(kFileSizeMaxBytes + 1).ok());
  ASSERT_OK(file->close());
  EXPECT_FALSE(file->pwrite(0, AsBytes("abcd")).ok());
  EXPECT_FALSE(file->pread(0, AsWritableBytes(buffer)).ok());
  EXPECT_FALSE(file->sync().ok());

  const IoCounters expected = {.opens = 1, .reads = 2, .writes = 2, .syncs = 1, .truncates = 1};
  EXPECT_EQ(counting_.for_path(path("db")), expected);
  EXPECT_EQ(counting_.total().bytes_read, 0u);
  EXPECT_EQ(counting_.total().bytes_written, 0u);
}

TEST_F(CountingFileSystemTest, ResetClearsAndOpenFilesKeepCounting) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, counting_.open(path("db"), {.create = true}));
  ASSERT_OK(file->pwrite(0, AsBytes("abc")));
  ASSERT_OK(counting_.sync_dir(dir_.path()));
  counting_.reset();
  EXPECT_EQ(counting_.total(), IoCounters{});
  EXPECT_EQ(counting_.for_path(path("db")), IoCounters{});
  EXPECT_EQ(counting_.for_path(dir_.path()), IoCounters{});

  ASSERT_OK(file->sync());
  EXPECT_EQ(counting_.for_path(path("db")), IoCounters{.syncs = 1});
  EXPECT_EQ(counting_.total(), IoCounters{.syncs = 1});
}

TEST_F(CountingFileSystemTest, CountsFromSeveralThreadsAtOnce) {
  constexpr size_t kThreads = 4;
  constexpr size_t kWritesPerThread = 200;
  constexpr size_t kChunkBytes = 16;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> shared, counting_.open(path("db"), {.create = true}));
  std::vector<std::thread> threads;
  for (size_t index = 0; index < kThreads; index++) {
    threads.emplace_back([&, index] {
      const std::string chunk(kChunkBytes, static_cast<char>('a' + index));
      for (size_t write_index = 0; write_index < kWritesPerThread; write_index++) {
        const uint64_t offset_bytes = (write_index * kThreads + index) * kChunkBytes;
        NS_ASSERT(shared->pwrite(offset_bytes, AsBytes(chunk)).ok());
      }
      // And one call each under the directory, a second path updated concurrently.
      NS_ASSERT(counting_.sync_dir(dir_.path()).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();

  const IoCounters expected = {.opens = 1,
                               .writes = kThreads * kWritesPerThread,
                               .bytes_written = kThreads * kWritesPerThread * kChunkBytes};
  EXPECT_EQ(counting_.for_path(path("db")), expected);
  EXPECT_EQ(counting_.for_path(dir_.path()).dir_syncs, kThreads);
}

}  // namespace
}  // namespace northstar::vfs
