// B+tree node pages: slotted leaves and branches. Codecs only: pure functions, no I/O.
//
// Leaf body (little-endian) after the page header:
//   32 u16  entry_count
//   34 u16  cells_begin       offset of the lowest cell byte; cells fill [cells_begin, page end).
//                             The page size when there are no cells; a u16 cannot hold 65536, so
//                             65536 is stored as 0 (as SQLite does), and 0 means 65536 only.
//   36 u32  reserved          0
//   40 u16  slot[entry_count] offset of each entry's cell, in strictly increasing key order
//   ...     zero              free space
//   cells_begin..: cells, each
//        u8  flags            bit 0: value is on overflow pages; other bits 0
//        u16 key_size
//        u32 value_size       the whole value's size, inline or not
//        key bytes
//        inline value bytes, or u64 first overflow page id
//   Cells are packed in slot order with no gaps: slot[0] == cells_begin, each next cell starts
//   where the previous one ends, and the last ends at the page end. A value is inline iff
//   ValueFitsInline(page size, key size, value size), so each page has one valid encoding.
//
// Branch body after the page header:
//   32 u16  key_count         children = key_count + 1
//   34 u16  cells_begin       as in a leaf (0 means 65536)
//   36 u32  reserved          0
//   40 u64  child[0]          leftmost child
//   48 u16  slot[key_count]   offset of each cell, in strictly increasing key order
//   cells: u64 child[i + 1] (keys >= key[i] and < key[i + 1]), u16 key_size, key bytes;
//   packed in slot order up to the page end, as in a leaf.
//
// Parse*() checks every count, offset, length and id against the page before any use and
// returns Corruption (kDataLoss) naming the page id and the field; after a successful parse the
// view's accessors read without checks. Every byte of a page that parses is determined by its
// entries: a parsed page re-encodes to the same bytes. Views point into the page buffer and must
// not outlive it. spec/file_format.md (FF-20..FF-31) is the prose version of this layout.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/format/page.h"
#include "engine/format/types.h"
#include "util/coding.h"

namespace northstar::engine {

inline constexpr size_t kNodeHeaderEndBytes = 40;  // Where a leaf's slot array starts.
inline constexpr size_t kBranchSlotsBeginBytes = 48;
inline constexpr size_t kSlotBytes = 2;
inline constexpr size_t kLeafCellHeaderBytes = 7;
inline constexpr size_t kOverflowRefBytes = 8;
inline constexpr size_t kBranchCellHeaderBytes = 10;  // child + key_size
inline constexpr uint8_t kLeafFlagOverflow = 1;

// One leaf entry as the encoder takes it. Exactly one of: inline (overflow_page == kNoPage,
// value holds all value_size bytes) or overflow (overflow_page set, value empty).
struct LeafCell {
  std::string_view key;
  std::string_view value;
  PageId overflow_page = kNoPage;
  uint32_t value_size_bytes = 0;
};

// Space one entry takes in a leaf, slot included.
[[nodiscard]] size_t LeafCellBytes(const LeafCell& cell);
// The largest LeafCellBytes() of any entry: a maximal key with an overflow reference. Values go
// inline only while the inline cell is no larger, so that any three cells fit in a leaf
// (3 * LeafCellMaxBytes <= LeafCapacityBytes at every page size): an overfull leaf, holding at
// most a full leaf plus one cell, can always be split into two halves that fit.
[[nodiscard]] size_t LeafCellMaxBytes(uint32_t page_size_bytes);
[[nodiscard]] bool ValueFitsInline(uint32_t page_size_bytes, size_t key_size_bytes,
                                   uint64_t value_size_bytes);
// Bytes available to slots and cells in a leaf or a branch.
[[nodiscard]] size_t LeafCapacityBytes(uint32_t page_size_bytes);
[[nodiscard]] size_t BranchCapacityBytes(uint32_t page_size_bytes);
// Space one separator takes in a branch, slot included.
[[nodiscard]] size_t BranchCellBytes(size_t key_size_bytes);

// Encodes cells (strictly increasing keys; total LeafCellBytes <= LeafCapacityBytes) into a
// zero-filled, sealed leaf page. Asserts its preconditions, among them: an inline cell has
// value.size() == value_size_bytes and ValueFitsInline; an overflow cell has an empty value,
// !ValueFitsInline, value_size_bytes <= kValueSizeMaxBytes and a page id in
// [kFirstDataPage, kPageCountMax).
void EncodeLeaf(std::span<const LeafCell> cells, const PageHeader& header, std::span<uint8_t> page);

// keys.size() + 1 == children.size(); keys strictly increasing, each at most KeySizeMaxBytes;
// children in [kFirstDataPage, kPageCountMax); fits in BranchCapacityBytes. Asserts them.
void EncodeBranch(std::span<const std::string_view> keys, std::span<const PageId> children,
                  const PageHeader& header, std::span<uint8_t> page);

class LeafView {
 public:
  // Full validation: CheckPage(kLeaf), then every field (see the header comment), keys strictly
  // increasing, key sizes within KeySizeMaxBytes, inline values within the page, overflow refs
  // in [kFirstDataPage, kPageCountMax), value sizes within kValueSizeMaxBytes.
  [[nodiscard]] static absl::StatusOr<LeafView> Parse(std::span<const uint8_t> page,
                                                      PageId page_id);
  // A view of a page that already passed Parse (the pager verifies every page it reads, so the
  // cache holds only verified pages). No checks: never call it on unverified bytes.
  [[nodiscard]] static LeafView FromVerified(std::span<const uint8_t> page) {
    return LeafView(page, DecodeFixed16(page.data() + kPageHeaderBytes));
  }

