// UringFileSystem: the production FileSystem with its data path on io_uring (liburing).
//
// What goes through the ring: File::pread and File::pwrite (IORING_OP_READ / IORING_OP_WRITE)
// and File::sync (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC, that is fdatasync). Everything
// else (open, size, truncate, close, remove, rename, list, exists, sync_dir) is the posix
// backend's own code, reached by composition: io_uring brings nothing to those calls. The
// behaviour, the status codes and the error texts are therefore the posix backend's:
// "<operation> <path>: <strerror text>" through PosixError(), and the same contract suite
// (file_system_contract_test.cc) runs on both.
//
// Requests. A pread or pwrite is split into requests of at most request_size_max_bytes, sent in
// batches of at most kUringBatchRequestsMax; short transfers are resumed where they stopped (a
// read ends at the first request that returns 0 bytes: the end of the file), and -EINTR/-EAGAIN
// completions are retried a bounded number of times.
//
// Availability. Create() fails with FailedPrecondition, "io_uring unavailable: ...", naming the
// call that failed and the likely cause, when the kernel or a seccomp filter (Docker's default
// profile, for one) refuses io_uring, when the locked-memory limit is too small for the ring, or
// when the kernel lacks an opcode this backend needs (IORING_OP_READ/WRITE need Linux 5.6).
// There is no silent fallback: the caller decides to use the posix backend instead.
//
// Thread safety: as FileSystem and File promise. One ring serves the file system and every file
// opened through it; its submission side and its completion side each have a mutex, so that
// several threads may have requests in flight at once, never more than queue_depth in total.
// The ring is shared with the files: a File may outlive the UringFileSystem that opened it.
// The ring itself (vfs/uring_ring.h) is internal, so that liburing stays a private dependency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vfs/file_system.h"
#include "vfs/posix.h"

namespace northstar::vfs {

struct UringOptions {
  // Ring entries: the most requests in flight at once, over every thread and file.
  uint32_t queue_depth = 64;
  // The largest single read or write request; longer calls are split.
  uint32_t request_size_max_bytes = uint32_t{1} << 20;
};

inline constexpr uint32_t kUringQueueDepthMax = 4096;
// Below Linux's per-call transfer cap (MAX_RW_COUNT, 2 GiB minus a page), so that one request
// is never cut short by that cap alone.
inline constexpr uint32_t kUringRequestSizeMaxBytes = uint32_t{1} << 30;
inline constexpr uint32_t kUringRequestSizeMinBytes = 512;
// Requests one pread or pwrite puts in flight at once (fewer if queue_depth is smaller).
inline constexpr uint32_t kUringBatchRequestsMax = 16;

static_assert(kUringRequestSizeMinBytes <= kUringRequestSizeMaxBytes);
static_assert(kUringRequestSizeMaxBytes <= kFileSizeMaxBytes);

class UringRing;  // Defined in uring.cc.

class UringFileSystem final : public FileSystem {
 public:
  // Sets up the ring and checks that the kernel supports every opcode used. InvalidArgument for
  // options out of range; FailedPrecondition "io_uring unavailable: ..." when io_uring cannot
  // be used here (see the header comment).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UringFileSystem>> Create(
      UringOptions options = {});

  ~UringFileSystem() override;

  [[nodiscard]] absl::StatusOr<std::unique_ptr<File>> open(std::string_view path,
                                                           OpenOptions options) override;
  [[nodiscard]] absl::Status remove(std::string_view path) override;
  [[nodiscard]] absl::Status rename(std::string_view from, std::string_view to) override;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> list(std::string_view dir) override;
  [[nodiscard]] absl::StatusOr<bool> exists(std::string_view path) override;
  [[nodiscard]] absl::Status sync_dir(std::string_view dir) override;

 private:
  explicit UringFileSystem(std::shared_ptr<UringRing> ring);

  PosixFileSystem posix_;  // Every namespace operation, and the descriptors behind files.
  std::shared_ptr<UringRing> ring_;
};

// The FailedPrecondition status Create() returns when `call` (e.g. "io_uring_queue_init(64
// entries)") failed with `error_number`: "io_uring unavailable: <call>: <strerror text>
// (<likely cause>); use the posix backend". Exposed so that tests can check the texts.
[[nodiscard]] absl::Status UringUnavailableError(std::string_view call, int error_number);

}  // namespace northstar::vfs
