#include "vfs/file_system.h"

#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace northstar::vfs {
namespace {

class HeapCopy final : public FileMapping {
 public:
  explicit HeapCopy(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::span<const uint8_t> bytes() const override { return bytes_; }

 private:
  const std::vector<uint8_t> bytes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FileMapping>> File::map_read_only() {
  absl::StatusOr<uint64_t> size_bytes = size();
  if (!size_bytes.ok()) return size_bytes.status();
  if (absl::Status status = CheckRange("map_read_only", path(), 0, *size_bytes); !status.ok()) {
    return status;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(*size_bytes));
  if (absl::Status status = ReadExact(*this, 0, bytes); !status.ok()) return status;
  return std::make_unique<HeapCopy>(std::move(bytes));
}

IoCounters& IoCounters::operator+=(const IoCounters& other) {
  opens += other.opens;
  reads += other.reads;
  writes += other.writes;
  syncs += other.syncs;
  truncates += other.truncates;
  dir_syncs += other.dir_syncs;
  bytes_read += other.bytes_read;
  bytes_written += other.bytes_written;
  return *this;
}

std::string DirectoryOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

absl::Status ReadExact(File& file, uint64_t offset_bytes, std::span<uint8_t> out) {
  absl::StatusOr<size_t> read_bytes = file.pread(offset_bytes, out);
  if (!read_bytes.ok()) return read_bytes.status();
  if (*read_bytes != out.size()) {
    return absl::DataLossError(
        absl::StrFormat("short read of %s at offset %d: wanted %d bytes, got %d (file ends first)",
                        file.path(), offset_bytes, out.size(), *read_bytes));
  }
  return absl::OkStatus();
}

absl::Status CheckOpenOptions(std::string_view path, OpenOptions options) {
  if (options.exclusive && !options.create) {
    return absl::InvalidArgumentError(
        absl::StrFormat("open %s: 'exclusive' is only meaningful with 'create'", path));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(std::string_view operation, std::string_view path, uint64_t offset_bytes,
                        uint64_t size_bytes) {
  if (offset_bytes > kFileSizeMaxBytes || size_bytes > kFileSizeMaxBytes - offset_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %s: range [%d, +%d) exceeds the %d-byte file size limit", operation,
                        path, offset_bytes, size_bytes, kFileSizeMaxBytes));
  }
  return absl::OkStatus();
}

}  // namespace northstar::vfs
