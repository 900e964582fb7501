#include "util/crc32c.h"

#include <array>
#include <cstring>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "util/random.h"

namespace northstar::crc32c {
namespace {

// Bit-at-a-time CRC32C, written from the definition and sharing no tables with crc32c.cc, so
// that the fast paths are also checked against something that cannot have their bugs.
uint32_t ReferenceBitwise(const uint8_t* data, size_t size) {
  uint32_t register_value = 0xFFFFFFFF;
  for (size_t index = 0; index < size; index++) {
    register_value ^= data[index];
    for (int bit = 0; bit < 8; bit++) {
      register_value = (register_value >> 1) ^ ((register_value & 1) ? 0x82F63B78 : 0);
    }
  }
  return ~register_value;
}

enum class Path { kPortable, kHardware, kValue };

std::string PathName(Path path) {
  switch (path) {
    case Path::kPortable:
      return "Portable";
    case Path::kHardware:
      return "Hardware";
    case Path::kValue:
      return "Value";
  }
  return "Unknown";
}

// So that GoogleTest names the path in failure messages instead of dumping its bytes.
void PrintTo(Path path, std::ostream* stream) { *stream << PathName(path); }

class Crc32cPathTest : public testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    if (GetParam() == Path::kHardware && !HardwareAvailable()) {
      GTEST_SKIP() << "CPU has no SSE4.2 crc32 instruction";
    }
  }

  uint32_t Compute(std::span<const uint8_t> data) const {
    switch (GetParam()) {
      case Path::kPortable:
        return ExtendPortable(0, data.data(), data.size());
      case Path::kHardware:
        return ExtendHardware(0, data.data(), data.size());
      case Path::kValue:
        return Value(data);
    }
    return 0;
  }

  uint32_t ExtendOnPath(uint32_t crc, std::span<const uint8_t> data) const {
    switch (GetParam()) {
      case Path::kPortable:
        return ExtendPortable(crc, data.data(), data.size());
      case Path::kHardware:
        return ExtendHardware(crc, data.data(), data.size());
      case Path::kValue:
        return Extend(crc, data.data(), data.size());
    }
    return 0;
  }
};

// RFC 3720 (iSCSI) section B.4 test vectors.
TEST_P(Crc32cPathTest, Rfc3720ThirtyTwoZeros) {
  const std::array<uint8_t, 32> data{};
  EXPECT_EQ(Compute(data), 0x8A9136AAu);
}

TEST_P(Crc32cPathTest, Rfc3720ThirtyTwoOnes) {
  std::array<uint8_t, 32> data;
  data.fill(0xFF);
  EXPECT_EQ(Compute(data), 0x62A8AB43u);
}

TEST_P(Crc32cPathTest, Rfc3720Ascending) {
  std::array<uint8_t, 32> data;
  std::iota(data.begin(), data.end(), uint8_t{0});
  EXPECT_EQ(Compute(data), 0x46DD794Eu);
}

TEST_P(Crc32cPathTest, Rfc3720Descending) {
  std::array<uint8_t, 32> data;
  for (size_t index = 0; index < data.size(); index++) {
    data[index] = static_cast<uint8_t>(31 - index);
  }
  EXPECT_EQ(Compute(data), 0x113FDB5Cu);
}

TEST_P(Crc32cPathTest, Rfc3720IscsiReadCommandPdu) {
  const std::array<uint8_t, 48> data = {
      0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(Compute(data), 0xD9963A56u);
}

// The "check" value of the CRC-32C entry in the catalogue of parametrised CRC algorithms.
TEST_P(Crc32cPathTest, CheckString) {
  const std::string_view check = "123456789";
  EXPECT_EQ(Compute({reinterpret_cast<const uint8_t*>(check.data()), check.size()}), 0xE3069283u);
}

TEST_P(Crc32cPathTest, EmptyIsZeroAndExtendOfNothingIsIdentity) {
  EXPECT_EQ(Compute({}), 0u);
  EXPECT_EQ(ExtendOnPath(0xE3069283u, {}), 0xE3069283u);
}

// Split at every point, so the hardware path's alignment prologue and 8-byte body both see every
// phase and every continued register value.
TEST_P(Crc32cPathTest, ExtendComposesAtEverySplit) {
  Rng rng(0xC4C32C);
  std::vector<uint8_t> data(300);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng.Next());
  const std::span<const uint8_t> all(data);
  const uint32_t whole = Compute(all);
  ASSERT_EQ(whole, ReferenceBitwise(data.data(), data.size()));
  for (size_t split = 0; split <= data.size(); split++) {
    const uint32_t head = Compute(all.first(split));
    EXPECT_EQ(ExtendOnPath(head, all.subspan(split)), whole) << "split at " << split;
  }
}

INSTANTIATE_TEST_SUITE_P(AllPaths, Crc32cPathTest,
                         testing::Values(Path::kPortable, Path::kHardware, Path::kValue),
                         [](const testing::TestParamInfo<Path>& info) {
                           return PathName(info.param);
                         });

TEST(Crc32cTest, PathsAgreeOnRandomBuffersAtRandomAlignments) {
  if (!HardwareAvailable()) GTEST_SKIP() << "CPU has no SSE4.2 crc32 instruction";
  constexpr int kBufferCount = 3000;
  constexpr size_t kSizeMaxBytes = 5000;
  constexpr size_t kAlignmentMax = 15;
  constexpr int kReferenceEvery = 10;  // The bitwise reference is slow; check a sample.
  Rng rng(20240601);
  std::vector<uint8_t> storage(kSizeMaxBytes + kAlignmentMax);
  for (int buffer_index = 0; buffer_index < kBufferCount; buffer_index++) {
    const size_t size = rng.UniformInclusive(0, kSizeMaxBytes);
    const size_t offset = rng.UniformInclusive(0, kAlignmentMax);
    uint8_t* data = storage.data() + offset;
    for (size_t index = 0; index < size; index++) data[index] = static_cast<uint8_t>(rng.Next());
    const uint32_t portable = ExtendPortable(0, data, size);
    ASSERT_EQ(ExtendHardware(0, data, size), portable) << "size " << size << " offset " << offset;
    ASSERT_EQ(Value(data, size), portable);
    if (buffer_index % kReferenceEvery == 0) {
      ASSERT_EQ(ReferenceBitwise(data, size), portable);
    }
  }
}

TEST(Crc32cTest, ValueOverloadsAgree) {
  const std::string_view text = "northstar";
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  EXPECT_EQ(Value(text), Value(bytes, text.size()));
  EXPECT_EQ(Value(std::span<const uint8_t>(bytes, text.size())), Value(bytes, text.size()));
  EXPECT_EQ(Value(text), ReferenceBitwise(bytes, text.size()));
}

TEST(Crc32cTest, DetectsASingleFlippedBit) {
  std::vector<uint8_t> data(64, 0x5A);
  const uint32_t original = Value(data);
  for (size_t bit_index = 0; bit_index < data.size() * 8; bit_index++) {
    data[bit_index / 8] ^= static_cast<uint8_t>(1u << (bit_index % 8));
    EXPECT_NE(Value(data), original) << "bit " << bit_index;
    data[bit_index / 8] ^= static_cast<uint8_t>(1u << (bit_index % 8));
  }
}

}  // namespace
}  // namespace northstar::crc32c
