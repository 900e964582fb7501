// The cartridge codec (cartridge_format.h, spec/cartridge_format.md): round trip, one encoding
// per content, every damaged byte and every truncation rejected with the field and offset named.
#include "cartridge/cartridge_format.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/testing.h"

namespace northstar::cartridge {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

PendingTasks SmallContent() {
  return {{"build", {3, 17, 1ull << 40}}, {"deploy", {5}}, {"test", {4, 6, 8, 10}}};
}

// Recomputes both checksums, so that a test can change a field and reach the check behind them.
void Reseal(std::vector<uint8_t>& bytes) {
  EncodeFixed32(bytes.data() + kCartridgeBodyCrcOffset,
                crc32c::Value(std::span<const uint8_t>(bytes).subspan(kCartridgeHeaderBytes)));
  EncodeFixed32(bytes.data() + kCartridgeHeaderCrcOffset,
                crc32c::Value(bytes.data(), kCartridgeHeaderCrcOffset));
}

std::string DecodeError(const std::vector<uint8_t>& bytes) {
  const absl::StatusOr<CartridgeView> view = DecodeCartridge(bytes);
  EXPECT_FALSE(view.ok());
  if (view.ok()) return "";
  EXPECT_EQ(view.status().code(), absl::StatusCode::kDataLoss) << view.status();
  return std::string(view.status().message());
}

// CF-2..CF-5: the layout, and lookups on it.
TEST(CartridgeFormatTest, RoundTripAndLookups) {
  const std::vector<uint8_t> bytes = EncodeCartridge(42, SmallContent());
  EXPECT_EQ(bytes.size(), CartridgeFileBytes(3, 8));
  EXPECT_EQ(bytes.size(), 64u + 3 * 48 + 8 * 8);
  ASSERT_OK_AND_ASSIGN(const CartridgeView view, DecodeCartridge(bytes));
  EXPECT_EQ(view.watermark_txn(), 42u);
  EXPECT_EQ(view.id_count(), 8u);
  EXPECT_THAT(view.types(), ElementsAre("build", "deploy", "test"));
  EXPECT_THAT(view.pending("build").ToVector(), ElementsAre(3, 17, 1ull << 40));
  EXPECT_EQ(view.count("test"), 4u);
  EXPECT_EQ(view.pending("test")[2], 8u);
  EXPECT_TRUE(view.pending("test").contains(10));
  EXPECT_FALSE(view.pending("test").contains(7));
  EXPECT_TRUE(view.pending("nosuchtype").empty());
  EXPECT_EQ(view.count("buil"), 0u);
  EXPECT_EQ(view.count("builds"), 0u);
  EXPECT_EQ(view.ToContent(), SmallContent());
}

TEST(CartridgeFormatTest, EmptyContentIsAHeaderOnly) {
  const std::vector<uint8_t> bytes = EncodeCartridge(0, {});
  EXPECT_EQ(bytes.size(), kCartridgeHeaderBytes);
  ASSERT_OK_AND_ASSIGN(const CartridgeView view, DecodeCartridge(bytes));
  EXPECT_TRUE(view.types().empty());
  EXPECT_EQ(view.watermark_txn(), 0u);
}

// CF-10: the same content and watermark give the same bytes, whatever order the content was
// assembled in; a decoded file re-encodes to itself.
TEST(CartridgeFormatTest, OneEncodingPerContent) {
  PendingTasks assembled_backwards;
  assembled_backwards["test"] = {4, 6, 8, 10};
  assembled_backwards["deploy"] = {5};
  assembled_backwards["build"] = {3, 17, 1ull << 40};
  const std::vector<uint8_t> bytes = EncodeCartridge(42, SmallContent());
  EXPECT_EQ(EncodeCartridge(42, assembled_backwards), bytes);
  ASSERT_OK_AND_ASSIGN(const CartridgeView view, DecodeCartridge(bytes));
  EXPECT_EQ(EncodeCartridge(view.watermark_txn(), view.ToContent()), bytes);
  EXPECT_NE(EncodeCartridge(43, SmallContent()), bytes);
}

// CF-9: every byte is covered. Flipping any bit of any byte of a small cartridge fails decoding:
// the format has no byte that a reader ignores (padding and reserved bytes are checked zero and
// covered by a checksum).
TEST(CartridgeFormatTest, EveryDamagedByteIsDetected) {
  const std::vector<uint8_t> bytes = EncodeCartridge(7, SmallContent());
  for (size_t offset = 0; offset < bytes.size(); offset++) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::vector<uint8_t> damaged = bytes;
      damaged[offset] ^= mask;
      const absl::StatusOr<CartridgeView> view = DecodeCartridge(damaged);
      ASSERT_FALSE(view.ok()) << "byte " << offset << " ^ " << int{mask} << " was accepted";
      EXPECT_EQ(view.status().code(), absl::StatusCode::kDataLoss);
      EXPECT_THAT(view.status().message(), HasSubstr("at offset"));
    }
  }
}

