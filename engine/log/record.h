// The commit record: one committed write transaction in the commit log `<name>.log`. Codec only
// (pure functions, no I/O); LogReader (engine/log/reader.h) reads records from a file.
//
// Layout (little-endian, unaligned). A record is header, payload, trailer, back to back:
//
// Header, kLogHeaderBytes = 40:
//   0  u32  magic            kLogMagic (the bytes "NSLR")
//   4  u16  version          kLogVersion (1)
//   6  u16  flags            kLogFlagUnsynced or 0
//   8  u64  txn_id           the commit's txn id, >= 1
//   16 u32  op_count         ops in the payload, 1..limits.ops_per_commit_max
//   20 u32  reserved         0
//   24 u64  payload_bytes    bytes of the payload, in [op_count * 7, op_count * (7 + key max +
//                            value max)] and <= limits.payload_bytes_max
//   32 u32  header_crc       CRC32C of header bytes [0, 32)
//   36 u32  reserved         0
// Payload, payload_bytes: op_count ops, each
//   u8   type                1 put, 2 delete (LogOpType)
//   u16  key_size            <= limits.key_size_max_bytes
//   u32  value_size          <= limits.value_size_max_bytes; 0 for a delete
//   key bytes, then value bytes
// Trailer, kLogTrailerBytes = 16:
//   0  u32  payload_crc      CRC32C of header bytes [0, 32) followed by the payload, i.e.
//                            crc32c::Extend(header_crc, payload): the payload is bound to its
//                            header, so a header spliced onto another record's payload (a torn
//                            overwrite of a recycled log) fails
//   4  u32  reserved         0
//   8  u64  record_bytes     kLogHeaderBytes + payload_bytes + kLogTrailerBytes
//
// A record has exactly one encoding for its (txn id, ops): a record that decodes re-encodes to
// the same bytes. Every failed check is a DataLoss naming the record's log offset and the field.
// The decoders never read outside the spans they are given and check every length before use:
// they are fuzzed. spec/commit_record.md (CR-1..CR-12) is the prose version.
//
// Limits: the writer checks ops with CheckLogOps against its limits; the reader must decode
// with limits at least as large (the defaults, the format's own, are always safe), or it would
// reject a record that was acknowledged as durable.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/format/types.h"

namespace northstar::engine {

inline constexpr uint32_t kLogMagic = 0x524C534E;  // Bytes "NSLR" on disk (little-endian).
inline constexpr uint16_t kLogVersion = 1;
inline constexpr size_t kLogHeaderBytes = 40;
inline constexpr size_t kLogTrailerBytes = 16;
// type (1) + key_size (2) + value_size (4).
inline constexpr size_t kLogOpHeaderBytes = 7;

// Hard bounds of the format (field widths), and the largest payload any record may have: a
// reader never allocates more than kLogRecordBytesMax for one record, whatever a header says.
inline constexpr uint32_t kLogKeySizeFormatMaxBytes = std::numeric_limits<uint16_t>::max();
inline constexpr uint64_t kLogValueSizeFormatMaxBytes = std::numeric_limits<uint32_t>::max();
inline constexpr uint32_t kLogOpsPerCommitFormatMax = std::numeric_limits<uint32_t>::max();
inline constexpr uint64_t kLogPayloadBytesMax = uint64_t{1} << 30;
inline constexpr uint64_t kLogRecordBytesMax =
    kLogHeaderBytes + kLogPayloadBytesMax + kLogTrailerBytes;

static_assert(kKeySizeLimitBytes <= kLogKeySizeFormatMaxBytes);
static_assert(kValueSizeMaxBytes <= kLogValueSizeFormatMaxBytes);
static_assert(kLogOpHeaderBytes + kKeySizeLimitBytes + kValueSizeMaxBytes <= kLogPayloadBytesMax,
              "one op of the largest key and value must fit in a record");

enum class LogOpType : uint8_t { kPut = 1, kDelete = 2 };

[[nodiscard]] const char* LogOpTypeName(LogOpType type);

// One write of a commit. A delete's value is empty.
struct LogOp {
  LogOpType type = LogOpType::kPut;
  std::string key;
  std::string value;

  friend bool operator==(const LogOp&, const LogOp&) = default;
};

// What a commit record may hold. Each limit must lie within the format's bounds above (asserted)
// and ops_per_commit_max must be >= 1.
struct LogLimits {
  uint32_t key_size_max_bytes = kKeySizeLimitBytes;
  uint64_t value_size_max_bytes = kValueSizeMaxBytes;
  uint32_t ops_per_commit_max = 100000;
  // Bounds a whole commit (and what a reader allocates for one record).
  uint64_t payload_bytes_max = kLogPayloadBytesMax;
};

// InvalidArgument unless `ops` can be one commit record under `limits`: 1..ops_per_commit_max
// ops, each of a known type with key and value sizes within the limits and an empty value for a
// delete, and a payload of at most payload_bytes_max. The message names the op index, the size
// or count, and the limit.
[[nodiscard]] absl::Status CheckLogOps(std::span<const LogOp> ops, const LogLimits& limits);

// Bytes of the record EncodeLogRecord writes for `ops`: header + payload + trailer.
[[nodiscard]] uint64_t LogRecordBytes(std::span<const LogOp> ops);

// Appends one record to `out`. Preconditions (asserted; CheckLogOps checks them for callers):
// txn_id >= 1, ops within the format's hard bounds (at least one op, known types, key < 64 KiB,
// value < 4 GiB, empty value for a delete, payload <= kLogPayloadBytesMax).
// Flag bit: the record was written without a sync (Durability::kLogNoSync), so a later record
// may survive a crash that tears this one; recovery must not read that as mid-log damage.
inline constexpr uint16_t kLogFlagUnsynced = 1;

void EncodeLogRecord(TxnId txn_id, std::span<const LogOp> ops, std::vector<uint8_t>& out,
                     uint16_t flags = 0);

struct LogRecordHeader {
  TxnId txn_id = 0;
  uint32_t op_count = 0;
  uint64_t payload_bytes = 0;
  uint16_t flags = 0;
  // The stored header CRC, which the payload CRC continues from.
  uint32_t header_crc = 0;

  [[nodiscard]] uint64_t record_bytes() const {
    return kLogHeaderBytes + payload_bytes + kLogTrailerBytes;
  }
};

// Checks, in this order: header_bytes.size() == kLogHeaderBytes, magic, version, header CRC,
// flags, reserved fields, txn_id >= 1, op_count in [1, ops_per_commit_max], payload_bytes
// <= payload_bytes_max, and payload_bytes plausible for op_count ops. DataLoss names `offset`
// (the record's position in the log) and the field. On success record_bytes() <=
// kLogRecordBytesMax.
[[nodiscard]] absl::StatusOr<LogRecordHeader> DecodeLogHeader(std::span<const uint8_t> header_bytes,
                                                              uint64_t offset,
                                                              const LogLimits& limits);

// Decodes the bytes after a header that DecodeLogHeader accepted. Checks, in this order: the
// span is payload_bytes + kLogTrailerBytes long, payload CRC, trailer reserved, record_bytes;
// then parses the payload: exactly op_count ops consuming exactly payload_bytes, known types,
// sizes within the limits, deletes without a value. DataLoss names `offset` and the field.
[[nodiscard]] absl::StatusOr<std::vector<LogOp>> DecodeLogBody(
    const LogRecordHeader& header, std::span<const uint8_t> payload_and_trailer, uint64_t offset,
    const LogLimits& limits);

}  // namespace northstar::engine
