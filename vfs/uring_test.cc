// UringFileSystem beyond the shared contract (file_system_contract_test.cc): why it is
// unavailable, kernel errors mapped exactly as posix maps them, calls split into many requests,
// several threads on one ring, and files that outlive their file system.
//
// Tests that need a working io_uring skip, with Create()'s message, where the kernel or a
// seccomp filter refuses it; the tests of the refusal itself run everywhere.
#include "vfs/uring.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/assert.h"
#include "util/random.h"
#include "util/status.h"
#include "util/testing.h"
#include "vfs/posix.h"

namespace northstar::vfs {
namespace {

using ::absl::StatusCode;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(UringUnavailableErrorTest, NamesTheCallTheErrnoAndTheLikelyCause) {
  const absl::Status status = UringUnavailableError("io_uring_queue_init(64 entries)", EPERM);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "io_uring unavailable: io_uring_queue_init(64 entries): Operation not permitted "
            "(io_uring is disabled by the sysctl kernel.io_uring_disabled, or a seccomp filter "
            "(such as Docker's default profile) refuses it); use the posix backend");
  EXPECT_THAT(UringUnavailableError("x", ENOSYS).message(), HasSubstr("kernel lacks io_uring"));
  EXPECT_THAT(UringUnavailableError("x", ENOMEM).message(), HasSubstr("ulimit -l"));
  EXPECT_THAT(UringUnavailableError("x", EBADF).message(),
              HasSubstr(absl::StrFormat("x: %s (", std::strerror(EBADF))));
}

TEST(UringOptionsTest, OutOfRangeIsInvalidArgument) {
  const UringOptions rejected[] = {
      {.queue_depth = 0},
      {.queue_depth = kUringQueueDepthMax + 1},
      {.request_size_max_bytes = kUringRequestSizeMinBytes - 1},
      {.request_size_max_bytes = kUringRequestSizeMaxBytes + 1},
  };
  for (const UringOptions& options : rejected) {
    const absl::Status status = UringFileSystem::Create(options).status();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(status.message(), HasSubstr("is outside"));
  }
}

// Runs UringFileSystem::Create() in a child process whose seccomp filter makes the system call
// `syscall_number` fail with `error_number`, as Docker's default profile does for io_uring.
// Returns "<code>|<message>" of the status the child saw, or "" if the child could not install
// the filter.
std::string CreateUnderSeccompRefusal(long syscall_number, int error_number) {
  int pipe_fds[2];
  NS_ASSERT(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  NS_ASSERT(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    // Only the syscall number is checked: the filter lives in this throwaway child.
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(syscall_number), 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | (static_cast<uint32_t>(error_number) & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const sock_fprog program = {.len = std::size(filter), .filter = filter};
    std::string report;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0) {
      const absl::Status status = UringFileSystem::Create().status();
      report = absl::StrFormat("%d|%s", static_cast<int>(status.code()), status.message());
    }
    const bool written =
        ::write(pipe_fds[1], report.data(), report.size()) == static_cast<ssize_t>(report.size());
    ::_exit(written ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[512];
  for (;;) {
    const ssize_t read_bytes = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (read_bytes < 0 && errno == EINTR) continue;
    NS_ASSERT(read_bytes >= 0);
    if (read_bytes == 0) break;
    report.append(buffer, static_cast<size_t>(read_bytes));
  }
  ::close(pipe_fds[0]);
  int wait_status = 0;
  NS_ASSERT(::waitpid(child, &wait_status, 0) == child);
  NS_ASSERT(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
  return report;
}

TEST(UringRefusedTest, SeccompEpermFailsCreateWithTheCause) {
  const std::string report = CreateUnderSeccompRefusal(__NR_io_uring_setup, EPERM);
  if (report.empty()) GTEST_SKIP() << "this sandbox does not let a process install seccomp filters";
  EXPECT_EQ(report, absl::StrFormat(
                        "%d|%s", static_cast<int>(StatusCode::kFailedPrecondition),
                        UringUnavailableError("io_uring_queue_init(64 entries)", EPERM).message()));
}

TEST(UringRefusedTest, SeccompEnosysFailsCreateWithTheCause) {
  const std::string report = CreateUnderSeccompRefusal(__NR_io_uring_setup, ENOSYS);
  if (report.empty()) GTEST_SKIP() << "this sandbox does not let a process install seccomp filters";
  EXPECT_THAT(report,
              StartsWith(absl::StrFormat(
                  "%d|io_uring unavailable: io_uring_queue_init(64 entries): %s",
                  static_cast<int>(StatusCode::kFailedPrecondition), std::strerror(ENOSYS))));
  EXPECT_THAT(report, HasSubstr("use the posix backend"));
}

// Some filters let the ring be set up but refuse io_uring_enter: Create() still fails cleanly.
TEST(UringRefusedTest, SeccompRefusingEnterFailsCreateWithTheCause) {
  // Where io_uring_setup is refused already, Create() never gets as far as io_uring_enter.
  const absl::Status available = UringFileSystem::Create().status();
  if (!available.ok()) GTEST_SKIP() << available;
  const std::string report = CreateUnderSeccompRefusal(__NR_io_uring_enter, EPERM);
  if (report.empty()) GTEST_SKIP() << "this sandbox does not let a process install seccomp filters";
  EXPECT_EQ(report,
            absl::StrFormat("%d|%s", static_cast<int>(StatusCode::kFailedPrecondition),
                            UringUnavailableError("io_uring_submit(NOP)", EPERM).message()));
}

class UringFileSystemTest : public testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<UringFileSystem>> created = UringFileSystem::Create();
    if (!created.ok()) GTEST_SKIP() << created.status();
    fs_ = *std::move(created);
  }

  std::string path(std::string_view name) const {
    return absl::StrFormat("%s/%s", dir_.path(), name);
  }

  ScopedTempDir dir_{"northstar_vfs_uring"};
  std::unique_ptr<UringFileSystem> fs_;
  PosixFileSystem posix_;
};

std::string RandomBytes(size_t size_bytes, uint64_t seed) {
  std::string bytes(size_bytes, '\0');
  Rng rng(seed);
  for (char& byte : bytes) byte = static_cast<char>(rng.Next());
  return bytes;
}

absl::StatusOr<std::string> Read(File& file, uint64_t offset_bytes, size_t size_bytes) {
  std::string buffer(size_bytes, '\0');
  NS_ASSIGN_OR_RETURN(const size_t read_bytes, file.pread(offset_bytes, AsWritableBytes(buffer)));
  buffer.resize(read_bytes);
  return buffer;
}

// /dev/full fails every write with ENOSPC: a kernel error that comes back in a completion.
TEST_F(UringFileSystemTest, KernelErrorsMatchPosixExactly) {
  constexpr std::string_view kDevice = "/dev/full";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> uring_file, fs_->open(kDevice, {}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> posix_file, posix_.open(kDevice, {}));

  const absl::Status write_status = uring_file->pwrite(0, AsBytes("x"));
  EXPECT_EQ(write_status.code(), StatusCode::kResourceExhausted) << write_status;
  EXPECT_EQ(write_status.message(), "pwrite /dev/full: No space left on device");
  EXPECT_EQ(write_status, posix_file->pwrite(0, AsBytes("x")));
  EXPECT_EQ(uring_file->sync(), posix_file->sync());
  EXPECT_EQ(Read(*uring_file, 0, 3).value_or("<error>"), std::string(3, '\0'));
}

TEST_F(UringFileSystemTest, CallsOnAClosedFileNameOperationAndPath) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs_->open(path("db"), {.create = true}));
  ASSERT_OK(file->close());
  std::string buffer(4, '\0');
  EXPECT_EQ(file->pread(0, AsWritableBytes(buffer)).status().message(),
            absl::StrFormat("pread %s: file is closed", path("db")));
  EXPECT_EQ(file->pwrite(0, AsBytes("x")).message(),
            absl::StrFormat("pwrite %s: file is closed", path("db")));
  EXPECT_EQ(file->sync().message(), absl::StrFormat("sync %s: file is closed", path("db")));
}

TEST_F(UringFileSystemTest, OpenErrorsAreThePosixOnes) {
  const absl::Status status = fs_->open(path("missing"), {}).status();
  EXPECT_EQ(status, posix_.open(path("missing"), {}).status());
  EXPECT_EQ(status.message(),
            absl::StrFormat("open %s: %s", path("missing"), std::strerror(ENOENT)));
}

// 512-byte requests and two in flight: a 100 KiB call takes 200 requests in 100 batches.
TEST_F(UringFileSystemTest, LongCallsAreSplitIntoManyRequests) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<UringFileSystem> small,
                       UringFileSystem::Create({.queue_depth = 2, .request_size_max_bytes = 512}));
  constexpr uint64_t kOffsetBytes = 1000;
  const std::string data = RandomBytes(100 * 1024 + 13, /*seed=*/1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, small->open(path("db"), {.create = true}));
  ASSERT_OK(file->pwrite(kOffsetBytes, AsBytes(data)));
  ASSERT_OK(file->sync());
  const uint64_t size_bytes = kOffsetBytes + data.size();
  EXPECT_EQ(file->size().value_or(0), size_bytes);
  EXPECT_TRUE(Read(*file, kOffsetBytes, data.size()).value_or("") == data);

  // Reads across the end stop at the request that returns 0 bytes, in any batch position.
  for (const uint64_t before_end : {uint64_t{1}, uint64_t{511}, uint64_t{512}, uint64_t{1537}}) {
    ASSERT_OK_AND_ASSIGN(const std::string tail, Read(*file, size_bytes - before_end, 4096));
    EXPECT_TRUE(tail == data.substr(data.size() - before_end)) << before_end;
  }

  std::ifstream stream(path("db"), std::ios::binary);
  const std::string on_disk((std::istreambuf_iterator<char>(stream)),
                            std::istreambuf_iterator<char>());
  EXPECT_TRUE(on_disk == std::string(kOffsetBytes, '\0') + data);
}

