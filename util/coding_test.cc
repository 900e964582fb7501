#include "util/coding.h"

#include <array>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace northstar {
namespace {

TEST(CodingTest, Fixed16LayoutIsLittleEndian) {
  std::array<uint8_t, 2> bytes{};
  EncodeFixed16(bytes.data(), 0x0201);
  EXPECT_EQ(bytes, (std::array<uint8_t, 2>{0x01, 0x02}));
  EXPECT_EQ(DecodeFixed16(bytes.data()), 0x0201);
}

TEST(CodingTest, Fixed32LayoutIsLittleEndian) {
  std::array<uint8_t, 4> bytes{};
  EncodeFixed32(bytes.data(), 0x04030201);
  EXPECT_EQ(bytes, (std::array<uint8_t, 4>{0x01, 0x02, 0x03, 0x04}));
  const std::array<uint8_t, 4> on_disk = {0xEF, 0xBE, 0xAD, 0xDE};
  EXPECT_EQ(DecodeFixed32(on_disk.data()), 0xDEADBEEFu);
}

TEST(CodingTest, Fixed64LayoutIsLittleEndian) {
  std::array<uint8_t, 8> bytes{};
  EncodeFixed64(bytes.data(), 0x0807060504030201);
  EXPECT_EQ(bytes, (std::array<uint8_t, 8>{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
  const std::array<uint8_t, 8> on_disk = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};
  EXPECT_EQ(DecodeFixed64(on_disk.data()), uint64_t{1} << 63);
}

TEST(CodingTest, EncodeWritesExactlyItsWidth) {
  std::array<uint8_t, 12> bytes;
  bytes.fill(0xAA);
  EncodeFixed32(bytes.data() + 4, 0);
  EXPECT_EQ(bytes,
            (std::array<uint8_t, 12>{0xAA, 0xAA, 0xAA, 0xAA, 0, 0, 0, 0, 0xAA, 0xAA, 0xAA, 0xAA}));
}

template <typename T>
void ExpectRoundTrips(void (*encode)(uint8_t*, T), T (*decode)(const uint8_t*)) {
  constexpr T kMax = std::numeric_limits<T>::max();
  constexpr T kHighBit = T{1} << (sizeof(T) * 8 - 1);
  const T values[] = {
      0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, kHighBit - 1, kHighBit, kHighBit + 1, kMax - 1, kMax};
  // Every offset in a word: codecs run on page buffers at arbitrary positions.
  std::array<uint8_t, sizeof(T) + 8> buffer{};
  for (const T value : values) {
    for (size_t offset = 0; offset < 8; offset++) {
      encode(buffer.data() + offset, value);
      EXPECT_EQ(decode(buffer.data() + offset), value) << "offset " << offset;
    }
  }
}

TEST(CodingTest, Fixed16RoundTripsAtBoundaries) {
  ExpectRoundTrips(&EncodeFixed16, &DecodeFixed16);
}
TEST(CodingTest, Fixed32RoundTripsAtBoundaries) {
  ExpectRoundTrips(&EncodeFixed32, &DecodeFixed32);
}
TEST(CodingTest, Fixed64RoundTripsAtBoundaries) {
  ExpectRoundTrips(&EncodeFixed64, &DecodeFixed64);
}

}  // namespace
}  // namespace northstar
