// The replaced libc I/O entry points of the `northstar` executable (bench/peers/io_counter.h says
// what counts). Each definition counts, then calls the next definition of the same symbol
// (libc's, or a sanitizer's) found with dlsym(RTLD_NEXT), resolved on first use.
//
// Why in the executable: the dynamic linker looks a symbol up in the executable first, so these
// definitions also take the calls that liblmdb, libsqlite3 and librocksdb make through their
// PLT (the linker exports them because those libraries refer to them). Like
// bench/alloc_counter.cc, only the `northstar` executable and the tests that prove the counting
// link this file (tools/CMakeLists.txt, bench/peers/CMakeLists.txt).
//
// Which descriptors are synchronous: open/openat (and their 64-bit and fortified forms) mark the
// descriptor they return when the flags hold O_DSYNC (O_SYNC includes it on Linux); close
// unmarks it. Linux cannot add O_DSYNC later (F_SETFL ignores it), so marking at open sees them
// all. Not followed: dup/dup2/dup3 of a synchronous descriptor, and descriptors beyond the
// bitmap, which are asked with fcntl(F_GETFL) instead.
//
// Cost: a relaxed atomic add or two and, for writes, one bit test: nanoseconds, against the
// microseconds of a system call.
#undef _FORTIFY_SOURCE  // The fortified inline wrappers of open/read would clash with ours.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "bench/peers/io_counter.h"

