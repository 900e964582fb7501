// Tests of the commit record codec (spec/commit_record.md CR-1..CR-12).
#include "engine/log/record.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"
#include "util/testing.h"

namespace northstar::engine {
namespace {

constexpr size_t kTxnIdOffset = 8;
constexpr size_t kOpCountOffset = 16;
constexpr size_t kPayloadBytesOffset = 24;
constexpr size_t kHeaderCrcOffset = 32;

// Success iff `status` is kDataLoss and its message holds every one of `substrings`.
::testing::AssertionResult IsDataLoss(const absl::Status& status,
                                      std::initializer_list<std::string_view> substrings) {
  if (status.code() != absl::StatusCode::kDataLoss) {
    return ::testing::AssertionFailure() << "expected DataLoss, got " << status;
  }
  const std::string message(status.message());
  for (const std::string_view substring : substrings) {
    if (message.find(substring) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" lacks \"" << substring << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsInvalidArgument(const absl::Status& status,
                                             std::initializer_list<std::string_view> substrings) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "expected InvalidArgument, got " << status;
  }
  const std::string message(status.message());
  for (const std::string_view substring : substrings) {
    if (message.find(substring) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" lacks \"" << substring << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

LogOp Put(std::string key, std::string value) {
  return {.type = LogOpType::kPut, .key = std::move(key), .value = std::move(value)};
}
LogOp Delete(std::string key) { return {.type = LogOpType::kDelete, .key = std::move(key)}; }

std::vector<uint8_t> Encode(TxnId txn_id, const std::vector<LogOp>& ops) {
  std::vector<uint8_t> record;
  EncodeLogRecord(txn_id, ops, record);
  return record;
}

// Decodes one whole record (header, then body) at log offset `offset`.
struct Decoded {
  TxnId txn_id = 0;
  std::vector<LogOp> ops;
};
absl::StatusOr<Decoded> Decode(std::span<const uint8_t> record, uint64_t offset = 0,
                               const LogLimits& limits = {}) {
  if (record.size() < kLogHeaderBytes) return absl::DataLossError("shorter than a header");
  NS_ASSIGN_OR_RETURN(const LogRecordHeader header,
                      DecodeLogHeader(record.first(kLogHeaderBytes), offset, limits));
  NS_ASSIGN_OR_RETURN(std::vector<LogOp> ops,
                      DecodeLogBody(header, record.subspan(kLogHeaderBytes), offset, limits));
  return Decoded{.txn_id = header.txn_id, .ops = std::move(ops)};
}

// Recomputes both CRCs and the trailer's record_bytes from the header's payload_bytes, as a
// crafted record would carry them: only the decoder's own checks then stand between its fields
// and the reader. Precondition: record.size() >= header + trailer.
void Reseal(std::vector<uint8_t>& record) {
  uint8_t* header = record.data();
  const uint32_t header_crc = crc32c::Value(header, kHeaderCrcOffset);
  EncodeFixed32(header + kHeaderCrcOffset, header_crc);
  const size_t payload_bytes = record.size() - kLogHeaderBytes - kLogTrailerBytes;
  uint8_t* trailer = header + kLogHeaderBytes + payload_bytes;
  EncodeFixed32(trailer, crc32c::Extend(header_crc, header + kLogHeaderBytes, payload_bytes));
  EncodeFixed64(trailer + 8, record.size());
}

// A record whose header says `op_count` ops, txn 7, around `payload` (sealed).
std::vector<uint8_t> CraftRecord(uint32_t op_count, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> record(kLogHeaderBytes + payload.size() + kLogTrailerBytes, 0);
  EncodeFixed32(record.data(), kLogMagic);
  EncodeFixed16(record.data() + 4, kLogVersion);
  EncodeFixed64(record.data() + kTxnIdOffset, 7);
  EncodeFixed32(record.data() + kOpCountOffset, op_count);
  EncodeFixed64(record.data() + kPayloadBytesOffset, payload.size());
  std::copy(payload.begin(), payload.end(), record.begin() + kLogHeaderBytes);
  Reseal(record);
  return record;
}

// One raw op: type, key_size, value_size as given, then `data`.
void AppendRawOp(std::vector<uint8_t>& payload, uint8_t type, uint16_t key_size,
                 uint32_t value_size, std::string_view data) {
  uint8_t op_header[kLogOpHeaderBytes];
  op_header[0] = type;
  EncodeFixed16(op_header + 1, key_size);
  EncodeFixed32(op_header + 3, value_size);
  payload.insert(payload.end(), op_header, op_header + kLogOpHeaderBytes);
  payload.insert(payload.end(), data.begin(), data.end());
}

void ExpectRoundTrip(TxnId txn_id, const std::vector<LogOp>& ops) {
  ASSERT_OK(CheckLogOps(ops, {}));
  const std::vector<uint8_t> record = Encode(txn_id, ops);
  EXPECT_EQ(record.size(), LogRecordBytes(ops));
  ASSERT_OK_AND_ASSIGN(const Decoded decoded, Decode(record, 4096));
  EXPECT_EQ(decoded.txn_id, txn_id);
  EXPECT_EQ(decoded.ops, ops);
}

TEST(LogOpTypeNameTest, NamesEveryType) {
  EXPECT_STREQ(LogOpTypeName(LogOpType::kPut), "put");
  EXPECT_STREQ(LogOpTypeName(LogOpType::kDelete), "delete");
  EXPECT_STREQ(LogOpTypeName(static_cast<LogOpType>(9)), "unknown");
}

// CR-5
TEST(LogRecordTest, RoundTripsOneOp) { ExpectRoundTrip(1, {Put("key", "value")}); }

// CR-5
TEST(LogRecordTest, RoundTripsEmptyKeyAndEmptyValue) {
  ExpectRoundTrip(2, {Put("", "")});
  ExpectRoundTrip(3, {Put("", "value"), Put("key", ""), Delete("")});
}

// CR-5
TEST(LogRecordTest, RoundTripsLargestKeyAndLargeValue) {
  ExpectRoundTrip(4, {Put(std::string(kKeySizeLimitBytes, 'k'), std::string(1 << 20, 'v'))});
  ExpectRoundTrip(5, {Delete(std::string(kKeySizeLimitBytes, 'd'))});
}

// CR-5
TEST(LogRecordTest, RoundTripsManyOps) {
  Rng rng(42);
  std::vector<LogOp> ops;
  for (int index = 0; index < 5000; index++) {
    std::string key(rng.Uniform(40), 'a');
    for (char& c : key) c = static_cast<char>(rng.Next());
    if (rng.OneIn(3)) {
      ops.push_back(Delete(std::move(key)));
    } else {
      ops.push_back(Put(std::move(key), std::string(rng.Uniform(300), static_cast<char>(index))));
    }
  }
  ExpectRoundTrip(UINT64_MAX, ops);
}

// CR-5: records append; each one decodes from its own offset.
TEST(LogRecordTest, EncodeAppends) {
  std::vector<uint8_t> log;
  EncodeLogRecord(10, std::vector<LogOp>{Put("a", "1")}, log);
  const size_t second_offset = log.size();
  EncodeLogRecord(11, std::vector<LogOp>{Delete("a")}, log);
  ASSERT_OK_AND_ASSIGN(const Decoded first,
                       Decode(std::span<const uint8_t>(log).first(second_offset)));
  ASSERT_OK_AND_ASSIGN(const Decoded second,
                       Decode(std::span<const uint8_t>(log).subspan(second_offset)));
  EXPECT_EQ(first.txn_id, 10u);
  EXPECT_EQ(second.txn_id, 11u);
  EXPECT_EQ(second.ops, std::vector<LogOp>{Delete("a")});
}

// CR-1..CR-4: every byte of a tiny record where the layout says.
TEST(LogRecordTest, ExactLayout) {
  const std::vector<uint8_t> record = Encode(0x0102030405060708, {Put("k", "vv"), Delete("xy")});
  const size_t payload_bytes = (7 + 1 + 2) + (7 + 2);
  ASSERT_EQ(record.size(), 40 + payload_bytes + 16);

  // clang-format off
  const std::vector<uint8_t> header_without_crc = {
      'N', 'S', 'L', 'R',                              // magic
      1, 0,                                            // version
      0, 0,                                            // flags
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // txn_id
      2, 0, 0, 0,                                      // op_count
      0, 0, 0, 0,                                      // reserved
      static_cast<uint8_t>(payload_bytes), 0, 0, 0, 0, 0, 0, 0,  // payload_bytes
  };
  // clang-format on
  ASSERT_EQ(header_without_crc.size(), 32u);
  EXPECT_EQ(std::vector<uint8_t>(record.begin(), record.begin() + 32), header_without_crc);
  const uint32_t header_crc = crc32c::Value(header_without_crc);
  EXPECT_EQ(DecodeFixed32(record.data() + 32), header_crc);
  EXPECT_EQ(DecodeFixed32(record.data() + 36), 0u);
  EXPECT_EQ(kLogMagic, DecodeFixed32(reinterpret_cast<const uint8_t*>("NSLR")));

  const std::vector<uint8_t> payload = {
      1, 1, 0, 2, 0, 0, 0, 'k', 'v', 'v',  // put "k" -> "vv"
      2, 2, 0, 0, 0, 0, 0, 'x', 'y',       // delete "xy"
  };
  ASSERT_EQ(payload.size(), payload_bytes);
  EXPECT_EQ(std::vector<uint8_t>(record.begin() + 40, record.begin() + 40 + payload_bytes),
            payload);

  const uint8_t* trailer = record.data() + 40 + payload_bytes;
  EXPECT_EQ(DecodeFixed32(trailer), crc32c::Extend(header_crc, payload.data(), payload.size()));
  // The payload CRC is the CRC32C of header[0, 32) ++ payload.
  std::vector<uint8_t> covered = header_without_crc;
  covered.insert(covered.end(), payload.begin(), payload.end());
  EXPECT_EQ(DecodeFixed32(trailer), crc32c::Value(covered));
  EXPECT_EQ(DecodeFixed32(trailer + 4), 0u);
  EXPECT_EQ(DecodeFixed64(trailer + 8), record.size());
}

// CR-7
TEST(CheckLogOpsTest, AcceptsOpsWithinTheLimits) {
  EXPECT_OK(CheckLogOps(std::vector<LogOp>{Put(std::string(kKeySizeLimitBytes, 'k'), "")}, {}));
  EXPECT_OK(CheckLogOps(std::vector<LogOp>{Put("k", std::string(100, 'v'))},
                        {.value_size_max_bytes = 100}));
  EXPECT_OK(CheckLogOps(std::vector<LogOp>(3, Delete("k")), {.ops_per_commit_max = 3}));
}

// CR-7
TEST(CheckLogOpsTest, RejectsNoOps) {
  EXPECT_TRUE(IsInvalidArgument(CheckLogOps({}, {}), {"at least one op"}));
}

// CR-7: errors name the op index, the size or count, and the limit.
TEST(CheckLogOpsTest, ErrorsNameIndexSizeAndLimit) {
  const std::vector<LogOp> long_key = {Put("a", "1"), Put("b", "2"), Put(std::string(17, 'k'), "")};
  EXPECT_TRUE(IsInvalidArgument(CheckLogOps(long_key, {.key_size_max_bytes = 16}),
                                {"op 2", "key size 17", "limit of 16"}));

  const std::vector<LogOp> long_value = {Put("a", std::string(101, 'v'))};
  EXPECT_TRUE(IsInvalidArgument(CheckLogOps(long_value, {.value_size_max_bytes = 100}),
                                {"op 0", "value size 101", "limit of 100"}));

  EXPECT_TRUE(
      IsInvalidArgument(CheckLogOps(std::vector<LogOp>(4, Delete("k")), {.ops_per_commit_max = 3}),
                        {"4 ops", "limit of 3"}));

  const std::vector<LogOp> delete_with_value = {Put("a", "1"), {LogOpType::kDelete, "k", "v"}};
  EXPECT_TRUE(IsInvalidArgument(CheckLogOps(delete_with_value, {}), {"op 1", "delete", "1-byte"}));

  const std::vector<LogOp> unknown_type = {{static_cast<LogOpType>(3), "k", ""}};
  EXPECT_TRUE(IsInvalidArgument(CheckLogOps(unknown_type, {}), {"op 0", "unknown op type 3"}));

  const std::vector<LogOp> too_big = {Put("a", std::string(60, 'v')),
                                      Put("b", std::string(60, 'v'))};
  EXPECT_TRUE(IsInvalidArgument(CheckLogOps(too_big, {.payload_bytes_max = 100}),
                                {"2 ops", "136-byte", "limit of 100"}));
}

// CR-6, CR-8..CR-11: every single-bit error anywhere in a record is caught, never a crash.
TEST(LogRecordTest, EveryBitFlipFails) {
  std::vector<uint8_t> record = Encode(77, {Put("key", "value"), Delete("gone"), Put("", "x")});
  for (size_t offset = 0; offset < record.size(); offset++) {
    for (int bit = 0; bit < 8; bit++) {
      record[offset] ^= static_cast<uint8_t>(1 << bit);
      EXPECT_TRUE(IsDataLoss(Decode(record).status(), {"log offset 0"}))
          << "byte " << offset << " bit " << bit;
      record[offset] ^= static_cast<uint8_t>(1 << bit);
    }
  }
  ASSERT_OK(Decode(record).status());
}

// CR-6, CR-8..CR-11
TEST(LogRecordTest, EveryByteFlipFails) {
  std::vector<uint8_t> record = Encode(3, {Put(std::string(300, 'k'), std::string(700, 'v'))});
  for (size_t offset = 0; offset < record.size(); offset++) {
    record[offset] ^= 0xFF;
    EXPECT_TRUE(IsDataLoss(Decode(record, 123).status(), {"log offset 123"})) << offset;
    record[offset] ^= 0xFF;
  }
}

// CR-9: a torn overwrite of a recycled log can leave a new header over the payload and trailer
// of an old record of the same size at the same offset. The payload CRC continues from the
// header CRC, so the old payload does not pass as the new commit.
TEST(LogRecordTest, HeaderSplicedOntoStalePayloadFails) {
  const std::vector<uint8_t> old_record = Encode(5, {Put("key-1", "old-value")});
  const std::vector<uint8_t> new_record = Encode(105, {Put("key-2", "new-value")});
  ASSERT_EQ(old_record.size(), new_record.size());
  std::vector<uint8_t> spliced = old_record;
  std::copy(new_record.begin(), new_record.begin() + kLogHeaderBytes, spliced.begin());
  EXPECT_TRUE(IsDataLoss(Decode(spliced, 64).status(), {"log offset 64", "payload_crc"}));
}

TEST(EncodeLogRecordTest, TheUnsyncedFlagRoundTrips) {
  std::vector<uint8_t> record;
  EncodeLogRecord(3, std::vector<LogOp>{{LogOpType::kPut, "k", "v"}}, record, kLogFlagUnsynced);
  ASSERT_OK_AND_ASSIGN(const LogRecordHeader header,
                       DecodeLogHeader(std::span(record).first(kLogHeaderBytes), 0, {}));
  EXPECT_EQ(header.flags, kLogFlagUnsynced);
}

// CR-8: each header field, with a valid header CRC.
TEST(DecodeLogHeaderTest, RejectsBadFieldsWithValidCrc) {
  const std::vector<uint8_t> good = Encode(9, {Put("k", "v"), Put("l", "w")});
  struct Case {
    size_t field_offset;
    size_t field_bytes;
    uint64_t value;
    std::string_view expected;
  };
  const Case cases[] = {
      {0, 4, 0x524C534F, "magic"},
      {4, 2, 2, "version 2"},
      {6, 2, 2, "flags 0x0002, unknown bits"},
      {8, 8, 0, "txn_id 0"},
      {16, 4, 0, "op_count 0"},
      {16, 4, 100001, "op_count 100001"},
      {20, 4, 1, "reserved"},
      {24, 8, 13, "payload_bytes 13 too small for 2 ops"},
      {24, 8, 2 * (7 + 4096 + (16 << 20)) + 1, "too large for 2 ops"},
      {24, 8, (uint64_t{1} << 30) + 1, "exceeds the limit"},
      {36, 4, 1, "reserved"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> header(good.begin(), good.begin() + kLogHeaderBytes);
    if (c.field_bytes == 2) EncodeFixed16(header.data() + c.field_offset, c.value);
    if (c.field_bytes == 4) EncodeFixed32(header.data() + c.field_offset, c.value);
    if (c.field_bytes == 8) EncodeFixed64(header.data() + c.field_offset, c.value);
    EncodeFixed32(header.data() + kHeaderCrcOffset, crc32c::Value(header.data(), 32));
    EXPECT_TRUE(
        IsDataLoss(DecodeLogHeader(header, 40960, {}).status(), {"log offset 40960", c.expected}))
        << c.expected;
  }
}

// CR-8
TEST(DecodeLogHeaderTest, RejectsWrongSizeAndBadCrc) {
  const std::vector<uint8_t> good = Encode(9, {Put("k", "v")});
  const std::span<const uint8_t> header(good.data(), kLogHeaderBytes);
  ASSERT_OK(DecodeLogHeader(header, 0, {}).status());
  EXPECT_TRUE(IsDataLoss(DecodeLogHeader(header.first(39), 0, {}).status(), {"39 bytes"}));
  EXPECT_TRUE(IsDataLoss(DecodeLogHeader(good, 0, {}).status(), {"expected 40"}));
  std::vector<uint8_t> bad_crc(header.begin(), header.end());
  bad_crc[kHeaderCrcOffset] ^= 1;
  EXPECT_TRUE(IsDataLoss(DecodeLogHeader(bad_crc, 0, {}).status(), {"header_crc"}));
  std::vector<uint8_t> zeros(kLogHeaderBytes, 0);
  EXPECT_TRUE(IsDataLoss(DecodeLogHeader(zeros, 0, {}).status(), {"magic 0x00000000"}));
}

// CR-8: the decoder's limits bound op_count and payload_bytes.
TEST(DecodeLogHeaderTest, AppliesTheCallersLimits) {
  const std::vector<uint8_t> record = Encode(9, {Put("k", std::string(50, 'v')), Delete("k")});
  const std::span<const uint8_t> header(record.data(), kLogHeaderBytes);
  EXPECT_TRUE(IsDataLoss(DecodeLogHeader(header, 0, {.ops_per_commit_max = 1}).status(),
                         {"op_count 2 outside [1, 1]"}));
  EXPECT_TRUE(IsDataLoss(DecodeLogHeader(header, 0, {.payload_bytes_max = 60}).status(),
                         {"payload_bytes 66 exceeds the limit 60"}));
  EXPECT_TRUE(IsDataLoss(
      DecodeLogHeader(header, 0, {.key_size_max_bytes = 1, .value_size_max_bytes = 20}).status(),
      {"too large for 2 ops"}));
}

// CR-9, CR-10: the body's framing.
TEST(DecodeLogBodyTest, RejectsBadFraming) {
  const std::vector<uint8_t> good = Encode(9, {Put("k", "v")});
  ASSERT_OK_AND_ASSIGN(const LogRecordHeader header,
                       DecodeLogHeader(std::span(good).first(kLogHeaderBytes), 0, {}));
  const auto body = std::span(good).subspan(kLogHeaderBytes);
  ASSERT_OK(DecodeLogBody(header, body, 0, {}).status());
  EXPECT_TRUE(IsDataLoss(DecodeLogBody(header, body.first(body.size() - 1), 0, {}).status(),
                         {"body is 24 bytes"}));

  std::vector<uint8_t> bad_reserved = good;
  bad_reserved[good.size() - 12] = 1;
  EXPECT_TRUE(IsDataLoss(Decode(bad_reserved).status(), {"reserved trailer"}));

  std::vector<uint8_t> bad_size = good;
  EncodeFixed64(bad_size.data() + good.size() - 8, good.size() + 1);
  EXPECT_TRUE(IsDataLoss(Decode(bad_size).status(), {"trailer record_bytes 66, header says 65"}));

  LogRecordHeader huge = header;
  huge.payload_bytes = UINT64_MAX - 8;  // payload + trailer overflows: must not wrap around.
  EXPECT_TRUE(IsDataLoss(DecodeLogBody(huge, body, 0, {}).status(), {"body is"}));
  LogRecordHeader no_ops = header;
  no_ops.op_count = 0;
  EXPECT_TRUE(IsDataLoss(DecodeLogBody(no_ops, body, 0, {}).status(), {"0 ops"}));
}

// CR-10, CR-11: payloads that pass both CRCs but break the op rules.
TEST(DecodeLogBodyTest, RejectsCraftedPayloadsWithValidCrcs) {
  std::vector<uint8_t> one_put;
  AppendRawOp(one_put, 1, 1, 1, "kv");
  ASSERT_OK(Decode(CraftRecord(1, one_put)).status());

  // op_count says 2 but the payload holds 1 op and a cut one (payload_bytes still >= 2 * 7).
  std::vector<uint8_t> two_claimed;
  AppendRawOp(two_claimed, 1, 1, 1, "kv");
  AppendRawOp(two_claimed, 1, 0, 0, "");
  two_claimed.resize(two_claimed.size() - 1);  // the second op header is cut short
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(2, two_claimed)).status(),
                         {"op 1 at payload offset 9", "needs 7 bytes, 6 left"}));

  // op_count says 1 but the payload holds 2 ops.
  std::vector<uint8_t> two_ops = one_put;
  AppendRawOp(two_ops, 2, 1, 0, "k");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, two_ops)).status(), {"8 payload bytes left"}));

