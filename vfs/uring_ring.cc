#include "vfs/uring_ring.h"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::vfs {
namespace {

absl::Status Unavailable(std::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrFormat("io_uring unavailable: %s; use the posix backend", what));
}

struct ProbeFree {
  void operator()(io_uring_probe* probe) const { io_uring_free_probe(probe); }
};

absl::Status CheckOpcodes(io_uring& ring) {
  const std::unique_ptr<io_uring_probe, ProbeFree> probe(io_uring_get_probe_ring(&ring));
  if (probe == nullptr) {
    return Unavailable(
        "io_uring_get_probe_ring failed (the kernel is older than Linux 5.6, or a seccomp filter "
        "refuses io_uring_register)");
  }
  struct Needed {
    int opcode;
    std::string_view name;
  };
  constexpr Needed kNeeded[] = {{IORING_OP_READ, "IORING_OP_READ"},
                                {IORING_OP_WRITE, "IORING_OP_WRITE"},
                                {IORING_OP_FSYNC, "IORING_OP_FSYNC"}};
  for (const Needed& needed : kNeeded) {
    if (io_uring_opcode_supported(probe.get(), needed.opcode) == 0) {
      return Unavailable(absl::StrFormat(
          "the kernel does not support %s (Linux 5.6 or later is needed)", needed.name));
    }
  }
  return absl::OkStatus();
}

void Prepare(UringRequest& request, io_uring_sqe* sqe) {
  NS_ASSERT(request.fd >= 0);
  switch (request.op) {
    case UringOp::kRead:
      NS_ASSERT(request.read_buffer != nullptr);
      io_uring_prep_read(sqe, request.fd, request.read_buffer, request.length_bytes,
                         request.offset_bytes);
      break;
    case UringOp::kWrite:
      NS_ASSERT(request.write_buffer != nullptr);
      io_uring_prep_write(sqe, request.fd, request.write_buffer, request.length_bytes,
                          request.offset_bytes);
      break;
    case UringOp::kSync:
      io_uring_prep_fsync(sqe, request.fd, IORING_FSYNC_DATASYNC);
      break;
  }
  io_uring_sqe_set_data(sqe, &request);
}

bool AllDone(std::span<const UringRequest> requests) {
  return std::all_of(requests.begin(), requests.end(),
                     [](const UringRequest& request) { return request.done; });
}

// A likely cause for each errno io_uring_queue_init() gives when io_uring cannot be used.
std::string_view LikelyCause(int error_number) {
  switch (error_number) {
    case ENOSYS:
      return "the kernel lacks io_uring, or a seccomp filter hides it";
    case EPERM:
    case EACCES:
      return "io_uring is disabled by the sysctl kernel.io_uring_disabled, or a seccomp filter "
             "(such as Docker's default profile) refuses it";
    case ENOMEM:
      return "the locked-memory limit (ulimit -l) is too small for the ring; lower queue_depth "
             "or raise the limit";
    case EMFILE:
    case ENFILE:
      return "no file descriptor is left for the ring";
    case EINVAL:
      return "the kernel rejects the ring's parameters";
    default:
      return "the kernel refuses io_uring";
  }
}

}  // namespace

absl::Status UringUnavailableError(std::string_view call, int error_number) {
  return Unavailable(absl::StrFormat("%s: %s (%s)", call,
                                     std::generic_category().message(error_number),
                                     LikelyCause(error_number)));
}

UringRing::~UringRing() {
  if (!initialized_) return;
  {
    absl::MutexLock lock(&submit_mu_);
    // Every Run() waits for all it submitted, and a ring is destroyed only when no call uses it.
    NS_ASSERT(in_flight_ == 0);
  }
  io_uring_queue_exit(&ring_);
}

absl::Status UringRing::Init() {
  NS_ASSERT(!initialized_);
  const int result = io_uring_queue_init(options_.queue_depth, &ring_, /*flags=*/0);
  if (result < 0) {
    return UringUnavailableError(
        absl::StrFormat("io_uring_queue_init(%d entries)", options_.queue_depth), -result);
  }
  initialized_ = true;
  NS_RETURN_IF_ERROR(CheckOpcodes(ring_));
  return RoundTripNop();
}

absl::Status UringRing::RoundTripNop() {
  // No other thread can see the ring yet, so the mutexes are not needed.
  io_uring_sqe* const sqe = io_uring_get_sqe(&ring_);
  NS_ASSERT(sqe != nullptr);
  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data(sqe, nullptr);
  const int submitted = io_uring_submit(&ring_);
  // A refused submission leaves the NOP queued; the caller then destroys the ring unused.
  if (submitted < 0) return UringUnavailableError("io_uring_submit(NOP)", -submitted);
  NS_ASSERT(submitted == 1);
  io_uring_cqe* cqe = nullptr;
  int waited = 0;
  for (int retry = 0; retry <= kUringInterruptedRetriesMax; retry++) {
    waited = io_uring_wait_cqe(&ring_, &cqe);
    if (waited != -EINTR && waited != -EAGAIN) break;
  }
  // A failed wait leaves nothing the kernel could write into: the NOP has no buffer.
  if (waited < 0) return UringUnavailableError("io_uring_wait_cqe(NOP)", -waited);
  const int result = cqe->res;
  io_uring_cqe_seen(&ring_, cqe);
  if (result < 0) return UringUnavailableError("IORING_OP_NOP", -result);
  return absl::OkStatus();
}

