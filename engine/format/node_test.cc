// Tests of the leaf and branch codecs (spec/file_format.md FF-20..FF-31).
#include "engine/format/node.h"

#include <algorithm>
#include <set>
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

constexpr PageId kLeafId = 17;
constexpr PageId kBranchId = 23;

// A leaf entry that owns its bytes.
struct Entry {
  std::string key;
  std::string value;  // Inline value; empty for an overflow entry.
  PageId overflow_page = kNoPage;
  uint32_t value_size_bytes = 0;

  LeafCell cell() const {
    return LeafCell{.key = key,
                    .value = value,
                    .overflow_page = overflow_page,
                    .value_size_bytes = value_size_bytes};
  }
};

Entry InlineEntry(std::string key, std::string value) {
  const auto size = static_cast<uint32_t>(value.size());
  return Entry{.key = std::move(key), .value = std::move(value), .value_size_bytes = size};
}

Entry OverflowEntry(std::string key, PageId page, uint32_t value_size) {
  return Entry{.key = std::move(key), .overflow_page = page, .value_size_bytes = value_size};
}

std::vector<uint8_t> LeafPage(uint32_t page_size_bytes, const std::vector<Entry>& entries,
                              PageId page_id = kLeafId) {
  std::vector<LeafCell> cells;
  for (const Entry& entry : entries) cells.push_back(entry.cell());
  std::vector<uint8_t> page(page_size_bytes, 0xCC);  // Dirty: the encoder must zero it.
  EncodeLeaf(cells, {.type = PageType::kLeaf, .page_id = page_id, .txn_id = 5}, page);
  return page;
}

std::vector<uint8_t> BranchPage(uint32_t page_size_bytes, const std::vector<std::string>& keys,
                                const std::vector<PageId>& children) {
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  std::vector<uint8_t> page(page_size_bytes, 0xCC);
  EncodeBranch(views, children, {.type = PageType::kBranch, .page_id = kBranchId, .txn_id = 5},
               page);
  return page;
}

size_t TotalBytes(const std::vector<Entry>& entries) {
  size_t total = 0;
  for (const Entry& entry : entries) total += LeafCellBytes(entry.cell());
  return total;
}

// A random key over a tiny alphabet, so that keys often are prefixes of each other and share
// bytes that sort at both ends (0x00 and 0xFF).
std::string RandomKey(Rng& rng, size_t length_max) {
  static constexpr char kAlphabet[] = {'\x00', '\x01', 'a', 'b', '\x7F', '\x80', '\xFF'};
  std::string key(rng.UniformInclusive(0, length_max), '\0');
  for (char& c : key) c = kAlphabet[rng.Uniform(sizeof(kAlphabet))];
  return key;
}

std::string RandomBytes(Rng& rng, size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.Next());
  return bytes;
}

// Random entries with sorted unique keys, inline or overflow as ValueFitsInline says, filling
// the leaf up to about `fill_bytes`.
std::vector<Entry> RandomEntries(Rng& rng, uint32_t page_size_bytes, size_t fill_bytes,
                                 size_t key_length_max) {
  std::set<std::string> keys;
  for (int attempt = 0; attempt < 4000 && keys.size() < fill_bytes / 12; attempt++) {
    keys.insert(RandomKey(rng, key_length_max));
  }
  std::vector<Entry> entries;
  size_t total = 0;
  for (const std::string& key : keys) {
    const uint64_t value_size = rng.OneIn(4) ? rng.Uniform(3 * page_size_bytes) : rng.Uniform(20);
    Entry entry = ValueFitsInline(page_size_bytes, key.size(), value_size)
                      ? InlineEntry(key, RandomBytes(rng, value_size))
                      : OverflowEntry(key, rng.UniformInclusive(kFirstDataPage, kPageCountMax - 1),
                                      static_cast<uint32_t>(value_size));
    if (total + LeafCellBytes(entry.cell()) > fill_bytes) break;
    total += LeafCellBytes(entry.cell());
    entries.push_back(std::move(entry));
  }
  return entries;
}

void ExpectLeafHolds(const LeafView& view, const std::vector<Entry>& entries) {
  ASSERT_EQ(view.size(), entries.size());
  for (size_t index = 0; index < entries.size(); index++) {
    const Entry& entry = entries[index];
    EXPECT_EQ(view.key(index), entry.key) << index;
    EXPECT_EQ(view.value_size_bytes(index), entry.value_size_bytes) << index;
    EXPECT_EQ(view.is_overflow(index), entry.overflow_page != kNoPage) << index;
    if (view.is_overflow(index)) {
      EXPECT_EQ(view.overflow_page(index), entry.overflow_page) << index;
    } else {
      EXPECT_EQ(view.inline_value(index), entry.value) << index;
    }
    const LeafCell cell = view.cell(index);
    EXPECT_EQ(cell.key, entry.key);
    EXPECT_EQ(cell.value, entry.value);
    EXPECT_EQ(cell.overflow_page, entry.overflow_page);
    EXPECT_EQ(cell.value_size_bytes, entry.value_size_bytes);
  }
}

// FF-5: a page that parses re-encodes, from its view alone, to the very same bytes.
std::vector<uint8_t> ReencodeLeaf(const LeafView& view, std::span<const uint8_t> page) {
  std::vector<LeafCell> cells;
  for (size_t index = 0; index < view.size(); index++) cells.push_back(view.cell(index));
  std::vector<uint8_t> copy(page.size());
  EncodeLeaf(cells,
             {.type = PageType::kLeaf,
              .page_id = DecodeFixed64(page.data() + 8),
              .txn_id = DecodeFixed64(page.data() + 16)},
             copy);
  return copy;
}