// No byte is padding that a reader ignores: with the checksums recomputed after the damage, a
// changed byte either fails decoding (a reserved or padding byte must be zero, a count must add
// up, names and ids must ascend) or decodes to a different watermark or content. A byte that
// decoded to the same cartridge would be an unchecked byte, and two files with one content.
TEST(CartridgeFormatTest, NoByteIsIgnoredBehindTheChecksums) {
  const std::vector<uint8_t> bytes = EncodeCartridge(7, SmallContent());
  size_t rejected = 0;
  for (size_t offset = 0; offset < bytes.size(); offset++) {
    const bool is_checksum =
        (offset >= kCartridgeBodyCrcOffset && offset < kCartridgeBodyCrcOffset + 4) ||
        (offset >= kCartridgeHeaderCrcOffset && offset < kCartridgeHeaderBytes);
    if (is_checksum) continue;
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x40}}) {
      std::vector<uint8_t> damaged = bytes;
      damaged[offset] ^= mask;
      Reseal(damaged);
      const absl::StatusOr<CartridgeView> view = DecodeCartridge(damaged);
      if (!view.ok()) {
        rejected++;
        continue;
      }
      EXPECT_TRUE(view->watermark_txn() != 7 || view->ToContent() != SmallContent())
          << "byte " << offset << " ^ " << int{mask} << " changed nothing the reader sees";
    }
  }
  EXPECT_GT(rejected, bytes.size());  // Most damage is rejected outright.
}