absl::Status UringRing::Run(std::span<UringRequest> requests) {
  NS_ASSERT(initialized_);
  NS_ASSERT(!requests.empty());
  NS_ASSERT(requests.size() <= batch_requests_max());
  for (const UringRequest& request : requests) {
    NS_ASSERT(!request.done);
    NS_ASSERT(request.length_bytes <= options_.request_size_max_bytes);
  }
  Submitted submitted = Submit(requests);
  NS_ASSERT(submitted.count <= requests.size());
  NS_ASSERT(submitted.status.ok() == (submitted.count == requests.size()));
  Complete(requests.first(submitted.count));
  return std::move(submitted.status);
}

UringRing::Submitted UringRing::Submit(std::span<UringRequest> requests) {
  const auto count = static_cast<uint32_t>(requests.size());
  const auto has_room = [&] { return !broken_.ok() || in_flight_ + count <= options_.queue_depth; };
  absl::MutexLock lock(&submit_mu_, absl::Condition(&has_room));
  if (!broken_.ok()) return {0, broken_};
  for (UringRequest& request : requests) {
    io_uring_sqe* const sqe = io_uring_get_sqe(&ring_);
    NS_ASSERT_MSG(sqe != nullptr, "submission queue full despite the in-flight bound");
    Prepare(request, sqe);
  }
  // The kernel takes queued entries in order, so the first `submitted` requests are in flight.
  size_t submitted = 0;
  // Each pass submits at least one request or spends one of the bounded retries.
  for (int retry = 0; submitted < count;) {
    const int result = io_uring_submit(&ring_);
    if (result > 0) {
      submitted += static_cast<size_t>(result);
      continue;
    }
    const bool transient = result == 0 || result == -EINTR || result == -EAGAIN;
    if (transient && ++retry <= kUringInterruptedRetriesMax) continue;
    // The refused entries stay queued; nothing may ever submit them (their buffers go away), so
    // the ring is closed to every later call.
    broken_ = absl::InternalError(absl::StrFormat(
        "io_uring_submit: %s (the ring is unusable from now on; reopen the file system)",
        std::generic_category().message(result == 0 ? EAGAIN : -result)));
    break;
  }
  NS_ASSERT(submitted <= count);
  in_flight_ += static_cast<uint32_t>(submitted);
  NS_ASSERT(in_flight_ <= options_.queue_depth);
  return {submitted, broken_};
}

void UringRing::Complete(std::span<UringRequest> requests) {
  const auto ready = [&] { return !reaper_active_ || AllDone(requests); };
  absl::MutexLock lock(&complete_mu_);
  int interrupted = 0;
  // Each pass as the reaper reaps at least one completion or counts an interruption, and the
  // kernel completes every request it took, so the loop ends.
  for (;;) {
    complete_mu_.Await(absl::Condition(&ready));
    if (AllDone(requests)) return;
    // Become the reaper: the one thread that waits on the completion queue, without the mutex,
    // so that threads whose requests it completes are not held up by its own.
    reaper_active_ = true;
    complete_mu_.Unlock();
    io_uring_cqe* cqe = nullptr;
    const int result = io_uring_wait_cqe(&ring_, &cqe);
    complete_mu_.Lock();
    reaper_active_ = false;
    if (result == -EINTR || result == -EAGAIN) {
      interrupted++;
      NS_ASSERT_MSG(interrupted <= kUringInterruptedRetriesMax, "io_uring_wait_cqe keeps failing");
      continue;
    }
    // Returning without the completions would free buffers the kernel may still be writing
    // into: no status can make that safe, so any other failure is fatal.
    NS_ASSERT_MSG(result == 0, std::generic_category().message(-result));
    ReapReady();
  }
}

void UringRing::ReapReady() {
  uint32_t reaped = 0;
  unsigned head = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    auto* const request = static_cast<UringRequest*>(io_uring_cqe_get_data(cqe));
    NS_ASSERT(request != nullptr);
    NS_ASSERT(!request->done);
    request->result = cqe->res;
    request->done = true;
    reaped++;
  }
  NS_ASSERT(reaped > 0);  // Called only after io_uring_wait_cqe() saw a completion.
  io_uring_cq_advance(&ring_, reaped);
  absl::MutexLock lock(&submit_mu_);
  NS_ASSERT(reaped <= in_flight_);
  in_flight_ -= reaped;
}

}  // namespace northstar::vfs