std::vector<uint8_t> ReencodeBranch(const BranchView& view, std::span<const uint8_t> page) {
  std::vector<std::string_view> keys;
  std::vector<PageId> children;
  for (size_t index = 0; index < view.key_count(); index++) keys.push_back(view.key(index));
  for (size_t index = 0; index < view.child_count(); index++) children.push_back(view.child(index));
  std::vector<uint8_t> copy(page.size());
  EncodeBranch(keys, children,
               {.type = PageType::kBranch,
                .page_id = DecodeFixed64(page.data() + 8),
                .txn_id = DecodeFixed64(page.data() + 16)},
               copy);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Sizes and limits.

TEST(NodeSizesTest, Formulas) {
  EXPECT_EQ(LeafCapacityBytes(4096), 4096u - 40);
  EXPECT_EQ(BranchCapacityBytes(4096), 4096u - 48);
  EXPECT_EQ(BranchCellBytes(10), 2u + 10 + 10);
  EXPECT_EQ(LeafCellMaxBytes(4096), 2u + 7 + 1024 + 8);
  EXPECT_EQ(LeafCellMaxBytes(65536), 2u + 7 + 4096 + 8);
  EXPECT_EQ(LeafCellBytes(InlineEntry("abc", "12345").cell()), 2u + 7 + 3 + 5);
  EXPECT_EQ(LeafCellBytes(OverflowEntry("abc", 9, 100000).cell()), 2u + 7 + 3 + 8);
}

// FF-31: three maximal cells fit in any leaf and three maximal separators in any branch, which
// is what lets every split of an overfull node give two halves that fit.
TEST(NodeSizesTest, ThreeMaximalCellsFit) {
  for (const uint32_t size : kAllPageSizes) {
    EXPECT_LE(3 * LeafCellMaxBytes(size), LeafCapacityBytes(size)) << size;
    EXPECT_LE(3 * BranchCellBytes(KeySizeMaxBytes(size)), BranchCapacityBytes(size)) << size;
  }
}

// FF-25: the inline rule, exactly at its boundary.
TEST(NodeSizesTest, ValueFitsInlineBoundary) {
  for (const uint32_t size : kAllPageSizes) {
    const size_t key_max = KeySizeMaxBytes(size);
    for (const size_t key_size : {size_t{0}, size_t{1}, key_max / 2, key_max}) {
      const size_t boundary = LeafCellMaxBytes(size) - 2 - 7 - key_size;
      EXPECT_TRUE(ValueFitsInline(size, key_size, boundary)) << size << " " << key_size;
      EXPECT_FALSE(ValueFitsInline(size, key_size, boundary + 1)) << size << " " << key_size;
      EXPECT_TRUE(ValueFitsInline(size, key_size, 0));
      EXPECT_FALSE(ValueFitsInline(size, key_size, kValueSizeMaxBytes));
      EXPECT_FALSE(ValueFitsInline(size, key_size, UINT64_MAX));
    }
    EXPECT_FALSE(ValueFitsInline(size, key_max + 9, 0));  // Past the limit: never inline.
  }
}

// ---------------------------------------------------------------------------------------------
// Leaf round trips.

TEST(LeafTest, EmptyAtEveryPageSize) {  // FF-21
  for (const uint32_t size : kAllPageSizes) {
    const auto page = LeafPage(size, {});
    EXPECT_EQ(DecodeFixed16(page.data() + 32), 0u);
    // cells_begin is the page end, which a u16 stores as 0 at 64 KiB.
    EXPECT_EQ(DecodeFixed16(page.data() + 34), size == 65536 ? 0u : size);
    ASSERT_OK_AND_ASSIGN(const LeafView view, LeafView::Parse(page, kLeafId));
    EXPECT_EQ(view.size(), 0u);
    EXPECT_EQ(view.lower_bound(""), 0u);
    EXPECT_EQ(view.lower_bound("zzz"), 0u);
    EXPECT_EQ(ReencodeLeaf(view, page), page);
  }
}

TEST(LeafTest, LayoutOfOneEntry) {  // FF-20, FF-22, FF-24
  const auto page = LeafPage(4096, {InlineEntry("key", "value")});
  const size_t cell = 4096 - (7 + 3 + 5);
  EXPECT_EQ(DecodeFixed16(page.data() + 32), 1u);
  EXPECT_EQ(DecodeFixed16(page.data() + 34), cell);
  EXPECT_EQ(DecodeFixed32(page.data() + 36), 0u);
  EXPECT_EQ(DecodeFixed16(page.data() + 40), cell);
  EXPECT_EQ(page[cell], 0);
  EXPECT_EQ(DecodeFixed16(page.data() + cell + 1), 3u);
  EXPECT_EQ(DecodeFixed32(page.data() + cell + 3), 5u);
  EXPECT_EQ(std::string(page.begin() + cell + 7, page.end()), "keyvalue");
  for (size_t offset = 42; offset < cell; offset++) ASSERT_EQ(page[offset], 0) << offset;
}

TEST(LeafTest, RandomRoundTripsAtEveryPageSize) {
  for (const uint32_t size : kAllPageSizes) {
    for (uint64_t seed = 1; seed <= 8; seed++) {
      Rng rng(seed * 1000 + size);
      const auto entries = RandomEntries(rng, size, LeafCapacityBytes(size), 24);
      const auto page = LeafPage(size, entries);
      ASSERT_OK_AND_ASSIGN(const LeafView view, LeafView::Parse(page, kLeafId));
      ExpectLeafHolds(view, entries);
      EXPECT_EQ(ReencodeLeaf(view, page), page);
      EXPECT_EQ(LeafPage(size, entries), page);  // FF-5: deterministic bytes.
    }
  }
}

// FF-22: cells fill the page with no free byte left.
TEST(LeafTest, FilledExactlyToCapacity) {
  for (const uint32_t size : {4096u, 65536u}) {
    const size_t capacity = LeafCapacityBytes(size);
    const size_t cell_bytes = 2 + 7 + 2;  // Two-byte keys, empty values.
    const size_t count = capacity / cell_bytes;
    std::vector<Entry> entries;
    for (size_t index = 0; index < count; index++) {
      std::string key(2, '\0');
      key[0] = static_cast<char>(index >> 8);
      key[1] = static_cast<char>(index & 0xFF);
      entries.push_back(InlineEntry(key, ""));
    }
    entries.back().value.assign(capacity - count * cell_bytes, 'v');
    entries.back().value_size_bytes = static_cast<uint32_t>(entries.back().value.size());
    ASSERT_EQ(TotalBytes(entries), capacity);
    const auto page = LeafPage(size, entries);
    EXPECT_EQ(DecodeFixed16(page.data() + 34), 40 + 2 * count);
    ASSERT_OK_AND_ASSIGN(const LeafView view, LeafView::Parse(page, kLeafId));
    ExpectLeafHolds(view, entries);
    EXPECT_EQ(view.lower_bound(entries[count / 2].key), count / 2);
  }
}

TEST(LeafTest, MaximalKeys) {  // FF-23, FF-31
  for (const uint32_t size : kAllPageSizes) {
    const size_t key_max = KeySizeMaxBytes(size);
    std::vector<Entry> entries;
    for (char last : {'a', 'b', 'c'}) {
      std::string key(key_max, '\xFF');
      key.back() = last;
      entries.push_back(OverflowEntry(key, 1000, kValueSizeMaxBytes));
    }
    // A maximal key with the largest inline value fills a maximal cell too.
    std::string key(key_max, '\xFF');
    entries[1] = InlineEntry(key.substr(0, key_max - 1) + 'b', std::string(8, 'x'));
    ASSERT_EQ(LeafCellBytes(entries[1].cell()), LeafCellMaxBytes(size));
    const auto page = LeafPage(size, entries);
    ASSERT_OK_AND_ASSIGN(const LeafView view, LeafView::Parse(page, kLeafId));
    ExpectLeafHolds(view, entries);
  }
}

// FF-25: at the boundary the value is inline; one byte more and it goes to overflow pages.
TEST(LeafTest, InlineAndOverflowAtTheBoundary) {
  for (const uint32_t size : kAllPageSizes) {
    const size_t key_size = 10;
    const size_t boundary = LeafCellMaxBytes(size) - 2 - 7 - key_size;
    const std::vector<Entry> entries = {
        InlineEntry("0123456789", std::string(boundary, 'i')),
        OverflowEntry("0123456790", 77, static_cast<uint32_t>(boundary + 1)),
    };
    const auto page = LeafPage(size, entries);
    ASSERT_OK_AND_ASSIGN(const LeafView view, LeafView::Parse(page, kLeafId));
    ExpectLeafHolds(view, entries);
    EXPECT_FALSE(view.is_overflow(0));
    EXPECT_TRUE(view.is_overflow(1));
  }
}

// ---------------------------------------------------------------------------------------------
// Binary search.

TEST(LeafTest, LowerBoundMatchesStdLowerBound) {
  for (const uint32_t size : {4096u, 65536u}) {
    for (uint64_t seed = 1; seed <= 20; seed++) {
      Rng rng(seed + size);
      std::set<std::string> key_set = {""};
      const size_t count = rng.UniformInclusive(0, 200);
      while (key_set.size() < count) key_set.insert(RandomKey(rng, 6));
      std::vector<std::string> keys(key_set.begin(), key_set.end());
      if (rng.OneIn(3)) keys.erase(keys.begin());  // Sometimes without the empty key.
      std::vector<Entry> entries;
      for (const std::string& key : keys) entries.push_back(InlineEntry(key, "v"));
      ASSERT_LE(TotalBytes(entries), LeafCapacityBytes(size));
      const auto page = LeafPage(size, entries);
      ASSERT_OK_AND_ASSIGN(const LeafView view, LeafView::Parse(page, kLeafId));
      std::vector<std::string> probes = keys;
      for (int probe = 0; probe < 300; probe++) probes.push_back(RandomKey(rng, 7));
      for (const std::string& key : keys) {
        probes.push_back(key + '\0');
        if (!key.empty()) probes.push_back(key.substr(0, key.size() - 1));
      }
      for (const std::string& probe : probes) {
        const auto expected = std::lower_bound(keys.begin(), keys.end(), probe) - keys.begin();
        ASSERT_EQ(view.lower_bound(probe), static_cast<size_t>(expected))
            << "seed " << seed << " probe size " << probe.size();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Branches.

TEST(BranchTest, LayoutOfOneSeparator) {  // FF-28
  const auto page = BranchPage(4096, {"m"}, {100, 200});
  const size_t cell = 4096 - (10 + 1);
  EXPECT_EQ(DecodeFixed16(page.data() + 32), 1u);
  EXPECT_EQ(DecodeFixed16(page.data() + 34), cell);
  EXPECT_EQ(DecodeFixed64(page.data() + 40), 100u);
  EXPECT_EQ(DecodeFixed16(page.data() + 48), cell);
  EXPECT_EQ(DecodeFixed64(page.data() + cell), 200u);
  EXPECT_EQ(DecodeFixed16(page.data() + cell + 8), 1u);
  EXPECT_EQ(page[cell + 10], 'm');
}

TEST(BranchTest, NoSeparatorsAtEveryPageSize) {
  for (const uint32_t size : kAllPageSizes) {
    const auto page = BranchPage(size, {}, {42});
    EXPECT_EQ(DecodeFixed16(page.data() + 34), size == 65536 ? 0u : size);
    ASSERT_OK_AND_ASSIGN(const BranchView view, BranchView::Parse(page, kBranchId));
    EXPECT_EQ(view.key_count(), 0u);
    EXPECT_EQ(view.child_count(), 1u);
    EXPECT_EQ(view.child(0), 42u);
    EXPECT_EQ(view.child_index(""), 0u);
    EXPECT_EQ(view.child_index("\xFF\xFF"), 0u);
    EXPECT_EQ(ReencodeBranch(view, page), page);
  }
}

// FF-30: child_index is the number of separators <= key (std::upper_bound).
TEST(BranchTest, ChildIndexMatchesStdUpperBound) {
  for (const uint32_t size : kAllPageSizes) {
    for (uint64_t seed = 1; seed <= 10; seed++) {
      Rng rng(seed * 7 + size);
      std::set<std::string> key_set;
      const size_t count = rng.UniformInclusive(0, 200);
      while (key_set.size() < count) key_set.insert(RandomKey(rng, 6));
      const std::vector<std::string> keys(key_set.begin(), key_set.end());
      std::vector<PageId> children;
      for (size_t index = 0; index <= keys.size(); index++) children.push_back(100 + index);
      const auto page = BranchPage(size, keys, children);
      ASSERT_OK_AND_ASSIGN(const BranchView view, BranchView::Parse(page, kBranchId));
      ASSERT_EQ(view.key_count(), keys.size());
      for (size_t index = 0; index < keys.size(); index++) ASSERT_EQ(view.key(index), keys[index]);
      for (size_t index = 0; index <= keys.size(); index++) {
        ASSERT_EQ(view.child(index), children[index]);
      }
      EXPECT_EQ(ReencodeBranch(view, page), page);
      std::vector<std::string> probes = keys;
      for (int probe = 0; probe < 300; probe++) probes.push_back(RandomKey(rng, 7));
      for (const std::string& key : keys) probes.push_back(key + '\0');
      for (const std::string& probe : probes) {
        const auto expected = std::upper_bound(keys.begin(), keys.end(), probe) - keys.begin();
        ASSERT_EQ(view.child_index(probe), static_cast<size_t>(expected));
      }
    }
  }
}

TEST(BranchTest, FilledToCapacityWithMaximalKeys) {  // FF-23, FF-31
  for (const uint32_t size : kAllPageSizes) {
    const size_t key_max = KeySizeMaxBytes(size);
    const size_t count = BranchCapacityBytes(size) / BranchCellBytes(key_max);
    ASSERT_GE(count, 3u);
    std::vector<std::string> keys;
    std::vector<PageId> children = {kFirstDataPage};
    for (size_t index = 0; index < count; index++) {
      std::string key(key_max, 'k');
      key[0] = static_cast<char>('a' + index);
      keys.push_back(key);
      children.push_back(kPageCountMax - 1 - index);
    }
    const auto page = BranchPage(size, keys, children);
    ASSERT_OK_AND_ASSIGN(const BranchView view, BranchView::Parse(page, kBranchId));
    EXPECT_EQ(view.key_count(), count);
    EXPECT_EQ(view.child(count), kPageCountMax - 1 - (count - 1));
    EXPECT_EQ(view.child_index(keys[1]), 2u);
    EXPECT_EQ(ReencodeBranch(view, page), page);
  }
}

// ---------------------------------------------------------------------------------------------
// Corruption: any byte flipped fails the checksum.

TEST(LeafCorruptionTest, EveryByteFlipIsCaught) {  // FF-3
  const auto page = LeafPage(4096, {InlineEntry("key-a", "red"), OverflowEntry("key-b", 5000, 5000),
                                    InlineEntry("key-c", std::string(500, 'z'))});
  EXPECT_TRUE(EveryByteFlipFails(page, [](std::span<const uint8_t> bytes) {
    return LeafView::Parse(bytes, kLeafId).status();
  }));
}

TEST(BranchCorruptionTest, EveryByteFlipIsCaught) {  // FF-3
  const auto page = BranchPage(4096, {"b", "d", std::string(300, 'f')}, {10, 11, 12, 13});
  EXPECT_TRUE(EveryByteFlipFails(page, [](std::span<const uint8_t> bytes) {
    return BranchView::Parse(bytes, kBranchId).status();
  }));
}

// ---------------------------------------------------------------------------------------------
// Corruption with a valid checksum: crafted pages.

// A leaf with three cells of known layout at 4 KiB:
//   cell 0 "key-a" inline "red"          7 + 5 + 3 = 15 bytes
//   cell 1 "key-b" overflow 5000, 5000   7 + 5 + 8 = 20 bytes
//   cell 2 "key-c" inline "dark red"     7 + 5 + 8 = 20 bytes
class CraftedLeafTest : public ::testing::Test {
 protected:
  static constexpr size_t kCell0 = 4096 - 55;
  static constexpr size_t kCell1 = kCell0 + 15;
  static constexpr size_t kCell2 = kCell1 + 20;

  CraftedLeafTest()
      : page_(LeafPage(4096, {InlineEntry("key-a", "red"), OverflowEntry("key-b", 5000, 5000),
                              InlineEntry("key-c", "dark red")})) {}

  void SetUp() override {
    ASSERT_OK(LeafView::Parse(page_, kLeafId).status());
    ASSERT_EQ(DecodeFixed16(page_.data() + 34), kCell0);
    ASSERT_EQ(DecodeFixed16(page_.data() + 42), kCell1);
    ASSERT_EQ(DecodeFixed16(page_.data() + 44), kCell2);
  }

  // Parses the page after resealing it and expects DataLoss naming the leaf and `message`.
  ::testing::AssertionResult Rejects(const char* message) {
    Reseal(page_);
    return IsDataLoss(LeafView::Parse(page_, kLeafId).status(), {"page 17 (leaf)", message});
  }
  void Set16(size_t offset, uint16_t value) { EncodeFixed16(page_.data() + offset, value); }
  void Set32(size_t offset, uint32_t value) { EncodeFixed32(page_.data() + offset, value); }
  void Set64(size_t offset, uint64_t value) { EncodeFixed64(page_.data() + offset, value); }

  std::vector<uint8_t> page_;
};

TEST_F(CraftedLeafTest, EntryCountAboveMaximum) {  // FF-27
  Set16(32, 0xFFFF);
  EXPECT_TRUE(Rejects("entry_count 65535 above maximum 450"));
}

TEST_F(CraftedLeafTest, EntryCountTooLarge) {  // FF-22: the extra slot reads as offset 0.
  Set16(32, 4);
  EXPECT_TRUE(Rejects("slot 3 offset 0 inside slot array ending at 48"));
}

TEST_F(CraftedLeafTest, EntryCountTooSmall) {  // FF-22
  Set16(32, 2);
  Set16(44, 0);  // Keep the free space zero, so that the packing check is the one that fires.
  EXPECT_TRUE(Rejects("cells end at 4076, not at page end 4096"));
}

TEST_F(CraftedLeafTest, EntryCountZeroWithCells) {  // FF-21
  Set16(32, 0);
  EXPECT_TRUE(Rejects("cells_begin 4041 with entry_count 0"));
}

TEST_F(CraftedLeafTest, CellsBeginZeroMeans65536) {  // FF-21
  Set16(34, 0);
  EXPECT_TRUE(Rejects("cells_begin 65536 beyond page end 4096"));
}

TEST_F(CraftedLeafTest, CellsBeginBeyondPageEnd) {  // FF-21
  Set16(34, 5000);
  EXPECT_TRUE(Rejects("cells_begin 5000 beyond page end 4096"));
}

TEST_F(CraftedLeafTest, CellsBeginInsideSlotArray) {  // FF-21
  Set16(34, 44);
  EXPECT_TRUE(Rejects("cells_begin 44 inside slot array ending at 46"));
}

TEST_F(CraftedLeafTest, CellsBeginBelowFirstCell) {  // FF-22
  Set16(34, kCell0 - 1);
  EXPECT_TRUE(Rejects("slot 0 offset 4041, but cells_begin is 4040"));
}

TEST_F(CraftedLeafTest, SlotOffsetBeyondPageEnd) {  // FF-22
  Set16(42, 0xFFFF);
  EXPECT_TRUE(Rejects("slot 1 offset 65535 beyond page end 4096"));
}

TEST_F(CraftedLeafTest, SlotOffsetAtPageEnd) {  // FF-22
  Set16(44, 4096);
  EXPECT_TRUE(Rejects("slot 2 offset 4096 beyond page end 4096"));
}

TEST_F(CraftedLeafTest, SlotOffsetInsideSlotArray) {  // FF-22
  Set16(40, 41);
  EXPECT_TRUE(Rejects("slot 0 offset 41 inside slot array ending at 46"));
}

TEST_F(CraftedLeafTest, SlotOffsetNotPacked) {  // FF-22
  Set16(44, 4095);
  EXPECT_TRUE(Rejects("slot 2 offset 4095, but cell 1 ends at 4076"));
}

TEST_F(CraftedLeafTest, SlotsOutOfOrder) {  // FF-22
  Set16(42, kCell2);
  Set16(44, kCell1);
  EXPECT_TRUE(Rejects("slot 1 offset 4076, but cell 0 ends at 4056"));
}

TEST_F(CraftedLeafTest, KeySizeAboveMaximum) {  // FF-23
  Set16(kCell0 + 1, 1025);
  EXPECT_TRUE(Rejects("slot 0 key_size 1025 above maximum 1024"));
}

TEST_F(CraftedLeafTest, KeySizeHuge) {  // FF-23
  Set16(kCell2 + 1, 0xFFFF);
  EXPECT_TRUE(Rejects("slot 2 key_size 65535 above maximum 1024"));
}

TEST_F(CraftedLeafTest, KeyRunsPastPageEnd) {  // FF-23
  Set16(kCell2 + 1, 1000);
  EXPECT_TRUE(Rejects("slot 2 key [4083, 5083) beyond page end 4096"));
}

TEST_F(CraftedLeafTest, KeySizeShiftsTheCell) {  // FF-22
  Set16(kCell0 + 1, 6);
  EXPECT_TRUE(Rejects("slot 1 offset 4056, but cell 0 ends at 4057"));
}

TEST_F(CraftedLeafTest, DuplicateKeys) {  // FF-23
  page_[kCell1 + 7 + 4] = 'a';
  EXPECT_TRUE(Rejects("key 1 not greater than key 0"));
}

TEST_F(CraftedLeafTest, UnsortedKeys) {  // FF-23
  page_[kCell2 + 7 + 4] = '0';
  EXPECT_TRUE(Rejects("key 2 not greater than key 1"));
}

TEST_F(CraftedLeafTest, UnknownFlags) {  // FF-24
  page_[kCell0] = 0x02;
  EXPECT_TRUE(Rejects("slot 0 unknown flags 0x02"));
}

TEST_F(CraftedLeafTest, OverflowFlagOnSmallValue) {  // FF-25
  page_[kCell0] = kLeafFlagOverflow;
  EXPECT_TRUE(Rejects("slot 0 value_size 3 on overflow pages fits inline"));
}

TEST_F(CraftedLeafTest, InlineFlagOnLargeValue) {  // FF-25
  page_[kCell1] = 0;
  EXPECT_TRUE(Rejects("slot 1 inline value_size 5000 too large to be inline"));
}

TEST_F(CraftedLeafTest, InlineValueSizeTooLarge) {  // FF-25
  Set32(kCell0 + 3, 0xFFFFFFFF);
  EXPECT_TRUE(Rejects("slot 0 inline value_size 4294967295 too large"));
}

TEST_F(CraftedLeafTest, InlineValueSizeMismatch) {  // FF-24
  Set32(kCell0 + 3, 4);
  EXPECT_TRUE(Rejects("slot 1 offset 4056, but cell 0 ends at 4057"));
}

TEST_F(CraftedLeafTest, InlineValueRunsPastPageEnd) {  // FF-24
  Set32(kCell2 + 3, 9);
  EXPECT_TRUE(Rejects("slot 2 value [4088, 4097) beyond page end 4096"));
}

TEST_F(CraftedLeafTest, OverflowValueSizeAboveMaximum) {  // FF-26
  Set32(kCell1 + 3, kValueSizeMaxBytes + 1);
  EXPECT_TRUE(Rejects("slot 1 value_size 16777217 above maximum 16777216"));
}

TEST_F(CraftedLeafTest, OverflowPageIds) {  // FF-26
  for (const PageId bad : {PageId{0}, PageId{1}, kPageCountMax, PageId{UINT64_MAX}}) {
    Set64(kCell1 + 7 + 5, bad);
    EXPECT_TRUE(Rejects("slot 1 overflow page")) << bad;
  }
  Set64(kCell1 + 7 + 5, kPageCountMax - 1);
  Reseal(page_);
  EXPECT_OK(LeafView::Parse(page_, kLeafId).status());
}

TEST_F(CraftedLeafTest, NonZeroFreeSpace) {  // FF-5
  page_[kCell0 - 1] = 1;
  EXPECT_TRUE(Rejects("free space byte at offset 4040 not zero"));
}

TEST_F(CraftedLeafTest, NonZeroReserved) {  // FF-20
  page_[37] = 1;
  EXPECT_TRUE(Rejects("reserved"));
}

TEST_F(CraftedLeafTest, WrongType) {  // FF-4
  page_[6] = static_cast<uint8_t>(PageType::kBranch);
  EXPECT_TRUE(Rejects("page_type is branch"));
  page_[6] = 9;
  EXPECT_TRUE(Rejects("unknown page_type 9"));
}

TEST_F(CraftedLeafTest, WrongPageId) {  // FF-4
  Set64(8, kLeafId + 1);
  EXPECT_TRUE(Rejects("page_id field 18"));
}

TEST_F(CraftedLeafTest, WrongVersion) {  // FF-4
  Set16(4, kFormatVersion + 1);
  EXPECT_TRUE(Rejects("format_version 2"));
}

TEST_F(CraftedLeafTest, WrongBufferSize) {  // FF-1
  const std::span<const uint8_t> half = std::span(page_).first(2048);
  EXPECT_TRUE(IsDataLoss(LeafView::Parse(half, kLeafId).status(), {"page size 2048"}));
}

// A branch with three separators at 4 KiB:
//   child[0] = 10; cell i: child 11 + i, key "b", "d", "f" (11 bytes each).
class CraftedBranchTest : public ::testing::Test {
 protected:
  static constexpr size_t kCell0 = 4096 - 33;
  static constexpr size_t kCell1 = kCell0 + 11;
  static constexpr size_t kCell2 = kCell1 + 11;

  CraftedBranchTest() : page_(BranchPage(4096, {"b", "d", "f"}, {10, 11, 12, 13})) {}

  void SetUp() override {
    ASSERT_OK(BranchView::Parse(page_, kBranchId).status());
    ASSERT_EQ(DecodeFixed16(page_.data() + 48), kCell0);
  }

  ::testing::AssertionResult Rejects(const char* message) {
    Reseal(page_);
    return IsDataLoss(BranchView::Parse(page_, kBranchId).status(), {"page 23 (branch)", message});
  }
  void Set16(size_t offset, uint16_t value) { EncodeFixed16(page_.data() + offset, value); }
  void Set64(size_t offset, uint64_t value) { EncodeFixed64(page_.data() + offset, value); }

  std::vector<uint8_t> page_;
};

TEST_F(CraftedBranchTest, ChildZeroOutOfRange) {  // FF-29
  for (const PageId bad : {PageId{0}, PageId{1}, kPageCountMax}) {
    Set64(40, bad);
    EXPECT_TRUE(Rejects("child 0 page")) << bad;
  }
}

TEST_F(CraftedBranchTest, CellChildOutOfRange) {  // FF-29
  for (const PageId bad : {PageId{0}, PageId{1}, kPageCountMax, PageId{UINT64_MAX}}) {
    Set64(kCell1, bad);
    EXPECT_TRUE(Rejects("child 2 page")) << bad;
  }
}

TEST_F(CraftedBranchTest, KeyCountAboveMaximum) {  // FF-27
  Set16(32, 0xFFFF);
  EXPECT_TRUE(Rejects("key_count 65535 above maximum 337"));
}

TEST_F(CraftedBranchTest, KeyCountTooLarge) {  // FF-22
  Set16(32, 4);
  EXPECT_TRUE(Rejects("slot 3 offset 0 inside slot array ending at 56"));
}

TEST_F(CraftedBranchTest, SlotOffsetBeyondPageEnd) {  // FF-22
  Set16(50, 0x9000);
  EXPECT_TRUE(Rejects("slot 1 offset 36864 beyond page end 4096"));
}

TEST_F(CraftedBranchTest, KeySizeAboveMaximum) {  // FF-23
  Set16(kCell0 + 8, 2000);
  EXPECT_TRUE(Rejects("slot 0 key_size 2000 above maximum 1024"));
}

TEST_F(CraftedBranchTest, KeyRunsPastPageEnd) {  // FF-23
  Set16(kCell2 + 8, 2);
  EXPECT_TRUE(Rejects("slot 2 key [4095, 4097) beyond page end 4096"));
}

TEST_F(CraftedBranchTest, UnsortedKeys) {  // FF-23
  page_[kCell2 + 10] = 'c';
  EXPECT_TRUE(Rejects("key 2 not greater than key 1"));
}

TEST_F(CraftedBranchTest, CellsBeginZero) {  // FF-21
  Set16(34, 0);
  EXPECT_TRUE(Rejects("cells_begin 65536 beyond page end"));
}

TEST_F(CraftedBranchTest, NonZeroFreeSpace) {  // FF-5
  page_[100] = 0x10;
  EXPECT_TRUE(Rejects("free space byte at offset 100"));
}

TEST_F(CraftedBranchTest, LeafParsedAsBranch) {  // FF-4
  page_ = LeafPage(4096, {InlineEntry("a", "b")}, kBranchId);
  EXPECT_TRUE(Rejects("page_type is leaf"));
}

// ---------------------------------------------------------------------------------------------
// Random pages with a valid header and checksum: parse never crashes, and anything it accepts
// is fully readable and canonical. ASan and UBSan check the reads.

void WalkLeaf(const LeafView& view, std::span<const uint8_t> page) {
  for (size_t index = 0; index < view.size(); index++) {
    const LeafCell cell = view.cell(index);
    ASSERT_EQ(view.lower_bound(cell.key), index);
    ASSERT_LE(cell.key.size(), KeySizeMaxBytes(static_cast<uint32_t>(page.size())));
  }
  ASSERT_EQ(ReencodeLeaf(view, page), std::vector<uint8_t>(page.begin(), page.end()));
}

void WalkBranch(const BranchView& view, std::span<const uint8_t> page) {
  for (size_t index = 0; index < view.key_count(); index++) {
    ASSERT_EQ(view.child_index(view.key(index)), index + 1);
  }
  for (size_t index = 0; index < view.child_count(); index++) {
    ASSERT_GE(view.child(index), kFirstDataPage);
  }
  ASSERT_EQ(ReencodeBranch(view, page), std::vector<uint8_t>(page.begin(), page.end()));
}

// Random body bytes, with the count, cells_begin and slots often drawn small or in range, so
// that parsing gets past its first checks.
std::vector<uint8_t> GarbagePage(Rng& rng, uint32_t size, PageType type, PageId page_id) {
  std::vector<uint8_t> page(size);
  for (uint8_t& byte : page) byte = static_cast<uint8_t>(rng.Next());
  const size_t slots_begin = type == PageType::kLeaf ? 40 : 48;
  const size_t count = rng.OneIn(2) ? rng.Uniform(8) : rng.Uniform(1 << 16);
  EncodeFixed16(page.data() + 32, static_cast<uint16_t>(count));
  if (rng.OneIn(2)) EncodeFixed16(page.data() + 34, static_cast<uint16_t>(rng.Uniform(size)));
  if (rng.OneIn(2)) EncodeFixed32(page.data() + 36, 0);
  if (rng.OneIn(2)) EncodeFixed64(page.data() + 40, rng.Uniform(1000));
  for (size_t index = 0; index < count && slots_begin + 2 * index + 2 <= size; index++) {
    if (rng.OneIn(2)) {
      EncodeFixed16(page.data() + slots_begin + 2 * index,
                    static_cast<uint16_t>(rng.Uniform(size)));
    }
  }
  SealPage(page, {.type = type, .page_id = page_id, .txn_id = rng.Next()});
  return page;
}

TEST(NodeFuzzTest, GarbageWithValidChecksumNeverCrashes) {
  Rng rng(20240601);
  for (int iteration = 0; iteration < 4000; iteration++) {
    const uint32_t size = iteration % 20 == 0 ? 65536 : 4096;
    const auto leaf = GarbagePage(rng, size, PageType::kLeaf, kLeafId);
    const auto leaf_view = LeafView::Parse(leaf, kLeafId);
    if (leaf_view.ok()) {
      WalkLeaf(*leaf_view, leaf);
    } else {
      ASSERT_EQ(leaf_view.status().code(), absl::StatusCode::kDataLoss);
    }
    const auto branch = GarbagePage(rng, size, PageType::kBranch, kBranchId);
    const auto branch_view = BranchView::Parse(branch, kBranchId);
    if (branch_view.ok()) {
      WalkBranch(*branch_view, branch);
    } else {
      ASSERT_EQ(branch_view.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

// Valid pages with a few bytes of the body changed and the checksum recomputed: the crafted
// pages closest to valid ones. Whatever parses must be readable and re-encode to its bytes.
TEST(NodeFuzzTest, MutatedValidPagesNeverCrash) {
  Rng rng(777);
  int accepted = 0;
  for (int iteration = 0; iteration < 3000; iteration++) {
    const uint32_t size = iteration % 10 == 0 ? 65536 : 4096;
    const bool leaf = rng.OneIn(2);
    std::vector<uint8_t> page;
    if (leaf) {
      page = LeafPage(size, RandomEntries(rng, size, rng.Uniform(LeafCapacityBytes(size)), 8));
    } else {
      std::set<std::string> key_set;
      const size_t count = rng.Uniform(40);
      while (key_set.size() < count) key_set.insert(RandomKey(rng, 5));
      std::vector<PageId> children;
      for (size_t index = 0; index <= count; index++) children.push_back(2 + rng.Uniform(100));
      page = BranchPage(size, std::vector<std::string>(key_set.begin(), key_set.end()), children);
    }
    const size_t mutations = rng.UniformInclusive(1, 4);
    for (size_t mutation = 0; mutation < mutations; mutation++) {
      // Aim at the node header and slots half of the time, anywhere in the body otherwise.
      const size_t offset = rng.OneIn(2) ? 32 + rng.Uniform(40) : 32 + rng.Uniform(size - 32);
      page[offset] = rng.OneIn(2) ? static_cast<uint8_t>(rng.Next()) : page[offset] ^ 1;
    }
    Reseal(page);
    if (leaf) {
      const auto view = LeafView::Parse(page, kLeafId);
      if (view.ok()) {
        accepted++;
        WalkLeaf(*view, page);
      } else {
        ASSERT_EQ(view.status().code(), absl::StatusCode::kDataLoss);
      }
    } else {
      const auto view = BranchView::Parse(page, kBranchId);
      if (view.ok()) {
        accepted++;
        WalkBranch(*view, page);
      } else {
        ASSERT_EQ(view.status().code(), absl::StatusCode::kDataLoss);
      }
    }
  }
  // Some mutations keep the page valid (a changed value byte, a changed child id).
  EXPECT_GT(accepted, 0);
}

// ---------------------------------------------------------------------------------------------
// The encoders assert their preconditions.

TEST(NodeDeathTest, EncodeLeafAssertsPreconditions) {
  std::vector<uint8_t> page(4096);
  const PageHeader header{.type = PageType::kLeaf, .page_id = kLeafId, .txn_id = 1};
  const std::vector<LeafCell> unsorted = {InlineEntry("b", "").cell(), InlineEntry("a", "").cell()};
  EXPECT_DEATH(EncodeLeaf(unsorted, header, page), "key");
  const std::vector<LeafCell> duplicate = {InlineEntry("a", "").cell(),
                                           InlineEntry("a", "").cell()};
  EXPECT_DEATH(EncodeLeaf(duplicate, header, page), "key");
  const std::string big_key(1025, 'k');
  const std::vector<LeafCell> too_long = {InlineEntry(big_key, "").cell()};
  EXPECT_DEATH(EncodeLeaf(too_long, header, page), "KeySizeMaxBytes");
  const std::vector<LeafCell> small_overflow = {OverflowEntry("a", 9, 3).cell()};
  EXPECT_DEATH(EncodeLeaf(small_overflow, header, page), "fits_inline");
  const std::string big_value(2000, 'v');
  const std::vector<LeafCell> big_inline = {InlineEntry("a", big_value).cell()};
  EXPECT_DEATH(EncodeLeaf(big_inline, header, page), "fits_inline");
  std::vector<Entry> entries;
  for (int index = 0; index < 5; index++) {
    entries.push_back(
        InlineEntry(std::string(1, static_cast<char>('a' + index)), std::string(1000, 'v')));
  }
  std::vector<LeafCell> too_many;
  for (const Entry& entry : entries) too_many.push_back(entry.cell());
  EXPECT_DEATH(EncodeLeaf(too_many, header, page), "LeafCapacityBytes");
}

TEST(NodeDeathTest, EncodeBranchAssertsPreconditions) {
  std::vector<uint8_t> page(4096);
  const PageHeader header{.type = PageType::kBranch, .page_id = kBranchId, .txn_id = 1};
  const std::vector<std::string_view> keys = {"b", "a"};
  const std::vector<PageId> children = {2, 3, 4};
  EXPECT_DEATH(EncodeBranch(keys, children, header, page), "keys");
  const std::vector<std::string_view> sorted = {"a", "b"};
  const std::vector<PageId> too_few = {2, 3};
  EXPECT_DEATH(EncodeBranch(sorted, too_few, header, page), "children.size");
  const std::vector<PageId> meta_child = {2, 1, 4};
  EXPECT_DEATH(EncodeBranch(sorted, meta_child, header, page), "IsDataPageId");
}

}  // namespace
}  // namespace northstar::engine
