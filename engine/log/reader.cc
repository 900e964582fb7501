#include "engine/log/reader.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status.h"

namespace northstar::engine {

static_assert(kLogRecordBytesMax < vfs::kFileSizeMaxBytes);

const char* LogEndReasonName(LogEnd::Reason reason) {
  switch (reason) {
    case LogEnd::kEndOfFile:
      return "end-of-file";
    case LogEnd::kZeroHeader:
      return "zero-header";
    case LogEnd::kShortRecord:
      return "short-record";
    case LogEnd::kNoRecord:
      return "no-record";
    case LogEnd::kBadHeader:
      return "bad-header";
    case LogEnd::kBadBody:
      return "bad-body";
    case LogEnd::kStaleRecord:
      return "stale-record";
  }
  return "unknown";
}

LogReader::LogReader(vfs::File& file, uint64_t start_offset, LogLimits limits)
    : file_(file), limits_(limits), offset_(start_offset) {
  NS_ASSERT(start_offset <= vfs::kFileSizeMaxBytes);
  NS_ASSERT(limits.payload_bytes_max <= kLogPayloadBytesMax);
}

const LogEnd& LogReader::end() const {
  NS_ASSERT(end_.has_value());
  return *end_;
}

std::optional<LogRecord> LogReader::finish(LogEnd::Reason reason, std::string detail) {
  NS_ASSERT(!end_.has_value());
  end_ = LogEnd{.reason = reason, .offset = offset_, .detail = std::move(detail)};
  return std::nullopt;
}

absl::StatusOr<size_t> LogReader::read(uint64_t offset_bytes, std::span<uint8_t> out) {
  // No file reaches past kFileSizeMaxBytes: bytes beyond it read as the end of the file.
  NS_ASSERT(offset_bytes <= vfs::kFileSizeMaxBytes);
  const uint64_t readable_bytes = vfs::kFileSizeMaxBytes - offset_bytes;
  if (readable_bytes < out.size()) out = out.first(static_cast<size_t>(readable_bytes));
  if (out.empty()) return 0;
  return file_.pread(offset_bytes, out);
}

absl::StatusOr<bool> LogReader::record_fits(uint64_t record_bytes) {
  if (record_bytes <= file_size_bytes_ && offset_ <= file_size_bytes_ - record_bytes) return true;
  NS_ASSIGN_OR_RETURN(file_size_bytes_, file_.size());
  return record_bytes <= file_size_bytes_ && offset_ <= file_size_bytes_ - record_bytes;
}

absl::StatusOr<std::optional<LogRecord>> LogReader::next() {
  if (end_.has_value()) return std::nullopt;

  std::array<uint8_t, kLogHeaderBytes> header_bytes;
  NS_ASSIGN_OR_RETURN(const size_t header_read_bytes, read(offset_, header_bytes));
  if (header_read_bytes == 0) {
    return finish(LogEnd::kEndOfFile, absl::StrFormat("end of file at offset %d", offset_));
  }
  if (header_read_bytes < kLogHeaderBytes) {
    return finish(LogEnd::kShortRecord,
                  absl::StrFormat("file ends %d bytes into the %d-byte header at offset %d",
                                  header_read_bytes, kLogHeaderBytes, offset_));
  }
  if (std::all_of(header_bytes.begin(), header_bytes.end(), [](uint8_t b) { return b == 0; })) {
    return finish(LogEnd::kZeroHeader, absl::StrFormat("%d zero bytes at offset %d (never written)",
                                                       kLogHeaderBytes, offset_));
  }
  if (DecodeFixed32(header_bytes.data()) != kLogMagic) {
    return finish(LogEnd::kNoRecord,
                  absl::StrFormat("no record magic at offset %d", offset_));
  }
  absl::StatusOr<LogRecordHeader> header = DecodeLogHeader(header_bytes, offset_, limits_);
  if (!header.ok()) return finish(LogEnd::kBadHeader, std::string(header.status().message()));
  const uint64_t record_bytes = header->record_bytes();
  NS_ASSERT(record_bytes <= kLogRecordBytesMax);

  // Checked before allocating: a header that survived a crash may claim a body that did not.
  NS_ASSIGN_OR_RETURN(const bool fits, record_fits(record_bytes));
  if (!fits) {
    return finish(LogEnd::kShortRecord,
                  absl::StrFormat("file ends at %d, inside the %d-byte record at offset %d",
                                  file_size_bytes_, record_bytes, offset_));
  }
  std::vector<uint8_t> body(static_cast<size_t>(record_bytes - kLogHeaderBytes));
  NS_ASSIGN_OR_RETURN(const size_t body_read_bytes, read(offset_ + kLogHeaderBytes, body));
  if (body_read_bytes < body.size()) {
    file_size_bytes_ = offset_ + kLogHeaderBytes + body_read_bytes;
    return finish(LogEnd::kShortRecord,
                  absl::StrFormat("file ends at %d, inside the %d-byte record at offset %d",
                                  file_size_bytes_, record_bytes, offset_));
  }
  absl::StatusOr<std::vector<LogOp>> ops = DecodeLogBody(*header, body, offset_, limits_);
  if (!ops.ok()) return finish(LogEnd::kBadBody, std::string(ops.status().message()));

  LogRecord record{.offset = offset_,
                   .txn_id = header->txn_id,
                   .flags = header->flags,
                   .ops = std::move(ops).value(),
                   .record_bytes = record_bytes};
  offset_ += record_bytes;
  return record;
}

}  // namespace northstar::engine
