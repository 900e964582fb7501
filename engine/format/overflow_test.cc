// Tests of the overflow and free-list codecs (spec/file_format.md FF-40..FF-47).
#include "engine/format/overflow.h"

#include <string>
#include <vector>

#include "engine/format/page.h"
#include "engine/format/test_util.h"
#include "gtest/gtest.h"
#include "util/coding.h"
#include "util/random.h"
#include "util/testing.h"

namespace northstar::engine {
namespace {

using testing::EveryByteFlipFails;
using testing::IsDataLoss;
using testing::kAllPageSizes;
using testing::Reseal;

constexpr PageId kPageId = 31;

std::vector<uint8_t> OverflowPage(uint32_t size, std::string_view chunk, PageId next) {
  std::vector<uint8_t> page(size, 0xAB);
  EncodeOverflow(chunk, next, {.type = PageType::kOverflow, .page_id = kPageId, .txn_id = 3}, page);
  return page;
}

std::vector<uint8_t> FreeListPage(uint32_t size, const std::vector<PageId>& ids, PageId next) {
  std::vector<uint8_t> page(size, 0xAB);
  EncodeFreeList(ids, next, {.type = PageType::kFreeList, .page_id = kPageId, .txn_id = 3}, page);
  return page;
}

std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  for (size_t index = 0; index < size; index++) bytes[index] = static_cast<char>(index * 7 + 1);
  return bytes;
}

TEST(OverflowSizesTest, Formulas) {  // FF-40, FF-41
  EXPECT_EQ(OverflowCapacityBytes(4096), 4096u - 48);
  EXPECT_EQ(FreeListCapacity(4096), (4096u - 48) / 8);
  EXPECT_EQ(OverflowPagesFor(4096, 1), 1u);
  EXPECT_EQ(OverflowPagesFor(4096, 4048), 1u);
  EXPECT_EQ(OverflowPagesFor(4096, 4049), 2u);
  EXPECT_EQ(OverflowPagesFor(65536, kValueSizeMaxBytes), 257u);  // 16 MiB / 65488, rounded up.
  EXPECT_EQ(OverflowPagesFor(4096, kValueSizeMaxBytes), 4145u);
}

TEST(OverflowTest, RoundTripAtEveryPageSize) {  // FF-40
  for (const uint32_t size : kAllPageSizes) {
    const size_t capacity = OverflowCapacityBytes(size);
    for (const size_t chunk_size : {size_t{1}, size_t{100}, capacity - 1, capacity}) {
      const std::string chunk = Pattern(chunk_size);
      const auto page = OverflowPage(size, chunk, kNoPage);
      ASSERT_OK_AND_ASSIGN(const OverflowView view, ParseOverflow(page, kPageId));
      EXPECT_EQ(view.next, kNoPage);
      EXPECT_EQ(view.chunk, chunk);
      EXPECT_EQ(DecodeFixed32(page.data() + 40), chunk_size);
      for (size_t offset = 48 + chunk_size; offset < size; offset++) ASSERT_EQ(page[offset], 0);
    }
    const auto full = OverflowPage(size, Pattern(capacity), kPageCountMax - 1);
    ASSERT_OK_AND_ASSIGN(const OverflowView view, ParseOverflow(full, kPageId));
    EXPECT_EQ(view.next, kPageCountMax - 1);
    EXPECT_EQ(view.chunk.size(), capacity);
  }
}

// FF-42: a value cut into a chain and read back.
TEST(OverflowTest, ChainOfAValue) {
  const uint32_t size = 4096;
  const std::string value = Pattern(3 * OverflowCapacityBytes(size) + 17);
  const uint64_t pages = OverflowPagesFor(size, value.size());
  ASSERT_EQ(pages, 4u);
  std::vector<std::vector<uint8_t>> chain;
  for (uint64_t index = 0; index < pages; index++) {
    const size_t begin = index * OverflowCapacityBytes(size);
    const std::string_view chunk =
        std::string_view(value).substr(begin, OverflowCapacityBytes(size));
    const PageId next = index + 1 < pages ? 100 + index + 1 : kNoPage;
    chain.emplace_back(size);
    EncodeOverflow(chunk, next, {.type = PageType::kOverflow, .page_id = 100 + index, .txn_id = 1},
                   chain.back());
  }
  std::string read;
  PageId page_id = 100;
  for (uint64_t hops = 0; page_id != kNoPage; hops++) {
    ASSERT_LT(hops, pages);
    ASSERT_OK_AND_ASSIGN(const OverflowView view, ParseOverflow(chain[page_id - 100], page_id));
    read.append(view.chunk);
    page_id = view.next;
  }
  EXPECT_EQ(read, value);
}

TEST(OverflowTest, EveryByteFlipIsCaught) {  // FF-3
  const auto page = OverflowPage(4096, Pattern(1000), kNoPage);
  EXPECT_TRUE(EveryByteFlipFails(
      page, [](std::span<const uint8_t> bytes) { return ParseOverflow(bytes, kPageId).status(); }));
}

// Crafted overflow pages (checksum recomputed).
TEST(OverflowTest, CraftedFieldsAreRejected) {  // FF-41, FF-42
  const auto good = OverflowPage(4096, Pattern(1000), kNoPage);
  const auto check = [](std::vector<uint8_t> page, const char* message) {
    Reseal(page);
    return IsDataLoss(ParseOverflow(page, kPageId).status(), {"page 31 (overflow)", message});
  };
  auto page = good;
  EncodeFixed32(page.data() + 40, 0);
  EXPECT_TRUE(check(page, "chunk_size 0 outside [1, 4048]"));
  EncodeFixed32(page.data() + 40, 4049);
  EXPECT_TRUE(check(page, "chunk_size 4049 outside [1, 4048]"));
  EncodeFixed32(page.data() + 40, 0xFFFFFFFF);
  EXPECT_TRUE(check(page, "chunk_size 4294967295"));
  EncodeFixed32(page.data() + 40, 999);  // Shorter than written: a chunk byte becomes padding.
  EXPECT_TRUE(check(page, "padding byte at offset 1047 not zero"));
  page = good;
  EncodeFixed64(page.data() + 32, 50);  // A next page, but the chunk is not full.
  EXPECT_TRUE(check(page, "chunk_size 1000 on a page with a next page, expected 4048"));
  for (const PageId bad : {PageId{1}, kPageCountMax, PageId{UINT64_MAX}}) {
    page = good;
    EncodeFixed64(page.data() + 32, bad);
    EXPECT_TRUE(check(page, "next")) << bad;
  }
  page = OverflowPage(4096, Pattern(4048), 50);
  EncodeFixed64(page.data() + 32, kPageId);
  EXPECT_TRUE(check(page, "next is the page itself"));
  page = good;
  page[45] = 1;
  EXPECT_TRUE(check(page, "reserved"));
  page = good;
  page[4095] = 1;
  EXPECT_TRUE(check(page, "padding byte at offset 4095"));
  page = good;
  page[6] = static_cast<uint8_t>(PageType::kFreeList);
  EXPECT_TRUE(check(page, "page_type is free-list"));
  page = good;
  EncodeFixed64(page.data() + 8, 32);
  EXPECT_TRUE(check(page, "page_id field 32"));
}

TEST(FreeListTest, RoundTripAtEveryPageSize) {  // FF-45
  for (const uint32_t size : kAllPageSizes) {
    Rng rng(size);
    for (const size_t count : {size_t{0}, size_t{1}, FreeListCapacity(size)}) {
      std::vector<PageId> ids;
      for (size_t index = 0; index < count; index++) {
        ids.push_back(rng.UniformInclusive(kFirstDataPage, kPageCountMax - 1));
      }
      const PageId next = count == 0 ? kNoPage : 99;
      const auto page = FreeListPage(size, ids, next);
      ASSERT_OK_AND_ASSIGN(const FreeListView view, ParseFreeList(page, kPageId));
      EXPECT_EQ(view.next, next);
      ASSERT_EQ(view.size(), count);
      for (size_t index = 0; index < count; index++) EXPECT_EQ(view.id(index), ids[index]);
      EXPECT_EQ(FreeListPage(size, ids, next), page);  // FF-5
    }
  }
}

TEST(FreeListTest, EveryByteFlipIsCaught) {  // FF-3
  const auto page = FreeListPage(4096, {2, 3, 500, kPageCountMax - 1}, 77);
  EXPECT_TRUE(EveryByteFlipFails(
      page, [](std::span<const uint8_t> bytes) { return ParseFreeList(bytes, kPageId).status(); }));
}

TEST(FreeListTest, CraftedFieldsAreRejected) {  // FF-46, FF-47
  const auto good = FreeListPage(4096, {2, 3, 500}, 77);
  const auto check = [](std::vector<uint8_t> page, const char* message) {
    Reseal(page);
    return IsDataLoss(ParseFreeList(page, kPageId).status(), {"page 31 (free-list)", message});
  };
  auto page = good;
  EncodeFixed32(page.data() + 40, 507);
  EXPECT_TRUE(check(page, "count 507 above capacity 506"));
  EncodeFixed32(page.data() + 40, 0xFFFFFFFF);
  EXPECT_TRUE(check(page, "count 4294967295 above capacity"));
  EncodeFixed32(page.data() + 40, 4);  // One more: the next id reads as 0.
  EXPECT_TRUE(check(page, "page_id[3] 0 outside"));
  EncodeFixed32(page.data() + 40, 2);  // One fewer: the last id becomes non-zero padding.
  EXPECT_TRUE(check(page, "padding byte at offset 64 not zero"));
  for (const PageId bad : {PageId{0}, PageId{1}, kPageCountMax, PageId{UINT64_MAX}}) {
    page = good;
    EncodeFixed64(page.data() + 48 + 8, bad);
    EXPECT_TRUE(check(page, "page_id[1]")) << bad;
  }
  page = good;
  EncodeFixed64(page.data() + 32, 1);
  EXPECT_TRUE(check(page, "next 1 outside"));
  EncodeFixed64(page.data() + 32, kPageId);
  EXPECT_TRUE(check(page, "next is the page itself"));
  page = good;
  page[44] = 1;
  EXPECT_TRUE(check(page, "reserved"));
  page = good;
  page[6] = static_cast<uint8_t>(PageType::kOverflow);
  EXPECT_TRUE(check(page, "page_type is overflow"));
  page = good;
  EncodeFixed16(page.data() + 4, 0);
  EXPECT_TRUE(check(page, "format_version 0"));
}

// Random bodies with a valid header and checksum: parsing never crashes, and what it accepts
// is fully readable.
TEST(ChainFuzzTest, GarbageWithValidChecksumNeverCrashes) {
  Rng rng(4242);
  for (int iteration = 0; iteration < 3000; iteration++) {
    const uint32_t size = iteration % 20 == 0 ? 65536 : 4096;
    std::vector<uint8_t> page(size);
    const size_t filled = rng.Uniform(size);  // Random bytes up to here, zeros after.
    for (size_t offset = 0; offset < filled; offset++)
      page[offset] = static_cast<uint8_t>(rng.Next());
    if (rng.OneIn(2)) EncodeFixed64(page.data() + 32, rng.Uniform(200));
    if (rng.OneIn(2)) EncodeFixed32(page.data() + 40, static_cast<uint32_t>(rng.Uniform(size)));
    if (rng.OneIn(2)) EncodeFixed32(page.data() + 44, 0);
    const PageType type = rng.OneIn(2) ? PageType::kOverflow : PageType::kFreeList;
    SealPage(page, {.type = type, .page_id = kPageId, .txn_id = rng.Next()});
    if (type == PageType::kOverflow) {
      const auto view = ParseOverflow(page, kPageId);
      if (view.ok()) {
        ASSERT_GE(view->chunk.size(), 1u);
        ASSERT_LE(view->chunk.size(), OverflowCapacityBytes(size));
        ASSERT_EQ(std::string(view->chunk),
                  std::string(page.begin() + 48,
                              page.begin() + 48 + static_cast<long>(view->chunk.size())));
      } else {
        ASSERT_EQ(view.status().code(), absl::StatusCode::kDataLoss);
      }
    } else {
      const auto view = ParseFreeList(page, kPageId);
      if (view.ok()) {
        for (size_t index = 0; index < view->size(); index++) ASSERT_GE(view->id(index), 2u);
      } else {
        ASSERT_EQ(view.status().code(), absl::StatusCode::kDataLoss);
      }
    }
  }
}

TEST(ChainDeathTest, EncodersAssertPreconditions) {
  std::vector<uint8_t> page(4096);
  const PageHeader overflow{.type = PageType::kOverflow, .page_id = kPageId, .txn_id = 1};
  EXPECT_DEATH(EncodeOverflow("", kNoPage, overflow, page), "chunk.empty");
  const std::string too_big(4049, 'x');
  EXPECT_DEATH(EncodeOverflow(too_big, kNoPage, overflow, page), "capacity");
  EXPECT_DEATH(EncodeOverflow("short", 50, overflow, page), "capacity");
  const std::string full(4048, 'x');
  EXPECT_DEATH(EncodeOverflow(full, kPageId, overflow, page), "next");
  const PageHeader free_list{.type = PageType::kFreeList, .page_id = kPageId, .txn_id = 1};
  const std::vector<PageId> bad_ids = {2, 1};
  EXPECT_DEATH(EncodeFreeList(bad_ids, kNoPage, free_list, page), "IsDataPageId");
  const std::vector<PageId> too_many(507, 2);
  EXPECT_DEATH(EncodeFreeList(too_many, kNoPage, free_list, page), "FreeListCapacity");
}

}  // namespace
}  // namespace northstar::engine