// Eight threads on one ring with room for four requests: each thread's completions are often
// reaped by another, and submitters wait for room.
TEST_F(UringFileSystemTest, ManyThreadsShareOneShallowRing) {
  constexpr size_t kThreads = 8;
  constexpr size_t kChunkBytes = 64 * 1024;
  constexpr int kReadsPerThread = 200;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<UringFileSystem> shallow,
                       UringFileSystem::Create({.queue_depth = 4, .request_size_max_bytes = 4096}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, shallow->open(path("db"), {.create = true}));
  const std::string data = RandomBytes(kThreads * kChunkBytes, /*seed=*/2);

  std::vector<absl::Status> statuses(kThreads);
  std::vector<std::thread> writers;
  for (size_t index = 0; index < kThreads; index++) {
    writers.emplace_back([&, index] {
      const std::string_view chunk =
          std::string_view(data).substr(index * kChunkBytes, kChunkBytes);
      statuses[index] = file->pwrite(index * kChunkBytes, AsBytes(chunk));
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (const absl::Status& status : statuses) ASSERT_OK(status);

  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> readers;
  for (size_t index = 0; index < kThreads; index++) {
    readers.emplace_back([&, index] {
      Rng rng(/*seed=*/100 + index);
      for (int read = 0; read < kReadsPerThread; read++) {
        const uint64_t offset_bytes = rng.Uniform(data.size());
        const size_t size_bytes = 1 + static_cast<size_t>(rng.Uniform(3 * 4096));
        const absl::StatusOr<std::string> got = Read(*file, offset_bytes, size_bytes);
        if (!got.ok() || *got != data.substr(offset_bytes, size_bytes)) mismatches[index]++;
      }
    });
  }
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

// A read of an empty FIFO stays in flight until someone writes to it. Meanwhile the ring must
// keep serving other threads: a waiter never holds up calls whose requests have completed.
TEST_F(UringFileSystemTest, ABlockedRequestDoesNotStallOtherThreads) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0) << std::strerror(errno);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> fifo, fs_->open(path("fifo"), {}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs_->open(path("db"), {.create = true}));
  ASSERT_OK(file->pwrite(0, AsBytes("data")));

  absl::StatusOr<std::string> fifo_read;
  std::thread blocked([&] { fifo_read = Read(*fifo, 0, 1); });
  absl::SleepFor(absl::Milliseconds(50));  // Let the FIFO read reach the kernel first.
  absl::Notification reads_done;
  int mismatches = 0;
  std::thread reader([&] {
    for (int read = 0; read < 100; read++) {
      if (Read(*file, 0, 4).value_or("") != "data") mismatches++;
    }
    reads_done.Notify();
  });
  const bool finished = reads_done.WaitForNotificationWithTimeout(absl::Seconds(10));
  // Release the FIFO read whatever happened, so that both threads end.
  const int writer_fd = ::open(path("fifo").c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(writer_fd, 0) << std::strerror(errno);
  ASSERT_EQ(::write(writer_fd, "!", 1), 1);
  ::close(writer_fd);
  blocked.join();
  reader.join();

  EXPECT_TRUE(finished) << "reads on a regular file waited for the blocked FIFO read";
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(fifo_read.value_or("<error>"), "!");
}

TEST_F(UringFileSystemTest, FilesOutliveTheirFileSystem) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> file, fs_->open(path("db"), {.create = true}));
  fs_.reset();
  ASSERT_OK(file->pwrite(0, AsBytes("still works")));
  ASSERT_OK(file->sync());
  EXPECT_EQ(Read(*file, 0, 64).value_or("<error>"), "still works");
  ASSERT_OK(file->close());
}

}  // namespace
}  // namespace northstar::vfs
