#include "engine/log/record.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

// Header fields.
constexpr size_t kMagicOffset = 0;
constexpr size_t kVersionOffset = 4;
constexpr size_t kFlagsOffset = 6;
constexpr size_t kTxnIdOffset = 8;
constexpr size_t kOpCountOffset = 16;
constexpr size_t kReserved20Offset = 20;
constexpr size_t kPayloadBytesOffset = 24;
constexpr size_t kHeaderCrcOffset = 32;
constexpr size_t kReserved36Offset = 36;
static_assert(kReserved36Offset + 4 == kLogHeaderBytes);
// The header CRC covers [0, kHeaderCrcOffset).
constexpr size_t kHeaderCrcCoveredBytes = kHeaderCrcOffset;

// Trailer fields, from the trailer's start.
constexpr size_t kPayloadCrcOffset = 0;
constexpr size_t kTrailerReservedOffset = 4;
constexpr size_t kRecordBytesOffset = 8;
static_assert(kRecordBytesOffset + 8 == kLogTrailerBytes);

// Op header fields, from the op's start.
constexpr size_t kOpTypeOffset = 0;
constexpr size_t kOpKeySizeOffset = 1;
constexpr size_t kOpValueSizeOffset = 3;
static_assert(kOpValueSizeOffset + 4 == kLogOpHeaderBytes);

bool IsKnownOpType(uint8_t raw_type) {
  return raw_type == static_cast<uint8_t>(LogOpType::kPut) ||
         raw_type == static_cast<uint8_t>(LogOpType::kDelete);
}

void AssertLimitsValid(const LogLimits& limits) {
  NS_ASSERT(limits.key_size_max_bytes <= kLogKeySizeFormatMaxBytes);
  NS_ASSERT(limits.value_size_max_bytes <= kLogValueSizeFormatMaxBytes);
  NS_ASSERT(limits.ops_per_commit_max >= 1);
  NS_ASSERT(limits.payload_bytes_max <= kLogPayloadBytesMax);
}

absl::Status RecordCorruption(uint64_t offset, std::string_view detail) {
  return absl::DataLossError(absl::StrFormat("commit record at log offset %d: %s", offset, detail));
}

uint64_t OpBytes(const LogOp& op) { return kLogOpHeaderBytes + op.key.size() + op.value.size(); }

uint64_t PayloadBytes(std::span<const LogOp> ops) {
  uint64_t payload_bytes = 0;
  for (const LogOp& op : ops) payload_bytes += OpBytes(op);
  return payload_bytes;
}

absl::Status CheckOp(const LogOp& op, size_t index, const LogLimits& limits) {
  if (!IsKnownOpType(static_cast<uint8_t>(op.type))) {
    return absl::InvalidArgumentError(
        absl::StrFormat("op %d: unknown op type %d", index, static_cast<int>(op.type)));
  }
  if (op.key.size() > limits.key_size_max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("op %d: key size %d bytes exceeds the limit of %d bytes", index,
                        op.key.size(), limits.key_size_max_bytes));
  }
  if (op.value.size() > limits.value_size_max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("op %d: value size %d bytes exceeds the limit of %d bytes", index,
                        op.value.size(), limits.value_size_max_bytes));
  }
  if (op.type == LogOpType::kDelete && !op.value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("op %d: a delete carries a %d-byte value", index, op.value.size()));
  }
  return absl::OkStatus();
}

void EncodeHeader(TxnId txn_id, uint32_t op_count, uint64_t payload_bytes, uint16_t flags,
                  uint8_t* bytes) {
  EncodeFixed32(bytes + kMagicOffset, kLogMagic);
  EncodeFixed16(bytes + kVersionOffset, kLogVersion);
  EncodeFixed16(bytes + kFlagsOffset, flags);
  EncodeFixed64(bytes + kTxnIdOffset, txn_id);
  EncodeFixed32(bytes + kOpCountOffset, op_count);
  EncodeFixed32(bytes + kReserved20Offset, 0);
  EncodeFixed64(bytes + kPayloadBytesOffset, payload_bytes);
  EncodeFixed32(bytes + kHeaderCrcOffset, crc32c::Value(bytes, kHeaderCrcCoveredBytes));
  EncodeFixed32(bytes + kReserved36Offset, 0);
}

