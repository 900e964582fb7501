// Tests of the page header and checksum (spec/file_format.md FF-1..FF-7).
#include "engine/format/page.h"

#include <cstring>
#include <vector>

#include "engine/format/test_util.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"
#include "util/testing.h"

namespace northstar::engine {
namespace {

using testing::EveryByteFlipFails;
using testing::IsDataLoss;
using testing::kAllPageSizes;
using testing::Reseal;

std::vector<uint8_t> SealedPage(uint32_t page_size_bytes, PageHeader header, uint64_t seed) {
  std::vector<uint8_t> page(page_size_bytes);
  Rng rng(seed);
  for (size_t offset = kPageHeaderBytes; offset < page.size(); offset++) {
    page[offset] = static_cast<uint8_t>(rng.Next());
  }
  SealPage(page, header);
  return page;
}

TEST(PageTypeNameTest, NamesEveryType) {
  EXPECT_STREQ(PageTypeName(PageType::kMeta), "meta");
  EXPECT_STREQ(PageTypeName(PageType::kLeaf), "leaf");
  EXPECT_STREQ(PageTypeName(PageType::kBranch), "branch");
  EXPECT_STREQ(PageTypeName(PageType::kOverflow), "overflow");
  EXPECT_STREQ(PageTypeName(PageType::kFreeList), "free-list");
  EXPECT_STREQ(PageTypeName(static_cast<PageType>(0)), "unknown");
  EXPECT_STREQ(PageTypeName(static_cast<PageType>(200)), "unknown");
}

TEST(PageSizeTest, ValidSizes) {  // FF-1
  for (const uint32_t size : kAllPageSizes) EXPECT_TRUE(IsValidPageSize(size)) << size;
  for (const uint64_t size :
       {uint64_t{0}, uint64_t{1}, uint64_t{2048}, uint64_t{4095}, uint64_t{4097}, uint64_t{12288},
        uint64_t{131072}, uint64_t{1} << 40}) {
    EXPECT_FALSE(IsValidPageSize(size)) << size;
  }
  EXPECT_EQ(KeySizeMaxBytes(4096), 1024u);
  EXPECT_EQ(KeySizeMaxBytes(8192), 2048u);
  EXPECT_EQ(KeySizeMaxBytes(16384), 4096u);
  EXPECT_EQ(KeySizeMaxBytes(65536), 4096u);
}

// FF-2: the header's bytes sit where the layout says.
TEST(SealPageTest, HeaderLayout) {
  const auto page = SealedPage(
      4096, {.type = PageType::kBranch, .page_id = 0x0102030405, .txn_id = 0xA1B2C3D4E5F60718}, 1);
  const uint8_t magic[4] = {'N', 'S', 'P', 'G'};
  EXPECT_EQ(std::memcmp(page.data(), magic, 4), 0);
  EXPECT_EQ(DecodeFixed16(page.data() + 4), kFormatVersion);
  EXPECT_EQ(page[6], static_cast<uint8_t>(PageType::kBranch));
  EXPECT_EQ(page[7], 0);
  EXPECT_EQ(DecodeFixed64(page.data() + 8), 0x0102030405u);
  EXPECT_EQ(DecodeFixed64(page.data() + 16), 0xA1B2C3D4E5F60718u);
  EXPECT_EQ(DecodeFixed32(page.data() + 28), 0u);
}

TEST(SealPageTest, RoundTripAtEveryPageSize) {
  for (const uint32_t size : kAllPageSizes) {
    for (const PageType type : {PageType::kMeta, PageType::kLeaf, PageType::kBranch,
                                PageType::kOverflow, PageType::kFreeList}) {
      const PageHeader header{.type = type, .page_id = 77, .txn_id = 123456789};
      const auto page = SealedPage(size, header, size + static_cast<uint64_t>(type));
      ASSERT_OK_AND_ASSIGN(const PageHeader checked, CheckPage(page, 77));
      EXPECT_EQ(checked.type, type);
      EXPECT_EQ(checked.page_id, 77u);
      EXPECT_EQ(checked.txn_id, 123456789u);
      ASSERT_OK(CheckPage(page, 77, type).status());
    }
  }
}

// FF-3: the checksum is the CRC32C of the page with its own field as zero.
TEST(PageChecksumTest, MatchesCrcOfPageWithZeroedField) {
  for (const uint32_t size : kAllPageSizes) {
    auto page = SealedPage(size, {.type = PageType::kLeaf, .page_id = 9, .txn_id = 3}, size);
    const uint32_t stored = DecodeFixed32(page.data() + 24);
    EXPECT_EQ(PageChecksum(page), stored);
    std::vector<uint8_t> copy = page;
    EncodeFixed32(copy.data() + 24, 0);
    EXPECT_EQ(crc32c::Value(copy), stored);
    // The field's own content does not feed the checksum.
    EncodeFixed32(page.data() + 24, 0xDEADBEEF);
    EXPECT_EQ(PageChecksum(page), stored);
  }
}

TEST(SealPageTest, SameInputSameBytes) {  // FF-5
  const PageHeader header{.type = PageType::kOverflow, .page_id = 5, .txn_id = 6};
  EXPECT_EQ(SealedPage(8192, header, 42), SealedPage(8192, header, 42));
}

// FF-4: a buffer whose size is not a page size is rejected before anything is read.
TEST(CheckPageTest, RejectsInvalidBufferSizes) {
  for (const size_t size : {0u, 1u, 31u, 32u, 4095u, 4097u, 6144u, 131072u}) {
    const std::vector<uint8_t> buffer(size, 0);
    EXPECT_TRUE(IsDataLoss(CheckPage(buffer, 3).status(), {"page 3", "page size"})) << size;
    EXPECT_TRUE(
        IsDataLoss(CheckPage(buffer, 3, PageType::kLeaf).status(), {"page 3 (leaf)", "page size"}))
        << size;
  }
}

// FF-3, FF-4 (and FM-8, bit rot): flipping any byte of a page is caught.
TEST(CheckPageTest, EveryByteFlipIsCaught) {
  const auto page = SealedPage(4096, {.type = PageType::kLeaf, .page_id = 17, .txn_id = 1}, 7);
  EXPECT_TRUE(EveryByteFlipFails(
      page, [](std::span<const uint8_t> bytes) { return CheckPage(bytes, 17).status(); }));
  EXPECT_TRUE(EveryByteFlipFails(page, [](std::span<const uint8_t> bytes) {
    return CheckPage(bytes, 17, PageType::kLeaf).status();
  }));
}

TEST(CheckPageTest, SingleBitFlipsAt64KiB) {
  auto page = SealedPage(65536, {.type = PageType::kLeaf, .page_id = 17, .txn_id = 1}, 8);
  Rng rng(99);
  for (int trial = 0; trial < 200; trial++) {
    const size_t offset = rng.Uniform(page.size());
    const auto bit = static_cast<uint8_t>(1u << rng.Uniform(8));
    page[offset] ^= bit;
    EXPECT_TRUE(IsDataLoss(CheckPage(page, 17).status(), {"page 17"})) << offset;
    page[offset] ^= bit;
  }
  ASSERT_OK(CheckPage(page, 17).status());
}

TEST(CheckPageTest, ChecksumMismatchIsNamed) {
  auto page = SealedPage(4096, {.type = PageType::kLeaf, .page_id = 17, .txn_id = 1}, 7);
  page[1000] ^= 1;
  EXPECT_TRUE(
      IsDataLoss(CheckPage(page, 17, PageType::kLeaf).status(), {"page 17 (leaf)", "checksum"}));
}

// FF-4 with a valid checksum: the field checks hold on their own.
TEST(CheckPageTest, CraftedHeaderFields) {
  const PageHeader header{.type = PageType::kLeaf, .page_id = 17, .txn_id = 1};
  const auto good = SealedPage(4096, header, 7);
  struct Case {
    const char* name;
    size_t offset;
    uint8_t value;
    const char* message;
  };
  const Case cases[] = {
      {"magic", 0, 'X', "magic"},
      {"version low byte", 4, 2, "format_version 2"},
      {"version high byte", 5, 1, "format_version 257"},
      {"type zero", 6, 0, "unknown page_type 0"},
      {"type six", 6, 6, "unknown page_type 6"},
      {"reserved byte", 7, 1, "reserved"},
      {"page id", 8, 18, "page_id field 18"},
      {"page id high byte", 15, 1, "page_id field"},
      {"reserved word", 30, 1, "reserved"},
  };
  for (const Case& test_case : cases) {
    auto page = good;
    page[test_case.offset] = test_case.value;
    Reseal(page);
    EXPECT_TRUE(IsDataLoss(CheckPage(page, 17).status(), {"page 17", test_case.message}))
        << test_case.name;
  }
}

TEST(CheckPageTest, WrongExpectations) {
  const auto page = SealedPage(4096, {.type = PageType::kLeaf, .page_id = 17, .txn_id = 1}, 7);
  EXPECT_TRUE(IsDataLoss(CheckPage(page, 18).status(), {"page 18", "page_id field 17"}));
  EXPECT_TRUE(IsDataLoss(CheckPage(page, 17, PageType::kBranch).status(),
                         {"page 17 (branch)", "page_type is leaf"}));
}

TEST(CheckPageTest, ZeroPageIsNotAPage) {
  const std::vector<uint8_t> page(4096, 0);
  EXPECT_TRUE(IsDataLoss(CheckPage(page, 4).status(), {"page 4", "magic"}));
}

TEST(PageCorruptionTest, MessageNamesPageAndType) {
  const absl::Status status = PageCorruption(17, PageType::kLeaf, "slot 3 offset 9 bad");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(std::string(status.message()), "page 17 (leaf): slot 3 offset 9 bad");
}

}  // namespace
}  // namespace northstar::engine
