// Fuzz target: the commit record codec, DecodeLogHeader and DecodeLogBody (engine/log/record.h,
// spec/commit_record.md CR-1..CR-12).
//
// Input: one record as in the log (header, payload, trailer), possibly followed by other bytes.
// The header is the first 40 bytes; the body handed to DecodeLogBody is exactly the payload and
// trailer the header claims when the input holds them, else everything after the header (which
// must then be rejected). Checks:
// - a rejection is DataLoss with a message; nothing is read outside the spans (ASan);
// - an accepted record's ops pass CheckLogOps under the same limits, re-encode (EncodeLogRecord)
//   to the input's bytes, and LogRecordBytes agrees with the header;
// - limits are monotone: a record accepted under tight limits is accepted, with the same ops,
//   under the format's own limits;
// - DecodeLogBody also runs with a header taken from the input's fields unchecked (as a caller
//   might hand it), and must not crash or allocate beyond the payload's size.
// The custom mutator re-seals both CRCs after libFuzzer's mutation.
#include <algorithm>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "engine/log/record.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/log_mutator.h"

namespace northstar::fuzz {
namespace {

using engine::LogLimits;
using engine::LogOp;
using engine::LogRecordHeader;

// Small limits, so that the limit checks (which the defaults almost never hit) are reached.
constexpr LogLimits kTightLimits{.key_size_max_bytes = 64,
                                 .value_size_max_bytes = 512,
                                 .ops_per_commit_max = 8,
                                 .payload_bytes_max = 2048};

// The header fields as stored, without any check.
LogRecordHeader UncheckedHeader(std::span<const uint8_t> header_bytes) {
  const uint8_t* bytes = header_bytes.data();
  return LogRecordHeader{.txn_id = DecodeFixed64(bytes + 8),
                         .op_count = DecodeFixed32(bytes + 16),
                         .payload_bytes = DecodeFixed64(bytes + 24),
                         .flags = DecodeFixed16(bytes + 6),
                         .header_crc = DecodeFixed32(bytes + 32)};
}

// The bytes after the header that DecodeLogBody gets: exactly payload + trailer when present.
std::span<const uint8_t> BodyFor(const LogRecordHeader& header, std::span<const uint8_t> rest) {
  const uint64_t body_bytes = header.payload_bytes + engine::kLogTrailerBytes;
  if (header.payload_bytes <= rest.size() && body_bytes <= rest.size()) {
    return rest.first(static_cast<size_t>(body_bytes));
  }
  return rest;
}

// Decodes with `limits`; on success checks the record round-trips. Returns the ops, if any.
std::optional<std::vector<LogOp>> DecodeRecord(std::span<const uint8_t> input,
                                               const LogLimits& limits) {
  const auto header_bytes = input.first(engine::kLogHeaderBytes);
  const absl::StatusOr<LogRecordHeader> header = engine::DecodeLogHeader(header_bytes, 0, limits);
  if (!header.ok()) {
    AssertCorruption(header.status(), "DecodeLogHeader");
    return std::nullopt;
  }
  NS_ASSERT(header->record_bytes() <= engine::kLogRecordBytesMax);
  const auto body = BodyFor(*header, input.subspan(engine::kLogHeaderBytes));
  absl::StatusOr<std::vector<LogOp>> ops = engine::DecodeLogBody(*header, body, 0, limits);
  if (!ops.ok()) {
    AssertCorruption(ops.status(), "DecodeLogBody");
    return std::nullopt;
  }
  NS_ASSERT_MSG(engine::CheckLogOps(*ops, limits).ok(), "decoded ops fail CheckLogOps");
  NS_ASSERT(ops->size() == header->op_count);
  NS_ASSERT(engine::LogRecordBytes(*ops) == header->record_bytes());
  std::vector<uint8_t> again;
  engine::EncodeLogRecord(header->txn_id, *ops, again, header->flags);
  NS_ASSERT_MSG(again.size() == header->record_bytes() &&
                    std::equal(again.begin(), again.end(), input.begin()),
                "re-encoding a decoded commit record gave different bytes");
  return std::move(ops).value();
}

}  // namespace
}  // namespace northstar::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar;
  using namespace northstar::fuzz;
  const std::span<const uint8_t> input(data, size);
  if (size < engine::kLogHeaderBytes) {
    const auto header = engine::DecodeLogHeader(input, 0, engine::LogLimits{});
    NS_ASSERT(!header.ok());
    AssertCorruption(header.status(), "DecodeLogHeader");
    return 0;
  }
  const auto ops = DecodeRecord(input, engine::LogLimits{});
  const auto tight_ops = DecodeRecord(input, kTightLimits);
  if (tight_ops.has_value()) {
    NS_ASSERT_MSG(ops.has_value() && *ops == *tight_ops,
                  "a record accepted under tight limits differs under the format's limits");
  }
  // The body decoder on its own, behind a header nobody checked.
  const engine::LogRecordHeader unchecked = UncheckedHeader(input);
  const auto body = BodyFor(unchecked, input.subspan(engine::kLogHeaderBytes));
  const auto body_ops = engine::DecodeLogBody(unchecked, body, 0, engine::LogLimits{});
  if (!body_ops.ok()) AssertCorruption(body_ops.status(), "DecodeLogBody");
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return northstar::fuzz::MutateLogBytes(data, size, max_size, seed);
}
