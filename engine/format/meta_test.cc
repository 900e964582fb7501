// Tests of the meta page codec (spec/file_format.md FF-10..FF-18).
#include "engine/format/meta.h"

#include <vector>

#include "engine/format/page.h"
#include "engine/format/test_util.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/testing.h"

namespace northstar::engine {
namespace {

using testing::EveryByteFlipFails;
using testing::IsDataLoss;
using testing::kAllPageSizes;
using testing::Reseal;

Meta SampleMeta(uint32_t page_size_bytes) {
  return Meta{.txn_id = 41,
              .page_size_bytes = page_size_bytes,
              .tree_height = 3,
              .root = 900,
              .freelist_head = 12,
              .page_count = 1000,
              .entry_count = 123456,
              .log_position = 0xABCDEF0123,
              .options = kMetaOptionLogDurability};
}

std::vector<uint8_t> Encoded(const Meta& meta, PageId slot) {
  std::vector<uint8_t> page(meta.page_size_bytes, 0xEE);  // Dirty: the encoder must zero it.
  EncodeMeta(meta, slot, page);
  return page;
}

TEST(MetaTest, RoundTripAtEveryPageSizeAndSlot) {  // FF-10
  for (const uint32_t size : kAllPageSizes) {
    for (const PageId slot : {kMetaPageA, kMetaPageB}) {
      const Meta meta = SampleMeta(size);
      const auto page = Encoded(meta, slot);
      ASSERT_OK_AND_ASSIGN(const Meta decoded, DecodeMeta(page, slot));
      EXPECT_EQ(decoded, meta);
    }
  }
}

TEST(MetaTest, EmptyDatabaseRoundTrips) {
  const Meta meta{.txn_id = 0, .page_size_bytes = 4096};
  ASSERT_OK_AND_ASSIGN(const Meta decoded, DecodeMeta(Encoded(meta, kMetaPageA), kMetaPageA));
  EXPECT_EQ(decoded, meta);
  EXPECT_EQ(decoded.root, kNoPage);
  EXPECT_EQ(decoded.page_count, kFirstDataPage);
}

TEST(MetaTest, LargestValuesRoundTrip) {
  const Meta meta{.txn_id = UINT64_MAX,
                  .page_size_bytes = 65536,
                  .tree_height = kTreeHeightMax,
                  .root = kPageCountMax - 1,
                  .freelist_head = kPageCountMax - 1,
                  .page_count = kPageCountMax,
                  .entry_count = UINT64_MAX,
                  .log_position = UINT64_MAX,
                  .options = kMetaOptionLogDurability};
  ASSERT_OK_AND_ASSIGN(const Meta decoded, DecodeMeta(Encoded(meta, kMetaPageB), kMetaPageB));
  EXPECT_EQ(decoded, meta);
}

TEST(MetaTest, FieldOffsets) {  // FF-10: the table in the spec.
  const auto page = Encoded(SampleMeta(4096), kMetaPageB);
  EXPECT_EQ(DecodeFixed32(page.data() + 32), 4096u);
  EXPECT_EQ(DecodeFixed32(page.data() + 36), 3u);
  EXPECT_EQ(DecodeFixed64(page.data() + 40), 900u);
  EXPECT_EQ(DecodeFixed64(page.data() + 48), 12u);
  EXPECT_EQ(DecodeFixed64(page.data() + 56), 1000u);
  EXPECT_EQ(DecodeFixed64(page.data() + 64), 123456u);
  EXPECT_EQ(DecodeFixed64(page.data() + 72), 0xABCDEF0123u);
  EXPECT_EQ(DecodeFixed64(page.data() + 80), kMetaOptionLogDurability);
  EXPECT_EQ(DecodeFixed64(page.data() + 8), kMetaPageB);  // Header page id: the slot.
  EXPECT_EQ(DecodeFixed64(page.data() + 16), 41u);        // Header txn id.
  for (size_t offset = 88; offset < page.size(); offset++) ASSERT_EQ(page[offset], 0) << offset;
}

TEST(MetaTest, EncodingIsDeterministic) {  // FF-5
  std::vector<uint8_t> first(16384, 0x00);
  std::vector<uint8_t> second(16384, 0xFF);
  EncodeMeta(SampleMeta(16384), kMetaPageA, first);
  EncodeMeta(SampleMeta(16384), kMetaPageA, second);
  EXPECT_EQ(first, second);
}

// FF-17: open reads the first 4 KiB of page 0 to learn the page size.
TEST(MetaTest, PeekPageSizeFromFirstBytes) {
  for (const uint32_t size : kAllPageSizes) {
    const auto page = Encoded(SampleMeta(size), kMetaPageA);
    EXPECT_EQ(PeekMetaPageSize(std::span(page).first(kPageSizeMinBytes)), size);
    EXPECT_EQ(PeekMetaPageSize(std::span(page).first(36)), size);
  }
}

// FF-17: with meta A unreadable, meta B is found at the one candidate page size whose
// page_size field matches.
TEST(MetaTest, FindMetaBByCandidatePageSize) {
  const uint32_t actual_size = 16384;
  std::vector<uint8_t> file(2 * actual_size, 0);
  EncodeMeta(SampleMeta(actual_size), kMetaPageB, std::span(file).subspan(actual_size));
  int found = 0;
  for (const uint32_t candidate : kAllPageSizes) {
    if (2 * candidate > file.size()) continue;
    const auto page = std::span<const uint8_t>(file).subspan(candidate, candidate);
    if (PeekMetaPageSize(page) != candidate) continue;
    ASSERT_OK_AND_ASSIGN(const Meta meta, DecodeMeta(page, kMetaPageB));
    EXPECT_EQ(meta.page_size_bytes, candidate);
    found++;
  }
  EXPECT_EQ(found, 1);
}

TEST(MetaTest, WrongSlotIsRejected) {  // FF-16
  const auto page = Encoded(SampleMeta(4096), kMetaPageA);
  EXPECT_TRUE(IsDataLoss(DecodeMeta(page, kMetaPageB).status(), {"page 1 (meta)", "page_id"}));
}

TEST(MetaTest, EveryByteFlipIsCaught) {  // FF-3
  const auto page = Encoded(SampleMeta(4096), kMetaPageA);
  EXPECT_TRUE(EveryByteFlipFails(
      page, [](std::span<const uint8_t> bytes) { return DecodeMeta(bytes, kMetaPageA).status(); }));
}

TEST(MetaTest, PageOfAnotherTypeIsRejected) {
  auto page = Encoded(SampleMeta(4096), kMetaPageA);
  page[6] = static_cast<uint8_t>(PageType::kLeaf);
  Reseal(page);
  EXPECT_TRUE(IsDataLoss(DecodeMeta(page, kMetaPageA).status(), {"page 0 (meta)", "leaf"}));
}

TEST(MetaTest, PageSizeFieldMustMatchBuffer) {  // FF-11
  // A valid 8 KiB meta read as 4 KiB fails its checksum; a crafted one fails the field check.
  const auto page = Encoded(SampleMeta(8192), kMetaPageA);
  EXPECT_TRUE(
      IsDataLoss(DecodeMeta(std::span(page).first(4096), kMetaPageA).status(), {"checksum"}));
  for (const uint32_t field : {4096u, 16384u, 5000u, 0u, 1u << 20}) {
    auto crafted = page;
    EncodeFixed32(crafted.data() + 32, field);
    Reseal(crafted);
    EXPECT_TRUE(
        IsDataLoss(DecodeMeta(crafted, kMetaPageA).status(), {"page 0 (meta)", "page_size_bytes"}))
        << field;
  }
}

TEST(MetaTest, BufferOfInvalidSizeIsRejected) {
  const std::vector<uint8_t> buffer(5000, 0);
  EXPECT_TRUE(IsDataLoss(DecodeMeta(buffer, kMetaPageA).status(), {"page size 5000"}));
}

// FF-12..FF-15: each field rule, on a page whose checksum is valid.
TEST(MetaTest, CraftedFieldsAreRejected) {
  struct Case {
    const char* name;
    size_t offset;
    uint64_t value;
    int width;  // 4 or 8 bytes.
    const char* message;
  };
  // SampleMeta: height 3, root 900, freelist 12, page_count 1000, entries 123456.
  const Case cases[] = {
      {"root beyond page_count", 40, 1000, 8, "root 1000"},
      {"root is a meta page", 40, 1, 8, "root 1"},
      {"root huge", 40, UINT64_MAX, 8, "root"},
      {"freelist beyond page_count", 48, 5000, 8, "freelist_head 5000"},
      {"freelist is a meta page", 48, kMetaPageA + 1, 8, "freelist_head 1"},
      {"page_count below first data page", 56, 1, 8, "page_count 1"},
      {"page_count beyond maximum", 56, kPageCountMax + 1, 8, "page_count"},
      {"page_count below root", 56, 900, 8, "root 900"},
      {"height zero with a root", 36, 0, 4, "tree_height 0"},
      {"height beyond maximum", 36, kTreeHeightMax + 1, 4, "tree_height 41"},
      {"entry_count zero with a root", 64, 0, 8, "entry_count 0"},
      {"unknown option bit", 80, kMetaOptionLogDurability | 2, 8, "option bits 0x2"},
      {"high option bit", 80, uint64_t{1} << 63, 8, "option bits"},
  };
  const auto good = Encoded(SampleMeta(4096), kMetaPageA);
  for (const Case& test_case : cases) {
    auto page = good;
    if (test_case.width == 4) {
      EncodeFixed32(page.data() + test_case.offset, static_cast<uint32_t>(test_case.value));
    } else {
      EncodeFixed64(page.data() + test_case.offset, test_case.value);
    }
    Reseal(page);
    EXPECT_TRUE(
        IsDataLoss(DecodeMeta(page, kMetaPageA).status(), {"page 0 (meta)", test_case.message}))
        << test_case.name;
  }
}

TEST(MetaTest, EmptyTreeRulesAreChecked) {  // FF-13, FF-14
  const Meta empty{.txn_id = 2, .page_size_bytes = 4096, .page_count = 10};
  const auto good = Encoded(empty, kMetaPageA);
  ASSERT_OK(DecodeMeta(good, kMetaPageA).status());
  auto page = good;
  EncodeFixed64(page.data() + 64, 5);  // entry_count with an empty tree.
  Reseal(page);
  EXPECT_TRUE(IsDataLoss(DecodeMeta(page, kMetaPageA).status(), {"entry_count 5 with root 0"}));
  page = good;
  EncodeFixed32(page.data() + 36, 1);  // tree_height with no root.
  Reseal(page);
  EXPECT_TRUE(IsDataLoss(DecodeMeta(page, kMetaPageA).status(), {"tree_height 1 with root 0"}));
}

TEST(MetaTest, NonZeroPaddingIsRejected) {  // FF-15
  for (const size_t offset : {88, 1000, 4095}) {
    auto page = Encoded(SampleMeta(4096), kMetaPageA);
    page[offset] = 1;
    Reseal(page);
    EXPECT_TRUE(IsDataLoss(DecodeMeta(page, kMetaPageA).status(), {"padding", "not zero"}))
        << offset;
  }
}

TEST(MetaDeathTest, EncoderAssertsItsFields) {
  std::vector<uint8_t> page(4096);
  Meta meta = SampleMeta(4096);
  meta.root = meta.page_count;
  EXPECT_DEATH(EncodeMeta(meta, kMetaPageA, page), "root 1000");
  EXPECT_DEATH(EncodeMeta(SampleMeta(4096), 2, page), "slot");
  EXPECT_DEATH(EncodeMeta(SampleMeta(8192), kMetaPageA, page), "page_size_bytes");
}

}  // namespace
}  // namespace northstar::engine