  // key_size runs past the payload.
  std::vector<uint8_t> long_key;
  AppendRawOp(long_key, 1, 500, 0, "abc");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, long_key)).status(),
                         {"op 0: key_size 500 + value_size 0 overflow the payload"}));
  // ... by a single byte: the trailer follows the payload in the buffer, so only the bounds
  // check itself (not ASan) catches a reader that looks into it.
  std::vector<uint8_t> key_one_over;
  AppendRawOp(key_one_over, 1, 3, 0, "ab");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, key_one_over)).status(),
                         {"op 0: key_size 3 + value_size 0 overflow the payload (2 bytes left"}));
  std::vector<uint8_t> value_one_over = one_put;
  AppendRawOp(value_one_over, 1, 1, 4, "kvvv");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(2, value_one_over)).status(),
                         {"op 1: key_size 1 + value_size 4 overflow the payload (4 bytes left"}));
  // value_size runs past the payload.
  std::vector<uint8_t> long_value;
  AppendRawOp(long_value, 1, 1, 0xFFFFFFF0, "kvvv");
  EXPECT_TRUE(IsDataLoss(
      Decode(CraftRecord(1, long_value), 0, {.value_size_max_bytes = 0xFFFFFFFF}).status(),
      {"overflow the payload"}));

  std::vector<uint8_t> unknown_type;
  AppendRawOp(unknown_type, 3, 1, 1, "kv");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, unknown_type)).status(), {"unknown op type 3"}));
  std::vector<uint8_t> zero_type;
  AppendRawOp(zero_type, 0, 1, 1, "kv");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, zero_type)).status(), {"unknown op type 0"}));

  std::vector<uint8_t> delete_with_value;
  AppendRawOp(delete_with_value, 2, 1, 1, "kv");
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, delete_with_value)).status(),
                         {"op 0: delete with value_size 1"}));

  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, one_put), 0, {.key_size_max_bytes = 0}).status(),
                         {"key_size 1 exceeds the limit 0"}));
  EXPECT_TRUE(IsDataLoss(Decode(CraftRecord(1, one_put), 0, {.value_size_max_bytes = 0}).status(),
                         {"value_size 1 exceeds the limit 0"}));
}