  [[nodiscard]] size_t size() const { return entry_count_; }
  [[nodiscard]] std::string_view key(size_t index) const;
  [[nodiscard]] bool is_overflow(size_t index) const;
  // Precondition: !is_overflow(index).
  [[nodiscard]] std::string_view inline_value(size_t index) const;
  // Precondition: is_overflow(index).
  [[nodiscard]] PageId overflow_page(size_t index) const;
  [[nodiscard]] uint32_t value_size_bytes(size_t index) const;
  [[nodiscard]] LeafCell cell(size_t index) const;
  // The first index whose key is >= `key` (size() if none).
  [[nodiscard]] size_t lower_bound(std::string_view key) const;

 private:
  LeafView(std::span<const uint8_t> page, size_t entry_count)
      : page_(page), entry_count_(entry_count) {}
  [[nodiscard]] size_t cell_offset(size_t index) const;

  std::span<const uint8_t> page_;
  size_t entry_count_ = 0;
};

class BranchView {
 public:
  // Full validation, as LeafView::Parse, with child ids in [kFirstDataPage, kPageCountMax).
  [[nodiscard]] static absl::StatusOr<BranchView> Parse(std::span<const uint8_t> page,
                                                        PageId page_id);
  // As LeafView::FromVerified.
  [[nodiscard]] static BranchView FromVerified(std::span<const uint8_t> page) {
    return BranchView(page, DecodeFixed16(page.data() + kPageHeaderBytes));
  }

  [[nodiscard]] size_t key_count() const { return key_count_; }
  [[nodiscard]] size_t child_count() const { return key_count_ + 1; }
  [[nodiscard]] std::string_view key(size_t index) const;
  [[nodiscard]] PageId child(size_t index) const;
  // The child whose range holds `key`: the number of separators <= key.
  [[nodiscard]] size_t child_index(std::string_view key) const;

 private:
  BranchView(std::span<const uint8_t> page, size_t key_count)
      : page_(page), key_count_(key_count) {}
  [[nodiscard]] size_t cell_offset(size_t index) const;

  std::span<const uint8_t> page_;
  size_t key_count_ = 0;
};

}  // namespace northstar::engine
