// PosixFileSystem beyond the shared contract (file_system_contract_test.cc): errno mapping and
// error texts, what actually reaches the disk, descriptors, and threads.
#include "vfs/posix.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/assert.h"
#include "util/status.h"
#include "util/testing.h"

namespace northstar::vfs {
namespace {

using ::absl::StatusCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PosixFileSystemTest : public testing::Test {
 protected:
  std::string path(std::string_view name) const {
    return absl::StrFormat("%s/%s", dir_.path(), name);
  }

  ScopedTempDir dir_{"northstar_vfs_posix"};
  PosixFileSystem fs_;
};

// The exact message PosixError promises for `error_number`.
std::string Message(std::string_view operation, std::string_view path, int error_number) {
  return absl::StrFormat("%s %s: %s", operation, path, std::strerror(error_number));
}

TEST(PosixErrorTest, MapsErrnoToStatusCodes) {
  const std::vector<std::pair<int, StatusCode>> cases = {
      {ENOENT, StatusCode::kNotFound},
      {EEXIST, StatusCode::kAlreadyExists},
      {ENOSPC, StatusCode::kResourceExhausted},
      {EDQUOT, StatusCode::kResourceExhausted},
      {EIO, StatusCode::kInternal},
      {EINVAL, StatusCode::kInvalidArgument},
      {ENAMETOOLONG, StatusCode::kInvalidArgument},
      {EACCES, StatusCode::kPermissionDenied},
      {EPERM, StatusCode::kPermissionDenied},
      {EBADF, absl::ErrnoToStatusCode(EBADF)},
  };
  for (const auto& [error_number, code] : cases) {
    const absl::Status status = PosixError("sync", "/db/log", error_number);
    EXPECT_EQ(status.code(), code) << std::strerror(error_number);
    EXPECT_EQ(status.message(), Message("sync", "/db/log", error_number));
  }
}

TEST(PosixErrorTest, MessageIsOperationPathAndStrerror) {
  EXPECT_EQ(PosixError("open", "/tmp/x/db.ns", ENOENT).message(),
            "open /tmp/x/db.ns: No such file or directory");
}

TEST_F(PosixFileSystemTest, ErrorsNameOperationPathAndStrerror) {
  const absl::Status open_status = fs_.open(path("missing"), {}).status();
  EXPECT_EQ(open_status.message(), Message("open", path("missing"), ENOENT));
  EXPECT_EQ(fs_.remove(path("missing")).message(), Message("remove", path("missing"), ENOENT));
  EXPECT_EQ(fs_.list(path("missing")).status().message(), Message("list", path("missing"), ENOENT));
  EXPECT_EQ(fs_.sync_dir(path("missing")).message(), Message("sync_dir", path("missing"), ENOENT));

  const absl::Status rename_status = fs_.rename(path("missing"), path("to"));
  EXPECT_THAT(rename_status.message(), HasSubstr("rename"));
  EXPECT_THAT(rename_status.message(), HasSubstr(path("missing")));
  EXPECT_THAT(rename_status.message(), HasSubstr(path("to")));
  EXPECT_THAT(rename_status.message(), HasSubstr(std::strerror(ENOENT)));

  ASSERT_OK(fs_.open(path("db"), {.create = true}).status());
  const absl::Status exists_status = fs_.exists(path("db/under_a_file")).status();
  EXPECT_FALSE(exists_status.ok());
  EXPECT_EQ(exists_status.message(), Message("exists", path("db/under_a_file"), ENOTDIR));
}

TEST_F(PosixFileSystemTest, OpenInMissingDirectoryIsNotFound) {
  const absl::Status status = fs_.open(path("no_such_dir/db"), {.create = true}).status();
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr(path("no_such_dir/db")));
}

TEST_F(PosixFileSystemTest, ListOrSyncDirOnMissingDirectoryIsNotFound) {
  EXPECT_EQ(fs_.list(path("missing")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_.sync_dir(path("missing")).code(), StatusCode::kNotFound);
}

TEST_F(PosixFileSystemTest, ListIncludesEveryEntryKind) {
  ASSERT_TRUE(std::filesystem::create_directory(path("subdir")));
  ASSERT_OK(fs_.open(path("file"), {.create = true}).status());
  ASSERT_OK_AND_ASSIGN(const std::vector<std::string> names, fs_.list(dir_.path()));
  EXPECT_THAT(names, ElementsAre("file", "subdir"));
}

TEST_F(PosixFileSystemTest, SyncedWritesAreOnDisk) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs_.open(path("db"), {.create = true}));
  ASSERT_OK(file->pwrite(2, AsBytes("on disk")));
  ASSERT_OK(file->sync());
  ASSERT_OK(fs_.sync_dir(dir_.path()));