// A random payload of roughly op-shaped bytes: plausible ops, some of them damaged.
std::vector<uint8_t> RandomPayload(Rng& rng, uint32_t& op_count) {
  std::vector<uint8_t> payload;
  op_count = static_cast<uint32_t>(rng.UniformInclusive(1, 6));
  const uint64_t ops_written = rng.OneIn(4) ? rng.UniformInclusive(0, 8) : op_count;
  for (uint64_t index = 0; index < ops_written; index++) {
    const uint8_t type = rng.OneIn(8) ? static_cast<uint8_t>(rng.Next()) : (rng.OneIn(2) ? 1 : 2);
    const uint16_t key_size = static_cast<uint16_t>(rng.Uniform(10));
    uint32_t value_size = type == 2 && !rng.OneIn(8) ? 0 : static_cast<uint32_t>(rng.Uniform(12));
    if (rng.OneIn(16)) value_size = static_cast<uint32_t>(rng.Next());
    // Usually exactly the bytes the sizes say; sometimes fewer or more.
    const uint64_t data_bytes = rng.OneIn(8) ? rng.Uniform(30) : key_size + value_size % 64;
    std::string data(data_bytes, 'x');
    for (char& c : data) c = static_cast<char>(rng.Next());
    AppendRawOp(payload, type, key_size, value_size, data);
  }
  if (rng.OneIn(8)) payload.resize(rng.Uniform(payload.size() + 10), 0x5A);
  if (rng.OneIn(8) && !payload.empty()) {
    payload[rng.Uniform(payload.size())] = static_cast<uint8_t>(rng.Next());
  }
  return payload;
}

