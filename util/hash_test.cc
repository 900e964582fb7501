#include "util/hash.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "util/random.h"

namespace northstar {
namespace {

// The sanity buffer of xxHash's own self-test (cli/xsum_sanity_check.c in Cyan4973/xxHash): byte
// i is the top byte of 2654435761 * 11400714785074694797^i (mod 2^64).
constexpr uint64_t kSanityPrime32 = 2654435761u;
constexpr uint64_t kSanityPrime64 = 11400714785074694797ull;

std::vector<uint8_t> SanityBuffer(size_t size) {
  std::vector<uint8_t> buffer(size);
  uint64_t generator = kSanityPrime32;
  for (uint8_t& byte : buffer) {
    byte = static_cast<uint8_t>(generator >> 56);
    generator *= kSanityPrime64;
  }
  return buffer;
}

struct ReferenceVector {
  size_t size;
  uint64_t seed;
  uint64_t hash;
};

// Published XXH3-64 results from xxHash's self-test table (XSUM_XXH3_testdata), one or two per
// length class the algorithm special-cases. They pin the algorithm itself, not merely agreement
// between our wrapper and the library.
constexpr ReferenceVector kReferenceVectors[] = {
    {0, 0, 0x2D06800538D394C2ull},                  // empty
    {0, kSanityPrime64, 0xA8A6B918B2F0364Aull},     // empty
    {1, 0, 0xC44BDFF4074EECDBull},                  // 1 to 3 bytes
    {6, kSanityPrime64, 0x84589C116AB59AB9ull},     // 4 to 8
    {12, 0, 0xA713DAF0DFBB77E7ull},                 // 9 to 16
    {24, kSanityPrime64, 0x850E80FC35BDD690ull},    // 17 to 32
    {48, 0, 0x397DA259ECBA1F11ull},                 // 33 to 64
    {80, kSanityPrime64, 0xC6DD0CB699532E73ull},    // 65 to 96
    {195, 0, 0xCD94217EE362EC3Aull},                // 129 to 240
    {403, kSanityPrime64, 0x6259F6ECFD6443FDull},   // one block, last stripe overlapping
    {512, 0, 0x617E49599013CB6Bull},                // one block, ends on a stripe
    {2048, kSanityPrime64, 0x66F81670669ABABCull},  // two blocks, ends on a block
    {2240, 0, 0x6E73A90539CF2948ull},               // three blocks, ends on a stripe
    {2367, kSanityPrime64, 0xD2DB3415B942B42Aull},  // three blocks, last stripe overlapping
};

TEST(HashTest, OneShotMatchesPublishedVectors) {
  const std::vector<uint8_t> buffer = SanityBuffer(4096);
  for (const ReferenceVector& vector : kReferenceVectors) {
    EXPECT_EQ(Xxh3_64(buffer.data(), vector.size, vector.seed), vector.hash)
        << "size " << vector.size << " seed " << vector.seed;
  }
}

TEST(HashTest, StreamMatchesPublishedVectorsByteByByte) {
  const std::vector<uint8_t> buffer = SanityBuffer(4096);
  for (const ReferenceVector& vector : kReferenceVectors) {
    Xxh3Stream stream(vector.seed);
    for (size_t index = 0; index < vector.size; index++) stream.Update(&buffer[index], 1);
    EXPECT_EQ(stream.Digest(), vector.hash) << "size " << vector.size << " seed " << vector.seed;
  }
}

TEST(HashTest, OverloadsAgree) {
  const std::string_view text = "northstar";
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  EXPECT_EQ(Xxh3_64(text), Xxh3_64(text.data(), text.size()));
  EXPECT_EQ(Xxh3_64(bytes), Xxh3_64(text.data(), text.size()));
  EXPECT_EQ(Xxh3_64(text, 7), Xxh3_64(bytes, 7));
}

TEST(HashTest, EmptyInputIsWellDefined) {
  EXPECT_EQ(Xxh3_64(nullptr, 0), 0x2D06800538D394C2ull);
  EXPECT_EQ(Xxh3_64(std::string_view()), 0x2D06800538D394C2ull);
  Xxh3Stream stream;
  stream.Update(nullptr, 0);
  EXPECT_EQ(stream.Digest(), 0x2D06800538D394C2ull);
}

TEST(HashTest, StreamInRandomPiecesEqualsOneShot) {
  constexpr int kTrialCount = 200;
  constexpr size_t kSizeMaxBytes = 5000;
  Rng rng(0x5EED);
  std::vector<uint8_t> data(kSizeMaxBytes);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng.Next());
  for (int trial = 0; trial < kTrialCount; trial++) {
    const size_t size = rng.UniformInclusive(0, kSizeMaxBytes);
    const uint64_t seed = rng.Next();
    Xxh3Stream stream(seed);
    size_t position = 0;
    while (position < size) {
      const size_t piece = rng.UniformInclusive(0, std::min<size_t>(size - position, 300));
      stream.Update(data.data() + position, piece);
      position += piece;
    }
    ASSERT_EQ(stream.Digest(), Xxh3_64(data.data(), size, seed)) << "trial " << trial;
  }
}

TEST(HashTest, DigestDoesNotEndTheStream) {
  Xxh3Stream stream;
  stream.Update("north");
  EXPECT_EQ(stream.Digest(), Xxh3_64("north"));
  EXPECT_EQ(stream.Digest(), Xxh3_64("north"));  // Digest twice: no change.
  stream.Update("star");
  EXPECT_EQ(stream.Digest(), Xxh3_64("northstar"));
}

TEST(HashTest, SeedChangesTheValue) {
  const std::string_view text = "northstar";
  EXPECT_NE(Xxh3_64(text, 0), Xxh3_64(text, 1));
  EXPECT_NE(Xxh3_64(text, 1), Xxh3_64(text, 2));
  Xxh3Stream seeded(1);
  seeded.Update(text);
  EXPECT_EQ(seeded.Digest(), Xxh3_64(text, 1));
  EXPECT_NE(seeded.Digest(), Xxh3_64(text, 0));
}

// Regression: Xxh3_64("northstar", 1) used to pick the (pointer, size) overload and hash "n".
template <typename Text>
concept HashableWithSeed = requires(const Text& text) {
  Xxh3_64(text, uint64_t{1});
};
static_assert(!HashableWithSeed<char[10]>);
static_assert(HashableWithSeed<std::string_view>);
static_assert(HashableWithSeed<std::span<const uint8_t>>);

TEST(HashTest, LiteralWithoutSeedHashesTheWholeLiteral) {
  EXPECT_EQ(Xxh3_64("northstar"), Xxh3_64(std::string_view("northstar"), 0));
  EXPECT_NE(Xxh3_64("northstar"), Xxh3_64("n"));
}

TEST(HashTest, UpdateU64FeedsEightLittleEndianBytes) {
  Xxh3Stream by_value(3);
  by_value.UpdateU64(0x0102030405060708ull);
  Xxh3Stream by_bytes(3);
  const std::array<uint8_t, 8> bytes = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
  by_bytes.Update(bytes.data(), bytes.size());
  EXPECT_EQ(by_value.Digest(), by_bytes.Digest());
  EXPECT_EQ(by_value.Digest(), Xxh3_64(bytes.data(), bytes.size(), 3));
}

}  // namespace
}  // namespace northstar
