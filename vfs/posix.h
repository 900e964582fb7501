// PosixFileSystem: the production FileSystem, a thin layer over POSIX calls on Linux.
//
// Each File owns one file descriptor opened O_RDWR|O_CLOEXEC (mode 0644 when created).
// pread/pwrite loop over short transfers and retry EINTR; sync() is fdatasync(); sync_dir()
// fsyncs the directory. Every range goes through vfs::CheckRange before the system call, so
// this backend rejects exactly the calls the simulated disk rejects.
//
// Errors: every errno becomes a status through PosixError(), whose message reads
// "<operation> <path>: <strerror text>".
//
// Thread safety: as FileSystem and File promise. The file system holds no state; a File may
// serve pread/pwrite from several threads at once, but close() must not race other calls on it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/file_system.h"

namespace northstar::vfs {

class PosixFileSystem final : public FileSystem {
 public:
  PosixFileSystem() = default;

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> open(std::string_view path,
                                                           OpenOptions options) override;
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