  std::ifstream stream(path("db"), std::ios::binary);
  ASSERT_TRUE(stream.good());
  const std::string content((std::istreambuf_iterator<char>(stream)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(content, std::string("\0\0on disk", 9));

  ASSERT_OK(file->truncate(4));
  EXPECT_EQ(std::filesystem::file_size(path("db")), 4u);
}

TEST_F(PosixFileSystemTest, CreatesFilesWithMode0644) {
  const mode_t umask_bits = ::umask(0);
  ::umask(umask_bits);
  ASSERT_OK(fs_.open(path("db"), {.create = true}).status());
  struct stat info {};
  ASSERT_EQ(::stat(path("db").c_str(), &info), 0) << std::strerror(errno);
  EXPECT_EQ(info.st_mode & 0777, 0644u & ~umask_bits);
}

size_t OpenDescriptorCount() {
  std::error_code error;
  const std::filesystem::directory_iterator entries("/proc/self/fd", error);
  NS_ASSERT_MSG(!error, error.message());
  return static_cast<size_t>(std::distance(begin(entries), end(entries)));
}

TEST_F(PosixFileSystemTest, DestructorAndCloseReleaseTheDescriptor) {
  const size_t descriptors_before = OpenDescriptorCount();
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> kept, fs_.open(path("a"), {.create = true}));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> closed, fs_.open(path("b"), {.create = true}));
    EXPECT_EQ(OpenDescriptorCount(), descriptors_before + 2);
    ASSERT_OK(closed->close());
    EXPECT_EQ(OpenDescriptorCount(), descriptors_before + 1);
  }
  EXPECT_EQ(OpenDescriptorCount(), descriptors_before);
}

TEST_F(PosixFileSystemTest, ConcurrentWritesAtDisjointRanges) {
  constexpr size_t kThreads = 4;
  constexpr size_t kChunkBytes = 64 * 1024;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs_.open(path("db"), {.create = true}));
  std::vector<absl::Status> statuses(kThreads);
  std::vector<std::thread> threads;
  for (size_t index = 0; index < kThreads; index++) {
    threads.emplace_back([&, index] {
      const std::string chunk(kChunkBytes, static_cast<char>('a' + index));
      statuses[index] = file->pwrite(index * kChunkBytes, AsBytes(chunk));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : statuses) ASSERT_OK(status);

  std::string content(kThreads * kChunkBytes, '\0');
  ASSERT_OK(ReadExact(*file, 0, {reinterpret_cast<uint8_t*>(content.data()), content.size()}));
  for (size_t index = 0; index < kThreads; index++) {
    EXPECT_EQ(content.substr(index * kChunkBytes, kChunkBytes),
              std::string(kChunkBytes, static_cast<char>('a' + index)));
  }
}

// map_read_only is a real mapping on this backend, not a copy: a write through another handle
// shows through (which is why callers must not change a mapped file; the contract says so).
TEST_F(PosixFileSystemTest, MapReadOnlyIsAMappingOfThePageCache) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs_.open(path("mapped"), {.create = true}));
  ASSERT_OK(file->pwrite(0, AsBytes("before")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FileMapping> mapping, file->map_read_only());
  ASSERT_OK(file->pwrite(0, AsBytes("AFTER!")));
  const std::span<const uint8_t> bytes = mapping->bytes();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "AFTER!");
}

}  // namespace
}  // namespace northstar::vfs