// Writes the op at `bytes` and returns the byte after it.
uint8_t* EncodeOp(const LogOp& op, uint8_t* bytes) {
  NS_ASSERT(IsKnownOpType(static_cast<uint8_t>(op.type)));
  NS_ASSERT(op.key.size() <= kLogKeySizeFormatMaxBytes);
  NS_ASSERT(op.value.size() <= kLogValueSizeFormatMaxBytes);
  NS_ASSERT(op.type == LogOpType::kPut || op.value.empty());
  bytes[kOpTypeOffset] = static_cast<uint8_t>(op.type);
  EncodeFixed16(bytes + kOpKeySizeOffset, static_cast<uint16_t>(op.key.size()));
  EncodeFixed32(bytes + kOpValueSizeOffset, static_cast<uint32_t>(op.value.size()));
  bytes += kLogOpHeaderBytes;
  if (!op.key.empty()) std::memcpy(bytes, op.key.data(), op.key.size());
  bytes += op.key.size();
  if (!op.value.empty()) std::memcpy(bytes, op.value.data(), op.value.size());
  return bytes + op.value.size();
}

// The largest payload op_count ops can have under `limits`, compared without overflow: true
// when payload_bytes exceeds it. Precondition: op_count >= 1.
bool PayloadTooLargeForOps(uint64_t payload_bytes, uint32_t op_count, const LogLimits& limits) {
  const uint64_t op_bytes_max =
      kLogOpHeaderBytes + limits.key_size_max_bytes + limits.value_size_max_bytes;
  // payload_bytes <= kLogPayloadBytesMax here, so the rounding up cannot overflow.
  const uint64_t ops_needed = (payload_bytes + op_bytes_max - 1) / op_bytes_max;
  return ops_needed > op_count;
}

// Parses the op at payload[position, ...) into `op`; advances `position`.
absl::Status DecodeOp(std::span<const uint8_t> payload, size_t index, uint64_t offset,
                      const LogLimits& limits, size_t& position, LogOp& op) {
  const size_t left_bytes = payload.size() - position;
  if (left_bytes < kLogOpHeaderBytes) {
    return RecordCorruption(
        offset, absl::StrFormat("op %d at payload offset %d: header needs %d bytes, %d left", index,
                                position, kLogOpHeaderBytes, left_bytes));
  }
  const uint8_t* bytes = payload.data() + position;
  const uint8_t raw_type = bytes[kOpTypeOffset];
  const uint16_t key_size = DecodeFixed16(bytes + kOpKeySizeOffset);
  const uint32_t value_size = DecodeFixed32(bytes + kOpValueSizeOffset);
  if (!IsKnownOpType(raw_type)) {
    return RecordCorruption(offset, absl::StrFormat("op %d: unknown op type %d", index, raw_type));
  }
  if (key_size > limits.key_size_max_bytes) {
    return RecordCorruption(offset, absl::StrFormat("op %d: key_size %d exceeds the limit %d",
                                                    index, key_size, limits.key_size_max_bytes));
  }
  if (value_size > limits.value_size_max_bytes) {
    return RecordCorruption(
        offset, absl::StrFormat("op %d: value_size %d exceeds the limit %d", index, value_size,
                                limits.value_size_max_bytes));
  }
  const auto type = static_cast<LogOpType>(raw_type);
  if (type == LogOpType::kDelete && value_size != 0) {
    return RecordCorruption(
        offset, absl::StrFormat("op %d: delete with value_size %d, expected 0", index, value_size));
  }
  // Both sizes are at most 2^32 - 1, so the sum cannot overflow a uint64_t.
  const uint64_t data_bytes = uint64_t{key_size} + value_size;
  if (data_bytes > left_bytes - kLogOpHeaderBytes) {
    return RecordCorruption(
        offset,
        absl::StrFormat("op %d: key_size %d + value_size %d overflow the payload (%d "
                        "bytes left after the op header at payload offset %d)",
                        index, key_size, value_size, left_bytes - kLogOpHeaderBytes, position));
  }
  const char* data = reinterpret_cast<const char*>(bytes + kLogOpHeaderBytes);
  op.type = type;
  op.key.assign(data, key_size);
  op.value.assign(data + key_size, value_size);
  position += kLogOpHeaderBytes + static_cast<size_t>(data_bytes);
  return absl::OkStatus();
}

absl::Status CheckTrailer(const LogRecordHeader& header, std::span<const uint8_t> payload,
                          const uint8_t* trailer, uint64_t offset) {
  const uint32_t stored_crc = DecodeFixed32(trailer + kPayloadCrcOffset);
  const uint32_t actual_crc = crc32c::Extend(header.header_crc, payload.data(), payload.size());
  if (stored_crc != actual_crc) {
    return RecordCorruption(
        offset, absl::StrFormat("payload_crc 0x%08x, computed 0x%08x", stored_crc, actual_crc));
  }
  if (DecodeFixed32(trailer + kTrailerReservedOffset) != 0) {
    return RecordCorruption(offset, "reserved trailer bytes not zero");
  }
  const uint64_t record_bytes = DecodeFixed64(trailer + kRecordBytesOffset);
  if (record_bytes != header.record_bytes()) {
    return RecordCorruption(offset, absl::StrFormat("trailer record_bytes %d, header says %d",
                                                    record_bytes, header.record_bytes()));
  }
  return absl::OkStatus();
}

