// UringRing: the io_uring instance behind a UringFileSystem and its files (internal to vfs/;
// include only from uring*.cc). See vfs/uring.h for what goes through it.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "vfs/uring.h"

namespace northstar::vfs {

// -EINTR and -EAGAIN results are retried, but a bound keeps a signal storm from spinning forever
// (the last one then surfaces as an error, or as an assertion where no error is safe).
inline constexpr int kUringInterruptedRetriesMax = 1000;

static_assert(kUringBatchRequestsMax <= kUringQueueDepthMax);

enum class UringOp { kRead, kWrite, kSync };

// One request in flight: filled in by the caller, completed (result, done) by whichever thread
// reaps its completion, under the ring's completion mutex. It must stay where it is until done.
struct UringRequest {
  UringOp op = UringOp::kSync;
  int fd = -1;
  uint8_t* read_buffer = nullptr;         // kRead only.
  const uint8_t* write_buffer = nullptr;  // kWrite only.
  uint32_t length_bytes = 0;
  uint64_t offset_bytes = 0;
  int32_t result = 0;  // The completion's res: bytes transferred, 0, or -errno.
  bool done = false;
};

// One io_uring instance shared by a file system and its files.
//
// The submission queue is guarded by submit_mu_ and the completion queue by complete_mu_ and
// the reaper role: the two sides of a ring are independent, so one thread may submit while
// another waits. A caller submits its batch, then waits until its requests are done; while they
// are not and no other thread is the reaper, it becomes the reaper: it waits for completions
// without the mutex, then marks done the requests of every thread it reaps. Lock order:
// complete_mu_, then submit_mu_.
//
// Invariant: in_flight_ <= queue_depth, and every submit call submits everything it queued (or
// marks the ring broken), so a caller that has room always finds free submission entries, and
// the completion queue (twice the submission queue) never overflows.
class UringRing {
 public:
  explicit UringRing(const UringOptions& options) : options_(options) {}
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // io_uring_queue_init, the opcode probe and one NOP through the ring (a seccomp filter may
  // allow io_uring_setup but refuse io_uring_enter); FailedPrecondition if io_uring is
  // unavailable. Called once, before the ring is shared.
  [[nodiscard]] absl::Status Init();

  // Puts every request in flight and returns once all have completed, their results filled in.
  // An error means that the kernel refused a submission: the ring is unusable from then on, and
  // the requests it refused were never started (none is left in flight either way).
  [[nodiscard]] absl::Status Run(std::span<UringRequest> requests);

  uint32_t batch_requests_max() const {
    return std::min(kUringBatchRequestsMax, options_.queue_depth);
  }
  uint32_t request_size_max_bytes() const { return options_.request_size_max_bytes; }

 private:
  struct Submitted {
    size_t count;
    absl::Status status;
  };

  [[nodiscard]] absl::Status RoundTripNop();
  Submitted Submit(std::span<UringRequest> requests) ABSL_LOCKS_EXCLUDED(submit_mu_);
  void Complete(std::span<UringRequest> requests) ABSL_LOCKS_EXCLUDED(complete_mu_);
  void ReapReady() ABSL_EXCLUSIVE_LOCKS_REQUIRED(complete_mu_);

  const UringOptions options_;
  bool initialized_ = false;
  io_uring ring_{};  // Submission side under submit_mu_, completion side under complete_mu_.

  absl::Mutex complete_mu_;
  // Set while one thread waits on the completion queue; only that thread touches the queue.
  bool reaper_active_ ABSL_GUARDED_BY(complete_mu_) = false;
  absl::Mutex submit_mu_ ABSL_ACQUIRED_AFTER(complete_mu_);
  uint32_t in_flight_ ABSL_GUARDED_BY(submit_mu_) = 0;
  absl::Status broken_ ABSL_GUARDED_BY(submit_mu_);
};

}  // namespace northstar::vfs