// CF-6: truncated files (and files with trailing bytes) are rejected, at every length.
TEST(CartridgeFormatTest, EveryTruncationIsDetected) {
  const std::vector<uint8_t> bytes = EncodeCartridge(7, SmallContent());
  for (size_t size = 0; size < bytes.size(); size++) {
    const std::vector<uint8_t> truncated(bytes.begin(), bytes.begin() + size);
    const std::string error = DecodeError(truncated);
    if (size < kCartridgeHeaderBytes) {
      EXPECT_THAT(error, HasSubstr("fewer than the 64-byte header")) << size;
    } else {
      EXPECT_THAT(error, HasSubstr("truncated")) << size;
    }
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_THAT(DecodeError(longer), HasSubstr("trailing bytes"));
}

// Each check names its field and offset (CF-6, CF-7, CF-8).
TEST(CartridgeFormatTest, ErrorsNameTheFieldAndOffset) {
  const std::vector<uint8_t> good = EncodeCartridge(7, SmallContent());
  const size_t entry1 = kCartridgeHeaderBytes + kCartridgeEntryBytes;
  const size_t ids = kCartridgeHeaderBytes + 3 * kCartridgeEntryBytes;
  struct Case {
    std::string name;
    std::function<void(std::vector<uint8_t>&)> damage;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"magic", [](auto& b) { b[0] = 'X'; }, "magic at offset 0"},
      {"version", [](auto& b) { b[4] = 2; }, "format_version at offset 4: 2, this build reads"},
      {"header crc", [](auto& b) { b[61] ^= 1; }, "header_crc at offset 60"},
      {"kind", [](auto& b) { b[6] = 9; }, "kind at offset 6"},
      {"reserved", [](auto& b) { b[50] = 1; }, "header reserved bytes at offset 40"},
      {"id_count limit", [](auto& b) { EncodeFixed64(b.data() + 24, (1ull << 32) + 1); },
       "id_count at offset 24"},
      {"type_count", [](auto& b) { EncodeFixed32(b.data() + 32, 9); }, "type_count at offset 32"},
      {"file_bytes", [](auto& b) { EncodeFixed64(b.data() + 16, 1); }, "file_bytes at offset 16"},
      {"name_bytes", [&](auto& b) { b[entry1] = 0; }, "type name_bytes at offset 112"},
      {"entry reserved", [&](auto& b) { b[entry1 + 3] = 1; },
       "type entry reserved bytes at offset 113"},
      {"name charset", [&](auto& b) { b[entry1 + 8] = 'D'; }, "type name at offset 120"},
      {"name padding", [&](auto& b) { b[entry1 + 8 + 10] = 'x'; },
       "type name padding at offset 126"},
      {"name order", [&](auto& b) { b[entry1 + 8] = 'a'; }, "names must ascend strictly"},
      {"zero id_count", [&](auto& b) { EncodeFixed64(b.data() + entry1 + 40, 0); },
       "type id_count at offset 152: 0"},
      {"id_count past the end",
       [&](auto& b) { EncodeFixed64(b.data() + entry1 + kCartridgeEntryBytes + 40, 5); },
       "type id_count at offset 200: 5 for type \"test\" runs past the 8 ids"},
      {"id_count sum",
       [&](auto& b) { EncodeFixed64(b.data() + entry1 + kCartridgeEntryBytes + 40, 3); },
       "id_count at offset 24: 8, but the types' id_counts add up to 7"},
      {"id order", [&](auto& b) { EncodeFixed64(b.data() + ids + 8, 3); },
       "id at offset 216: 3 after 3"},
  };
  for (const Case& test : cases) {
    std::vector<uint8_t> damaged = good;
    test.damage(damaged);
    if (test.name != "header crc" && test.name != "magic") Reseal(damaged);
    EXPECT_THAT(DecodeError(damaged), HasSubstr(test.message)) << test.name;
  }
  std::vector<uint8_t> body_damage = good;
  body_damage[ids] ^= 1;
  EXPECT_THAT(DecodeError(body_damage), HasSubstr("body_crc at offset 36"));
}

TEST(CartridgeFormatTest, PeekVersionReadsOnlyCartridges) {
  std::vector<uint8_t> bytes = EncodeCartridge(1, SmallContent());
  EXPECT_EQ(PeekCartridgeFormatVersion(bytes), kCartridgeFormatVersion);
  bytes[4] = 7;
  EXPECT_EQ(PeekCartridgeFormatVersion(bytes), 7);
  bytes[0] = 0;
  EXPECT_EQ(PeekCartridgeFormatVersion(bytes), std::nullopt);
  EXPECT_EQ(PeekCartridgeFormatVersion(std::span<const uint8_t>(bytes).first(3)), std::nullopt);
}

TEST(CartridgeFormatTest, LimitsAreCheckedBeforeEncoding) {
  PendingTasks too_many_types;
  for (uint32_t type = 0; type <= kCartridgeTypesMax; type++) {
    too_many_types[absl::StrFormat("t%d", type)] = {type};
  }
  EXPECT_EQ(CheckCartridgeLimits(too_many_types).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_OK(CheckCartridgeLimits(SmallContent()));
}

}  // namespace
}  // namespace northstar::cartridge