// The header's field checks after magic, version and CRC passed.
absl::Status CheckHeaderFields(const uint8_t* bytes, uint64_t offset, const LogLimits& limits) {
  const uint16_t flags = DecodeFixed16(bytes + kFlagsOffset);
  if ((flags & ~kLogFlagUnsynced) != 0) {
    return RecordCorruption(offset, absl::StrFormat("flags 0x%04x, unknown bits", flags));
  }
  if (DecodeFixed32(bytes + kReserved20Offset) != 0 ||
      DecodeFixed32(bytes + kReserved36Offset) != 0) {
    return RecordCorruption(offset, "reserved header bytes not zero");
  }
  if (DecodeFixed64(bytes + kTxnIdOffset) == 0) return RecordCorruption(offset, "txn_id 0");
  const uint32_t op_count = DecodeFixed32(bytes + kOpCountOffset);
  if (op_count == 0 || op_count > limits.ops_per_commit_max) {
    return RecordCorruption(offset, absl::StrFormat("op_count %d outside [1, %d]", op_count,
                                                    limits.ops_per_commit_max));
  }
  const uint64_t payload_bytes = DecodeFixed64(bytes + kPayloadBytesOffset);
  if (payload_bytes > limits.payload_bytes_max) {
    return RecordCorruption(offset, absl::StrFormat("payload_bytes %d exceeds the limit %d",
                                                    payload_bytes, limits.payload_bytes_max));
  }
  if (payload_bytes < uint64_t{op_count} * kLogOpHeaderBytes) {
    return RecordCorruption(
        offset, absl::StrFormat("payload_bytes %d too small for %d ops (at least %d each)",
                                payload_bytes, op_count, kLogOpHeaderBytes));
  }
  if (PayloadTooLargeForOps(payload_bytes, op_count, limits)) {
    return RecordCorruption(
        offset, absl::StrFormat("payload_bytes %d too large for %d ops under the key and value "
                                "size limits",
                                payload_bytes, op_count));
  }
  return absl::OkStatus();
}

}  // namespace

const char* LogOpTypeName(LogOpType type) {
  switch (type) {
    case LogOpType::kPut:
      return "put";
    case LogOpType::kDelete:
      return "delete";
  }
  return "unknown";
}

absl::Status CheckLogOps(std::span<const LogOp> ops, const LogLimits& limits) {
  AssertLimitsValid(limits);
  if (ops.empty()) return absl::InvalidArgumentError("a commit record needs at least one op");
  if (ops.size() > limits.ops_per_commit_max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d ops in one commit exceed the limit of %d ops", ops.size(), limits.ops_per_commit_max));
  }
  for (size_t index = 0; index < ops.size(); index++) {
    NS_RETURN_IF_ERROR(CheckOp(ops[index], index, limits));
  }
  const uint64_t payload_bytes = PayloadBytes(ops);
  if (payload_bytes > limits.payload_bytes_max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%d ops need a %d-byte commit record payload, above the limit of %d bytes",
                        ops.size(), payload_bytes, limits.payload_bytes_max));
  }
  return absl::OkStatus();
}

uint64_t LogRecordBytes(std::span<const LogOp> ops) {
  return kLogHeaderBytes + PayloadBytes(ops) + kLogTrailerBytes;
}

void EncodeLogRecord(TxnId txn_id, std::span<const LogOp> ops, std::vector<uint8_t>& out,
                     uint16_t flags) {
  NS_ASSERT(txn_id >= 1);
  NS_ASSERT(!ops.empty());
  NS_ASSERT(ops.size() <= kLogOpsPerCommitFormatMax);
  const uint64_t payload_bytes = PayloadBytes(ops);
  NS_ASSERT(payload_bytes <= kLogPayloadBytesMax);
  const uint64_t record_bytes = kLogHeaderBytes + payload_bytes + kLogTrailerBytes;
  const size_t start = out.size();
  out.resize(start + record_bytes);
  uint8_t* header = out.data() + start;
  NS_ASSERT((flags & ~kLogFlagUnsynced) == 0);
  EncodeHeader(txn_id, static_cast<uint32_t>(ops.size()), payload_bytes, flags, header);

  uint8_t* position = header + kLogHeaderBytes;
  for (const LogOp& op : ops) position = EncodeOp(op, position);
  NS_ASSERT(position == header + kLogHeaderBytes + payload_bytes);

  const uint32_t header_crc = DecodeFixed32(header + kHeaderCrcOffset);
  EncodeFixed32(position + kPayloadCrcOffset,
                crc32c::Extend(header_crc, header + kLogHeaderBytes, payload_bytes));
  EncodeFixed32(position + kTrailerReservedOffset, 0);
  EncodeFixed64(position + kRecordBytesOffset, record_bytes);
  NS_ASSERT(position + kLogTrailerBytes == out.data() + out.size());
}

