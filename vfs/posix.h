// PosixFileSystem: the production FileSystem, a thin layer over POSIX calls on Linux.
//
// Each File owns one file descriptor opened O_RDWR|O_CLOEXEC (mode 0644 when created).
// pread/pwrite loop over short transfers and retry EINTR; sync() is fdatasync(); sync_dir()
// fsyncs the directory; map_read_only() is mmap. Every range goes through vfs::CheckRange before the system call, so
// this backend rejects exactly the calls the simulated disk rejects.
//
// Errors: every errno becomes a status through PosixError(), whose message reads
// "<operation> <path>: <strerror text>".
//
// Thread safety: as FileSystem and File promise. The file system holds no state; a File may
// serve pread/pwrite from several threads at once, but close() must not race other calls on it.
//
// PosixFile is public so that other Linux backends (vfs/uring.h) can wrap it: they keep its
// descriptor handling, size, truncate and close, and replace only the data path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/file_system.h"

namespace northstar::vfs {

// A file opened by PosixFileSystem: owns one descriptor, released by close() or the destructor.
class PosixFile final : public File {
 public:
  // Takes ownership of `fd` (>= 0).
  PosixFile(int fd, std::string path);
  // Closes the descriptor if still open, ignoring errors.
  ~PosixFile() override;

  [[nodiscard]] absl::StatusOr<size_t> pread(uint64_t offset_bytes,
                                             std::span<uint8_t> out) override;
  [[nodiscard]] absl::Status pwrite(uint64_t offset_bytes, std::span<const uint8_t> data) override;
  [[nodiscard]] absl::StatusOr<uint64_t> size() override;
  [[nodiscard]] absl::Status truncate(uint64_t size_bytes) override;
  [[nodiscard]] absl::Status sync() override;
  [[nodiscard]] absl::Status close() override;
  // mmap(PROT_READ, MAP_SHARED) of the whole file; an empty file gives an empty view (no map).
  [[nodiscard]] absl::StatusOr<std::unique_ptr<FileMapping>> map_read_only() override;
  [[nodiscard]] const std::string& path() const override { return path_; }

  // The descriptor, or -1 once closed. Valid until close(), which must not race its use.
  [[nodiscard]] int fd() const { return fd_; }
  // OK while open; after close(), FailedPrecondition "<operation> <path>: file is closed".
  [[nodiscard]] absl::Status check_open(std::string_view operation) const;

 private:
  int fd_;  // -1 once closed.
  const std::string path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  PosixFileSystem() = default;

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> open(std::string_view path,
                                                           OpenOptions options) override;
  // open(), with the concrete type, for backends that wrap PosixFile.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<PosixFile>> open_posix(std::string_view path,
                                                                      OpenOptions options);
  [[nodiscard]] absl::Status remove(std::string_view path) override;
  [[nodiscard]] absl::Status rename(std::string_view from, std::string_view to) override;
  // Every entry of `dir` except "." and "..", whatever its type.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> list(std::string_view dir) override;
  [[nodiscard]] absl::StatusOr<bool> exists(std::string_view path) override;
  [[nodiscard]] absl::Status sync_dir(std::string_view dir) override;
};

// The status for `error_number` (an errno value) raised by `operation` on `path`:
// ENOENT NotFound, EEXIST AlreadyExists, ENOSPC/EDQUOT ResourceExhausted, EIO Internal,
// EINVAL/ENAMETOOLONG InvalidArgument, EACCES/EPERM PermissionDenied, anything else as
// absl::ErrnoToStatusCode maps it. Exposed so that tests can check the mapping directly.
[[nodiscard]] absl::Status PosixError(std::string_view operation, std::string_view path,
                                      int error_number);

}  // namespace northstar::vfs