// CR-5, CR-6: random garbage that passes both CRCs decodes to DataLoss or to ops that re-encode
// to exactly the same bytes (one encoding per record); never a crash or an out-of-bounds read.
TEST(LogRecordTest, RandomPayloadsWithValidCrcsFailCleanlyOrReencode) {
  Rng rng(20240601);
  int accepted = 0;
  int rejected = 0;
  for (int iteration = 0; iteration < 20000; iteration++) {
    uint32_t op_count = 0;
    const std::vector<uint8_t> payload = RandomPayload(rng, op_count);
    const std::vector<uint8_t> record = CraftRecord(op_count, payload);
    const absl::StatusOr<Decoded> decoded = Decode(record, 0, {.key_size_max_bytes = 8});
    if (!decoded.ok()) {
      ASSERT_TRUE(IsDataLoss(decoded.status(), {"log offset 0"})) << iteration;
      rejected++;
      continue;
    }
    accepted++;
    ASSERT_EQ(Encode(7, decoded->ops), record) << iteration;
  }
  // Both outcomes must be common, or the loop tests little.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

// CR-6: random bytes as a header and body, decoded whatever they say.
TEST(LogRecordTest, RandomBytesNeverCrash) {
  Rng rng(7);
  for (int iteration = 0; iteration < 5000; iteration++) {
    std::vector<uint8_t> record(kLogHeaderBytes + kLogTrailerBytes + rng.Uniform(64));
    for (uint8_t& byte : record) byte = static_cast<uint8_t>(rng.Next());
    EncodeFixed32(record.data(), kLogMagic);
    EncodeFixed16(record.data() + 4, kLogVersion);
    EncodeFixed32(record.data() + kHeaderCrcOffset, crc32c::Value(record.data(), 32));
    EXPECT_FALSE(Decode(record).ok());
  }
}

}  // namespace
}  // namespace northstar::engine
