#include "vfs/posix.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::vfs {
namespace {

// Offsets are checked against kFileSizeMaxBytes first, so they always fit in off_t.
static_assert(sizeof(off_t) == sizeof(uint64_t));
static_assert(kFileSizeMaxBytes <= uint64_t{std::numeric_limits<off_t>::max()});

constexpr mode_t kCreateMode = 0644;
// A signal may interrupt any blocking call; retrying is always right, but a bound keeps a signal
// storm from spinning forever (the last EINTR then surfaces as an error).
constexpr int kInterruptedRetriesMax = 1000;

template <typename Call>
auto RetryOnInterrupt(Call call) -> decltype(call()) {
  for (int retry = 0;; retry++) {
    const auto result = call();
    if (result != -1 || errno != EINTR || retry == kInterruptedRetriesMax) return result;
  }
}

absl::StatusCode StatusCodeForErrno(int error_number) {
  switch (error_number) {
    case ENOENT:
      return absl::StatusCode::kNotFound;
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case ENOSPC:
    case EDQUOT:
      return absl::StatusCode::kResourceExhausted;
    case EIO:
      return absl::StatusCode::kInternal;
    case EINVAL:
    case ENAMETOOLONG:
      return absl::StatusCode::kInvalidArgument;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::ErrnoToStatusCode(error_number);
  }
}

// A read-only mapping of a whole file; unmapped on destruction. Empty files are never mapped
// (mmap rejects a zero length): their view is empty.
class PosixMapping final : public FileMapping {
 public:
  PosixMapping(void* address, size_t size_bytes) : address_(address), size_bytes_(size_bytes) {
    NS_ASSERT((address_ == nullptr) == (size_bytes_ == 0));
  }
  ~PosixMapping() override {
    if (address_ != nullptr) NS_ASSERT(::munmap(address_, size_bytes_) == 0);
  }
  std::span<const uint8_t> bytes() const override {
    return {static_cast<const uint8_t*>(address_), size_bytes_};
  }

 private:
  void* const address_;
  const size_t size_bytes_;
};

struct DirCloser {
  void operator()(DIR* stream) const { (void)::closedir(stream); }
};

}  // namespace

absl::Status PosixError(std::string_view operation, std::string_view path, int error_number) {
  // std::generic_category() gives strerror's text without strerror's shared buffer.
  return absl::Status(
      StatusCodeForErrno(error_number),
      absl::StrFormat("%s %s: %s", operation, path, std::generic_category().message(error_number)));
}

PosixFile::PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
  NS_ASSERT(fd_ >= 0);
}

PosixFile::~PosixFile() {
  // Errors cannot be reported from here; callers who care call close() first.
  if (fd_ >= 0) (void)::close(fd_);
}

absl::StatusOr<size_t> PosixFile::pread(uint64_t offset_bytes, std::span<uint8_t> out) {
  NS_RETURN_IF_ERROR(check_open("pread"));
  NS_RETURN_IF_ERROR(CheckRange("pread", path_, offset_bytes, out.size()));
  size_t read_bytes = 0;
  // Every pass reads at least one byte or stops, so the loop ends within out.size() passes.
  while (read_bytes < out.size()) {
    const ssize_t result = RetryOnInterrupt([&] {
      return ::pread(fd_, out.data() + read_bytes, out.size() - read_bytes,
                     static_cast<off_t>(offset_bytes + read_bytes));
    });
    if (result < 0) return PosixError("pread", path_, errno);
    if (result == 0) break;  // End of file.
    NS_ASSERT(static_cast<size_t>(result) <= out.size() - read_bytes);
    read_bytes += static_cast<size_t>(result);
  }
  return read_bytes;
}

