#include "vfs/uring.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <span>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/status.h"
#include "vfs/uring_ring.h"

namespace northstar::vfs {
namespace {

// "<operation> <path>: <message>" for a ring-level failure, in PosixError's style.
absl::Status Annotate(const absl::Status& status, std::string_view operation,
                      std::string_view path) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrFormat("%s %s: %s", operation, path, status.message()));
}

// One pread or pwrite: [offset_bytes, offset_bytes + size_bytes) of `fd`.
struct Transfer {
  UringOp op;  // kRead or kWrite.
  int fd;
  std::string_view operation;  // "pread" or "pwrite", for errors.
  std::string_view path;
  uint64_t offset_bytes;
  size_t size_bytes;
  uint8_t* read_buffer;         // kRead only.
  const uint8_t* write_buffer;  // kWrite only.
};

// Fills `batch` with requests for the transfer's bytes from `done_bytes` on; returns how many.
size_t FillBatch(const UringRing& ring, const Transfer& transfer, size_t done_bytes,
                 std::span<UringRequest> batch) {
  NS_ASSERT(done_bytes < transfer.size_bytes);
  size_t count = 0;
  size_t position = done_bytes;
  while (position < transfer.size_bytes && count < ring.batch_requests_max()) {
    const size_t length =
        std::min<size_t>(ring.request_size_max_bytes(), transfer.size_bytes - position);
    const bool read = transfer.op == UringOp::kRead;
    batch[count++] = {
        .op = transfer.op,
        .fd = transfer.fd,
        .read_buffer = read ? transfer.read_buffer + position : nullptr,
        .write_buffer = read ? nullptr : transfer.write_buffer + position,
        .length_bytes = static_cast<uint32_t>(length),
        .offset_bytes = transfer.offset_bytes + position,
    };
    position += length;
  }
  NS_ASSERT(count > 0);
  return count;
}

struct BatchOutcome {
  size_t bytes = 0;          // Moved by the leading requests that completed in full or short.
  bool end_of_file = false;  // A read request returned 0 bytes.
};

// What a completed batch moved, in order, up to the first request that fell short. `retries`
// counts the -EINTR/-EAGAIN completions of the whole call.
absl::StatusOr<BatchOutcome> Account(const Transfer& transfer,
                                     std::span<const UringRequest> requests, int& retries) {
  BatchOutcome outcome;
  for (const UringRequest& request : requests) {
    NS_ASSERT(request.done);
    const int result = request.result;
    if (result == -EINTR || result == -EAGAIN) {
      if (++retries > kUringInterruptedRetriesMax) {
        return PosixError(transfer.operation, transfer.path, -result);
      }
      return outcome;  // Resume from this request.
    }
    if (result < 0) return PosixError(transfer.operation, transfer.path, -result);
    if (result == 0) {
      // A regular file never accepts zero bytes of a non-empty write; do not spin on it.
      if (transfer.op == UringOp::kWrite) return PosixError(transfer.operation, transfer.path, EIO);
      outcome.end_of_file = true;
      return outcome;
    }
    const auto moved = static_cast<uint32_t>(result);
    NS_ASSERT(moved <= request.length_bytes);
    outcome.bytes += moved;
    if (moved < request.length_bytes) return outcome;  // Short: resume after what it moved.
  }
  return outcome;
}

// Every byte of the transfer, or for a read fewer when the file ends first.
absl::StatusOr<size_t> RunTransfer(UringRing& ring, const Transfer& transfer) {
  NS_ASSERT(transfer.fd >= 0);
  size_t done_bytes = 0;
  int retries = 0;
  // Each pass moves at least one byte, ends the call, or spends one of the bounded retries.
  while (done_bytes < transfer.size_bytes) {
    std::array<UringRequest, kUringBatchRequestsMax> batch{};
    const std::span<UringRequest> requests =
        std::span(batch).first(FillBatch(ring, transfer, done_bytes, batch));
    NS_RETURN_IF_ERROR(Annotate(ring.Run(requests), transfer.operation, transfer.path));
    NS_ASSIGN_OR_RETURN(const BatchOutcome outcome, Account(transfer, requests, retries));
    NS_ASSERT(outcome.bytes <= transfer.size_bytes - done_bytes);
    done_bytes += outcome.bytes;
    if (outcome.end_of_file) break;
  }
  return done_bytes;
}

class UringFile final : public File {
 public:
  UringFile(std::unique_ptr<PosixFile> base, std::shared_ptr<UringRing> ring)
      : base_(std::move(base)), ring_(std::move(ring)) {
    NS_ASSERT(base_ != nullptr);
    NS_ASSERT(ring_ != nullptr);
  }