absl::StatusOr<LogRecordHeader> DecodeLogHeader(std::span<const uint8_t> header_bytes,
                                                uint64_t offset, const LogLimits& limits) {
  AssertLimitsValid(limits);
  if (header_bytes.size() != kLogHeaderBytes) {
    return RecordCorruption(offset, absl::StrFormat("header is %d bytes, expected %d",
                                                    header_bytes.size(), kLogHeaderBytes));
  }
  const uint8_t* bytes = header_bytes.data();
  const uint32_t magic = DecodeFixed32(bytes + kMagicOffset);
  if (magic != kLogMagic) {
    return RecordCorruption(offset,
                            absl::StrFormat("magic 0x%08x, expected 0x%08x", magic, kLogMagic));
  }
  const uint16_t version = DecodeFixed16(bytes + kVersionOffset);
  if (version != kLogVersion) {
    return RecordCorruption(offset,
                            absl::StrFormat("version %d, expected %d", version, kLogVersion));
  }
  const uint32_t stored_crc = DecodeFixed32(bytes + kHeaderCrcOffset);
  const uint32_t actual_crc = crc32c::Value(bytes, kHeaderCrcCoveredBytes);
  if (stored_crc != actual_crc) {
    return RecordCorruption(
        offset, absl::StrFormat("header_crc 0x%08x, computed 0x%08x", stored_crc, actual_crc));
  }
  NS_RETURN_IF_ERROR(CheckHeaderFields(bytes, offset, limits));
  const LogRecordHeader header{.txn_id = DecodeFixed64(bytes + kTxnIdOffset),
                               .op_count = DecodeFixed32(bytes + kOpCountOffset),
                               .payload_bytes = DecodeFixed64(bytes + kPayloadBytesOffset),
                               .flags = DecodeFixed16(bytes + kFlagsOffset),
                               .header_crc = stored_crc};
  NS_ASSERT(header.record_bytes() <= kLogRecordBytesMax);
  return header;
}

absl::StatusOr<std::vector<LogOp>> DecodeLogBody(const LogRecordHeader& header,
                                                 std::span<const uint8_t> payload_and_trailer,
                                                 uint64_t offset, const LogLimits& limits) {
  AssertLimitsValid(limits);
  // A header from DecodeLogHeader has payload_bytes <= kLogPayloadBytesMax; a hand-made one is
  // checked here rather than trusted.
  if (header.op_count == 0 || header.payload_bytes > kLogPayloadBytesMax ||
      payload_and_trailer.size() != header.payload_bytes + kLogTrailerBytes) {
    return RecordCorruption(
        offset, absl::StrFormat("body is %d bytes, header says %d ops, %d payload + %d "
                                "trailer bytes",
                                payload_and_trailer.size(), header.op_count, header.payload_bytes,
                                kLogTrailerBytes));
  }
  const auto payload = payload_and_trailer.first(static_cast<size_t>(header.payload_bytes));
  NS_RETURN_IF_ERROR(CheckTrailer(header, payload, payload.data() + payload.size(), offset));

  std::vector<LogOp> ops;
  // op_count * kLogOpHeaderBytes <= payload_bytes was checked: the reservation is bounded by
  // the payload's size, whatever op_count says.
  ops.reserve(std::min<uint64_t>(header.op_count, payload.size() / kLogOpHeaderBytes));
  size_t position = 0;
  for (uint32_t index = 0; index < header.op_count; index++) {
    LogOp& op = ops.emplace_back();
    NS_RETURN_IF_ERROR(DecodeOp(payload, index, offset, limits, position, op));
  }
  if (position != payload.size()) {
    return RecordCorruption(
        offset, absl::StrFormat("%d payload bytes left after op_count %d ops (payload_bytes %d)",
                                payload.size() - position, header.op_count, payload.size()));
  }
  return ops;
}

}  // namespace northstar::engine