namespace {

struct Counters {
  std::atomic<uint64_t> fsync_calls{0};
  std::atomic<uint64_t> fdatasync_calls{0};
  std::atomic<uint64_t> syncfs_calls{0};
  std::atomic<uint64_t> msync_sync_calls{0};
  std::atomic<uint64_t> sync_file_range_waits{0};
  std::atomic<uint64_t> sync_file_range_starts{0};
  std::atomic<uint64_t> dsync_writes{0};
  std::atomic<uint64_t> write_calls{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> read_calls{0};
  std::atomic<uint64_t> bytes_read{0};
};

// Constant-initialized: usable by I/O made before any dynamic initialization.
Counters g_counters;

// One bit per descriptor below kTrackedFds: opened with O_DSYNC.
constexpr int kTrackedFds = 1 << 20;
constexpr int kBitsPerWord = 64;
std::atomic<uint64_t> g_sync_fds[kTrackedFds / kBitsPerWord];

void Add(std::atomic<uint64_t>& counter, uint64_t amount = 1) {
  counter.fetch_add(amount, std::memory_order_relaxed);
}

[[noreturn]] void DieUnresolved(const char* name) {
  // No stdio here: we may be inside write() itself.
  static constexpr char kMessage[] = "northstar io_interpose: dlsym(RTLD_NEXT) found no ";
  (void)!syscall(SYS_write, 2, kMessage, sizeof kMessage - 1);
  (void)!syscall(SYS_write, 2, name, strlen(name));
  (void)!syscall(SYS_write, 2, "\n", 1);
  abort();
}

// The next definition of `name`, cached in `cache` (racing threads store the same value).
template <typename Function>
Function Next(std::atomic<void*>& cache, const char* name) {
  void* function = cache.load(std::memory_order_acquire);
  if (function == nullptr) [[unlikely]] {
    function = dlsym(RTLD_NEXT, name);
    if (function == nullptr) DieUnresolved(name);
    cache.store(function, std::memory_order_release);
  }
  return reinterpret_cast<Function>(function);
}

// NEXT(fsync)(fd): calls the definition after ours. `type` is the function's pointer type.
#define NEXT_AS(type, name)                             \
  ([]() {                                               \
    static constinit std::atomic<void*> cache{nullptr}; \
    return Next<type>(cache, #name);                    \
  }())
#define NEXT(name) NEXT_AS(decltype(&::name), name)

void MarkFd(int fd, int flags) {
  if (fd < 0 || fd >= kTrackedFds) return;
  const uint64_t bit = uint64_t{1} << (fd % kBitsPerWord);
  std::atomic<uint64_t>& word = g_sync_fds[fd / kBitsPerWord];
  if ((flags & O_DSYNC) != 0) {
    word.fetch_or(bit, std::memory_order_relaxed);
  } else {
    word.fetch_and(~bit, std::memory_order_relaxed);
  }
}

bool IsSyncFd(int fd) {
  if (fd < 0) return false;
  if (fd < kTrackedFds) {
    const uint64_t bit = uint64_t{1} << (fd % kBitsPerWord);
    return (g_sync_fds[fd / kBitsPerWord].load(std::memory_order_relaxed) & bit) != 0;
  }
  const int saved_errno = errno;
  const int flags = fcntl(fd, F_GETFL);
  errno = saved_errno;
  return flags >= 0 && (flags & O_DSYNC) != 0;
}

ssize_t CountWrite(int fd, ssize_t result) {
  Add(g_counters.write_calls);
  if (result > 0) Add(g_counters.bytes_written, static_cast<uint64_t>(result));
  if (IsSyncFd(fd)) Add(g_counters.dsync_writes);
  return result;
}

ssize_t CountRead(ssize_t result) {
  Add(g_counters.read_calls);
  if (result > 0) Add(g_counters.bytes_read, static_cast<uint64_t>(result));
  return result;
}

int CountOpen(int fd, int flags) {
  MarkFd(fd, flags);
  return fd;
}

bool TakesMode(int flags) { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

}  // namespace

extern "C" {

void northstar_bench_io_counts(northstar::bench::IoCounts* counts) {
  const auto get = [](const std::atomic<uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  *counts = {.fsync_calls = get(g_counters.fsync_calls),
             .fdatasync_calls = get(g_counters.fdatasync_calls),
             .syncfs_calls = get(g_counters.syncfs_calls),
             .msync_sync_calls = get(g_counters.msync_sync_calls),
             .sync_file_range_waits = get(g_counters.sync_file_range_waits),
             .sync_file_range_starts = get(g_counters.sync_file_range_starts),
             .dsync_writes = get(g_counters.dsync_writes),
             .write_calls = get(g_counters.write_calls),
             .bytes_written = get(g_counters.bytes_written),
             .read_calls = get(g_counters.read_calls),
             .bytes_read = get(g_counters.bytes_read)};
}

// Syncs.

int fsync(int fd) {
  Add(g_counters.fsync_calls);
  return NEXT(fsync)(fd);
}

int fdatasync(int fd) {
  Add(g_counters.fdatasync_calls);
  return NEXT(fdatasync)(fd);
}

int syncfs(int fd) noexcept {
  Add(g_counters.syncfs_calls);
  return NEXT(syncfs)(fd);
}

int msync(void* address, size_t length, int flags) {
  if ((flags & MS_SYNC) != 0) Add(g_counters.msync_sync_calls);
  return NEXT(msync)(address, length, flags);
}

int sync_file_range(int fd, off64_t offset, off64_t count, unsigned int flags) {
  Add((flags & SYNC_FILE_RANGE_WAIT_AFTER) != 0 ? g_counters.sync_file_range_waits
                                                : g_counters.sync_file_range_starts);
  return NEXT(sync_file_range)(fd, offset, count, flags);
}

// Writes.

ssize_t write(int fd, const void* buffer, size_t size_bytes) {
  return CountWrite(fd, NEXT(write)(fd, buffer, size_bytes));
}

ssize_t pwrite(int fd, const void* buffer, size_t size_bytes, off_t offset) {
  return CountWrite(fd, NEXT(pwrite)(fd, buffer, size_bytes, offset));
}

ssize_t pwrite64(int fd, const void* buffer, size_t size_bytes, off64_t offset) {
  return CountWrite(fd, NEXT(pwrite64)(fd, buffer, size_bytes, offset));
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  return CountWrite(fd, NEXT(writev)(fd, iov, count));
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  return CountWrite(fd, NEXT(pwritev)(fd, iov, count, offset));
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t offset) {
  return CountWrite(fd, NEXT(pwritev64)(fd, iov, count, offset));
}

ssize_t pwritev2(int fd, const struct iovec* iov, int count, off_t offset, int flags) {
  return CountWrite(fd, NEXT(pwritev2)(fd, iov, count, offset, flags));
}

ssize_t pwritev64v2(int fd, const struct iovec* iov, int count, off64_t offset, int flags) {
  return CountWrite(fd, NEXT(pwritev64v2)(fd, iov, count, offset, flags));
}

// Reads.

ssize_t read(int fd, void* buffer, size_t size_bytes) {
  return CountRead(NEXT(read)(fd, buffer, size_bytes));
}

ssize_t pread(int fd, void* buffer, size_t size_bytes, off_t offset) {
  return CountRead(NEXT(pread)(fd, buffer, size_bytes, offset));
}

ssize_t pread64(int fd, void* buffer, size_t size_bytes, off64_t offset) {
  return CountRead(NEXT(pread64)(fd, buffer, size_bytes, offset));
}

ssize_t readv(int fd, const struct iovec* iov, int count) {
  return CountRead(NEXT(readv)(fd, iov, count));
}

ssize_t preadv(int fd, const struct iovec* iov, int count, off_t offset) {
  return CountRead(NEXT(preadv)(fd, iov, count, offset));
}

ssize_t preadv64(int fd, const struct iovec* iov, int count, off64_t offset) {
  return CountRead(NEXT(preadv64)(fd, iov, count, offset));
}

ssize_t preadv2(int fd, const struct iovec* iov, int count, off_t offset, int flags) {
  return CountRead(NEXT(preadv2)(fd, iov, count, offset, flags));
}

ssize_t preadv64v2(int fd, const struct iovec* iov, int count, off64_t offset, int flags) {
  return CountRead(NEXT(preadv64v2)(fd, iov, count, offset, flags));
}

// Opening and closing: which descriptors write synchronously.

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (TakesMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return CountOpen(NEXT(open)(path, flags, mode), flags);
}

int open64(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (TakesMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return CountOpen(NEXT(open64)(path, flags, mode), flags);
}

int openat(int dir_fd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (TakesMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return CountOpen(NEXT(openat)(dir_fd, path, flags, mode), flags);
}

int openat64(int dir_fd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (TakesMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return CountOpen(NEXT(openat64)(dir_fd, path, flags, mode), flags);
}

// The forms that code built with _FORTIFY_SOURCE calls when the flags are not a constant.
int __open_2(const char* path, int flags);
int __open64_2(const char* path, int flags);
int __openat_2(int dir_fd, const char* path, int flags);
int __openat64_2(int dir_fd, const char* path, int flags);

int __open_2(const char* path, int flags) { return CountOpen(NEXT(__open_2)(path, flags), flags); }

int __open64_2(const char* path, int flags) {
  return CountOpen(NEXT(__open64_2)(path, flags), flags);
}

int __openat_2(int dir_fd, const char* path, int flags) {
  return CountOpen(NEXT(__openat_2)(dir_fd, path, flags), flags);
}

int __openat64_2(int dir_fd, const char* path, int flags) {
  return CountOpen(NEXT(__openat64_2)(dir_fd, path, flags), flags);
}

int close(int fd) {
  // Unmarked before the descriptor number can be handed out again.
  MarkFd(fd, 0);
  return NEXT(close)(fd);
}

}  // extern "C"
