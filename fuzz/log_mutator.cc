#include "fuzz/log_mutator.h"

#include "engine/log/record.h"
#include "fuzz/fuzz_target.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"

namespace northstar::fuzz {
namespace {

// engine/log/record.h's layout.
constexpr size_t kPayloadBytesOffset = 24;
constexpr size_t kHeaderCrcOffset = 32;
// Records re-sealed per input at most: every record is at least 63 bytes, so this bounds the
// walk well above any corpus input.
constexpr size_t kRecordsMax = 4096;

}  // namespace

size_t ResealLogRecords(uint8_t* data, size_t size) {
  size_t offset = 0;
  size_t records = 0;
  while (records < kRecordsMax && size - offset >= engine::kLogHeaderBytes) {
    uint8_t* header = data + offset;
    if (DecodeFixed32(header) != engine::kLogMagic) break;
    const uint32_t header_crc = crc32c::Value(header, kHeaderCrcOffset);
    EncodeFixed32(header + kHeaderCrcOffset, header_crc);
    records++;
    const uint64_t payload_bytes = DecodeFixed64(header + kPayloadBytesOffset);
    const size_t body_left = size - offset - engine::kLogHeaderBytes;
    if (payload_bytes > body_left || body_left - payload_bytes < engine::kLogTrailerBytes) break;
    uint8_t* payload = header + engine::kLogHeaderBytes;
    uint8_t* trailer = payload + payload_bytes;
    EncodeFixed32(trailer, crc32c::Extend(header_crc, payload, payload_bytes));
    offset += engine::kLogHeaderBytes + payload_bytes + engine::kLogTrailerBytes;
  }
  return records;
}

size_t MutateLogBytes(uint8_t* data, size_t size, size_t max_size, uint32_t seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (!Rng(seed).OneIn(4)) ResealLogRecords(data, size);
  return size;
}

}  // namespace northstar::fuzz