  absl::StatusOr<size_t> pread(uint64_t offset_bytes, std::span<uint8_t> out) override {
    NS_RETURN_IF_ERROR(base_->check_open("pread"));
    NS_RETURN_IF_ERROR(CheckRange("pread", path(), offset_bytes, out.size()));
    const Transfer transfer = {.op = UringOp::kRead,
                               .fd = base_->fd(),
                               .operation = "pread",
                               .path = path(),
                               .offset_bytes = offset_bytes,
                               .size_bytes = out.size(),
                               .read_buffer = out.data(),
                               .write_buffer = nullptr};
    NS_ASSIGN_OR_RETURN(const size_t read_bytes, RunTransfer(*ring_, transfer));
    NS_ASSERT(read_bytes <= out.size());
    return read_bytes;
  }

  absl::Status pwrite(uint64_t offset_bytes, std::span<const uint8_t> data) override {
    NS_RETURN_IF_ERROR(base_->check_open("pwrite"));
    NS_RETURN_IF_ERROR(CheckRange("pwrite", path(), offset_bytes, data.size()));
    const Transfer transfer = {.op = UringOp::kWrite,
                               .fd = base_->fd(),
                               .operation = "pwrite",
                               .path = path(),
                               .offset_bytes = offset_bytes,
                               .size_bytes = data.size(),
                               .read_buffer = nullptr,
                               .write_buffer = data.data()};
    NS_ASSIGN_OR_RETURN(const size_t written_bytes, RunTransfer(*ring_, transfer));
    NS_ASSERT(written_bytes == data.size());
    return absl::OkStatus();
  }

  absl::Status sync() override {
    NS_RETURN_IF_ERROR(base_->check_open("sync"));
    for (int retry = 0;; retry++) {
      std::array<UringRequest, 1> request = {{{.op = UringOp::kSync, .fd = base_->fd()}}};
      NS_RETURN_IF_ERROR(Annotate(ring_->Run(request), "sync", path()));
      const int result = request[0].result;
      if (result == 0) return absl::OkStatus();
      NS_ASSERT(result < 0);
      const bool transient = result == -EINTR || result == -EAGAIN;
      if (!transient || retry == kUringInterruptedRetriesMax)
        return PosixError("sync", path(), -result);
    }
  }

  absl::StatusOr<uint64_t> size() override { return base_->size(); }
  absl::Status truncate(uint64_t size_bytes) override { return base_->truncate(size_bytes); }
  absl::Status close() override { return base_->close(); }
  // A mapping is not on the data path: the posix mmap.
  absl::StatusOr<std::unique_ptr<FileMapping>> map_read_only() override {
    return base_->map_read_only();
  }
  const std::string& path() const override { return base_->path(); }

 private:
  const std::unique_ptr<PosixFile> base_;  // The descriptor, and every call but the data path.
  const std::shared_ptr<UringRing> ring_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<UringFileSystem>> UringFileSystem::Create(UringOptions options) {
  if (options.queue_depth < 1 || options.queue_depth > kUringQueueDepthMax) {
    return absl::InvalidArgumentError(absl::StrFormat("io_uring queue_depth %d is outside [1, %d]",
                                                      options.queue_depth, kUringQueueDepthMax));
  }
  if (options.request_size_max_bytes < kUringRequestSizeMinBytes ||
      options.request_size_max_bytes > kUringRequestSizeMaxBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "io_uring request_size_max_bytes %d is outside [%d, %d]", options.request_size_max_bytes,
        kUringRequestSizeMinBytes, kUringRequestSizeMaxBytes));
  }
  auto ring = std::make_shared<UringRing>(options);
  NS_RETURN_IF_ERROR(ring->Init());
  return std::unique_ptr<UringFileSystem>(new UringFileSystem(std::move(ring)));
}

UringFileSystem::UringFileSystem(std::shared_ptr<UringRing> ring) : ring_(std::move(ring)) {
  NS_ASSERT(ring_ != nullptr);
}

UringFileSystem::~UringFileSystem() = default;

absl::StatusOr<std::unique_ptr<File>> UringFileSystem::open(std::string_view path,
                                                            OpenOptions options) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<PosixFile> base, posix_.open_posix(path, options));
  std::unique_ptr<File> file = std::make_unique<UringFile>(std::move(base), ring_);
  return file;
}

absl::Status UringFileSystem::remove(std::string_view path) { return posix_.remove(path); }

absl::Status UringFileSystem::rename(std::string_view from, std::string_view to) {
  return posix_.rename(from, to);
}

absl::StatusOr<std::vector<std::string>> UringFileSystem::list(std::string_view dir) {
  return posix_.list(dir);
}

absl::StatusOr<bool> UringFileSystem::exists(std::string_view path) { return posix_.exists(path); }

absl::Status UringFileSystem::sync_dir(std::string_view dir) { return posix_.sync_dir(dir); }

}  // namespace northstar::vfs