absl::Status PosixFile::pwrite(uint64_t offset_bytes, std::span<const uint8_t> data) {
  NS_RETURN_IF_ERROR(check_open("pwrite"));
  NS_RETURN_IF_ERROR(CheckRange("pwrite", path_, offset_bytes, data.size()));
  size_t written_bytes = 0;
  // Every pass writes at least one byte or returns, so the loop ends within data.size() passes.
  while (written_bytes < data.size()) {
    const ssize_t result = RetryOnInterrupt([&] {
      return ::pwrite(fd_, data.data() + written_bytes, data.size() - written_bytes,
                      static_cast<off_t>(offset_bytes + written_bytes));
    });
    if (result < 0) return PosixError("pwrite", path_, errno);
    // A regular file never accepts zero bytes of a non-empty write; do not spin on it.
    if (result == 0) return PosixError("pwrite", path_, EIO);
    NS_ASSERT(static_cast<size_t>(result) <= data.size() - written_bytes);
    written_bytes += static_cast<size_t>(result);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PosixFile::size() {
  NS_RETURN_IF_ERROR(check_open("size"));
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return PosixError("size", path_, errno);
  NS_ASSERT(info.st_size >= 0);
  return static_cast<uint64_t>(info.st_size);
}

absl::Status PosixFile::truncate(uint64_t size_bytes) {
  NS_RETURN_IF_ERROR(check_open("truncate"));
  NS_RETURN_IF_ERROR(CheckRange("truncate", path_, size_bytes, 0));
  if (RetryOnInterrupt([&] { return ::ftruncate(fd_, static_cast<off_t>(size_bytes)); }) != 0) {
    return PosixError("truncate", path_, errno);
  }
  return absl::OkStatus();
}

absl::Status PosixFile::sync() {
  NS_RETURN_IF_ERROR(check_open("sync"));
  if (RetryOnInterrupt([&] { return ::fdatasync(fd_); }) != 0) {
    return PosixError("sync", path_, errno);
  }
  return absl::OkStatus();
}

absl::Status PosixFile::close() {
  NS_RETURN_IF_ERROR(check_open("close"));
  const int fd = std::exchange(fd_, -1);
  // Never retried: Linux releases the descriptor even when close() fails, and a retry could
  // close a descriptor that another thread has just been given.
  if (::close(fd) != 0) return PosixError("close", path_, errno);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileMapping>> PosixFile::map_read_only() {
  NS_ASSIGN_OR_RETURN(const uint64_t size_bytes, size());
  NS_RETURN_IF_ERROR(CheckRange("map_read_only", path_, 0, size_bytes));
  if (size_bytes == 0) return std::make_unique<PosixMapping>(nullptr, 0);
  void* address = ::mmap(nullptr, static_cast<size_t>(size_bytes), PROT_READ, MAP_SHARED, fd_, 0);
  if (address == MAP_FAILED) return PosixError("map_read_only", path_, errno);
  return std::make_unique<PosixMapping>(address, static_cast<size_t>(size_bytes));
}

absl::Status PosixFile::check_open(std::string_view operation) const {
  if (fd_ >= 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat("%s %s: file is closed", operation, path_));
}

absl::StatusOr<std::unique_ptr<File>> PosixFileSystem::open(std::string_view path,
                                                            OpenOptions options) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<File> file, open_posix(path, options));
  return file;
}

absl::StatusOr<std::unique_ptr<PosixFile>> PosixFileSystem::open_posix(std::string_view path,
                                                                       OpenOptions options) {
  NS_RETURN_IF_ERROR(CheckOpenOptions(path, options));
  std::string path_string(path);
  int flags = O_RDWR | O_CLOEXEC;
  if (options.create) flags |= O_CREAT;
  if (options.exclusive) flags |= O_EXCL;
  const int fd = RetryOnInterrupt([&] { return ::open(path_string.c_str(), flags, kCreateMode); });
  if (fd < 0) return PosixError("open", path, errno);
  return std::make_unique<PosixFile>(fd, std::move(path_string));
}

absl::Status PosixFileSystem::remove(std::string_view path) {
  if (::unlink(std::string(path).c_str()) != 0) return PosixError("remove", path, errno);
  return absl::OkStatus();
}

absl::Status PosixFileSystem::rename(std::string_view from, std::string_view to) {
  if (::rename(std::string(from).c_str(), std::string(to).c_str()) != 0) {
    return PosixError("rename", absl::StrFormat("%s -> %s", from, to), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PosixFileSystem::list(std::string_view dir) {
  std::unique_ptr<DIR, DirCloser> stream(::opendir(std::string(dir).c_str()));
  if (stream == nullptr) return PosixError("list", dir, errno);
  std::vector<std::string> names;
  // Ends when readdir() reports the end of the directory or an error.
  for (;;) {
    errno = 0;  // readdir() signals errors only through errno.
    const dirent* entry = ::readdir(stream.get());
    if (entry == nullptr) {
      if (errno != 0) return PosixError("list", dir, errno);
      break;
    }
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  // std::string compares through char_traits<char>, which orders bytes as unsigned char.
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<bool> PosixFileSystem::exists(std::string_view path) {
  struct stat info {};
  if (::stat(std::string(path).c_str(), &info) == 0) return true;
  if (errno == ENOENT) return false;
  return PosixError("exists", path, errno);
}

absl::Status PosixFileSystem::sync_dir(std::string_view dir) {
  const std::string dir_string(dir);
  const int fd = RetryOnInterrupt(
      [&] { return ::open(dir_string.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return PosixError("sync_dir", dir, errno);
  absl::Status status = absl::OkStatus();
  if (RetryOnInterrupt([&] { return ::fsync(fd); }) != 0) {
    status = PosixError("sync_dir", dir, errno);
  }
  // A read-only descriptor holds nothing to lose, so a close error adds no information.
  (void)::close(fd);
  return status;
}

}  // namespace northstar::vfs
