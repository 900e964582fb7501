#include "engine/format/node.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "engine/format/internal.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

using format_internal::BytesView;
using format_internal::CheckZero;
using format_internal::IsDataPageId;

constexpr size_t kCountOffset = 32;
constexpr size_t kCellsBeginOffset = 34;
constexpr size_t kReservedOffset = 36;
constexpr size_t kBranchChild0Offset = 40;
static_assert(kCountOffset == kPageHeaderBytes);
static_assert(kReservedOffset + 4 == kNodeHeaderEndBytes);
static_assert(kBranchChild0Offset + 8 == kBranchSlotsBeginBytes);
static_assert(kLeafCellHeaderBytes == 1 + 2 + 4);
static_assert(kBranchCellHeaderBytes == 8 + 2);

// cells_begin is a u16; its only value above 65535 (an empty node in a 64 KiB page) is stored
// as 0. Offsets below the slot array are never valid, so 0 is free for that (FF-21).
uint16_t EncodeCellsBegin(size_t cells_begin) {
  NS_ASSERT(cells_begin <= kPageSizeMaxBytes);
  return static_cast<uint16_t>(cells_begin & 0xFFFF);
}
size_t DecodeCellsBegin(uint16_t raw) { return raw == 0 ? kPageSizeMaxBytes : raw; }

// The most entries a node can hold: every cell at least its header, with an empty key.
size_t LeafEntryCountMax(size_t page_size_bytes) {
  return (page_size_bytes - kNodeHeaderEndBytes) / (kSlotBytes + kLeafCellHeaderBytes);
}
size_t BranchKeyCountMax(size_t page_size_bytes) {
  return (page_size_bytes - kBranchSlotsBeginBytes) / (kSlotBytes + kBranchCellHeaderBytes);
}
static_assert(kPageSizeMaxBytes / (kSlotBytes + kLeafCellHeaderBytes) <= UINT16_MAX);

// The part of a node's body before its cells: count, cells_begin, reserved, and that the free
// space between the slot array and the cells is zero (FF-20, FF-21). Returns the entry count.
absl::StatusOr<size_t> ParseNodeHeader(std::span<const uint8_t> page, PageId page_id, PageType type,
                                       size_t slots_begin, size_t count_max) {
  const size_t page_size = page.size();
  const size_t count = DecodeFixed16(page.data() + kCountOffset);
  const size_t cells_begin = DecodeCellsBegin(DecodeFixed16(page.data() + kCellsBeginOffset));
  const char* count_name = type == PageType::kLeaf ? "entry_count" : "key_count";
  if (DecodeFixed32(page.data() + kReservedOffset) != 0) {
    return PageCorruption(page_id, type, "reserved field at offset 36 not zero");
  }
  if (count > count_max) {
    return PageCorruption(page_id, type,
                          absl::StrFormat("%s %d above maximum %d", count_name, count, count_max));
  }
  const size_t slots_end = slots_begin + count * kSlotBytes;
  if (cells_begin > page_size) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("cells_begin %d beyond page end %d", cells_begin, page_size));
  }
  if (cells_begin < slots_end) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("cells_begin %d inside slot array ending at %d", cells_begin, slots_end));
  }
  if ((count == 0) != (cells_begin == page_size)) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("cells_begin %d with %s %d", cells_begin, count_name, count));
  }
  NS_RETURN_IF_ERROR(CheckZero(page, page_id, type, slots_end, cells_begin, "free space"));
  return count;
}

// Slot `index` must point at `expected_offset`, where the previous cell ended (FF-22).
absl::Status CheckSlot(std::span<const uint8_t> page, PageId page_id, PageType type,
                       size_t slots_begin, size_t count, size_t index, size_t expected_offset) {
  const size_t offset = DecodeFixed16(page.data() + slots_begin + index * kSlotBytes);
  const size_t slots_end = slots_begin + count * kSlotBytes;
  if (offset >= page.size()) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("slot %d offset %d beyond page end %d", index, offset, page.size()));
  }
  if (offset < slots_end) {
    return PageCorruption(page_id, type,
                          absl::StrFormat("slot %d offset %d inside slot array ending at %d", index,
                                          offset, slots_end));
  }
  if (offset != expected_offset && index == 0) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("slot 0 offset %d, but cells_begin is %d", offset, expected_offset));
  }
  if (offset != expected_offset) {
    return PageCorruption(page_id, type,
                          absl::StrFormat("slot %d offset %d, but cell %d ends at %d", index,
                                          offset, index - 1, expected_offset));
  }
  return absl::OkStatus();
}

// A key at `key_offset` of `key_size` bytes: within the limit and the page (FF-23).
absl::StatusOr<std::string_view> ParseKey(std::span<const uint8_t> page, PageId page_id,
                                          PageType type, size_t index, size_t key_offset,
                                          size_t key_size) {
  const size_t key_size_max = KeySizeMaxBytes(static_cast<uint32_t>(page.size()));
  if (key_size > key_size_max) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("slot %d key_size %d above maximum %d", index, key_size, key_size_max));
  }
  if (key_offset + key_size > page.size()) {
    return PageCorruption(page_id, type,
                          absl::StrFormat("slot %d key [%d, %d) beyond page end %d", index,
                                          key_offset, key_offset + key_size, page.size()));
  }
  return BytesView(page, key_offset, key_size);
}

absl::Status CheckKeyOrder(PageId page_id, PageType type, size_t index, std::string_view previous,
                           std::string_view key) {
  if (index == 0 || previous < key) return absl::OkStatus();
  return PageCorruption(page_id, type,
                        absl::StrFormat("key %d not greater than key %d", index, index - 1));
}

// Where a cell ends, and its key.
struct CellExtent {
  std::string_view key;
  size_t end = 0;
};

// The value part of leaf cell `index` (FF-24, FF-25); returns where the cell ends.
absl::StatusOr<size_t> ParseLeafValue(std::span<const uint8_t> page, PageId page_id, size_t index,
                                      uint8_t flags, size_t key_size, size_t value_size,
                                      size_t value_offset) {
  const auto page_size = static_cast<uint32_t>(page.size());
  const bool fits_inline = ValueFitsInline(page_size, key_size, value_size);
  if ((flags & kLeafFlagOverflow) == 0) {
    if (!fits_inline) {
      return PageCorruption(page_id, PageType::kLeaf,
                            absl::StrFormat("slot %d inline value_size %d too large to be inline",
                                            index, value_size));
    }
    // Cannot pass the page end: the cell is at most LeafCellMaxBytes; checked anyway.
    if (value_offset + value_size > page_size) {
      return PageCorruption(page_id, PageType::kLeaf,
                            absl::StrFormat("slot %d value [%d, %d) beyond page end %d", index,
                                            value_offset, value_offset + value_size, page_size));
    }
    return value_offset + value_size;
  }
  if (value_size > kValueSizeMaxBytes) {
    return PageCorruption(page_id, PageType::kLeaf,
                          absl::StrFormat("slot %d value_size %d above maximum %d", index,
                                          value_size, kValueSizeMaxBytes));
  }
  if (fits_inline) {
    return PageCorruption(
        page_id, PageType::kLeaf,
        absl::StrFormat("slot %d value_size %d on overflow pages fits inline", index, value_size));
  }
  if (value_offset + kOverflowRefBytes > page_size) {
    return PageCorruption(
        page_id, PageType::kLeaf,
        absl::StrFormat("slot %d overflow reference beyond page end %d", index, page_size));
  }
  const PageId overflow_page = DecodeFixed64(page.data() + value_offset);
  if (!IsDataPageId(overflow_page)) {
    return PageCorruption(page_id, PageType::kLeaf,
                          absl::StrFormat("slot %d overflow page %d outside [%d, %d)", index,
                                          overflow_page, kFirstDataPage, kPageCountMax));
  }
  return value_offset + kOverflowRefBytes;
}

absl::StatusOr<CellExtent> ParseLeafCell(std::span<const uint8_t> page, PageId page_id,
                                         size_t index, size_t offset) {
  if (offset + kLeafCellHeaderBytes > page.size()) {
    return PageCorruption(page_id, PageType::kLeaf,
                          absl::StrFormat("slot %d cell header at %d beyond page end %d", index,
                                          offset, page.size()));
  }
  const uint8_t flags = page[offset];
  const size_t key_size = DecodeFixed16(page.data() + offset + 1);
  const size_t value_size = DecodeFixed32(page.data() + offset + 3);
  if ((flags & ~kLeafFlagOverflow) != 0) {
    return PageCorruption(page_id, PageType::kLeaf,
                          absl::StrFormat("slot %d unknown flags 0x%02x", index, flags));
  }
  const size_t key_offset = offset + kLeafCellHeaderBytes;
  NS_ASSIGN_OR_RETURN(const std::string_view key,
                      ParseKey(page, page_id, PageType::kLeaf, index, key_offset, key_size));
  NS_ASSIGN_OR_RETURN(const size_t end, ParseLeafValue(page, page_id, index, flags, key_size,
                                                       value_size, key_offset + key_size));
  return CellExtent{.key = key, .end = end};
}

absl::StatusOr<CellExtent> ParseBranchCell(std::span<const uint8_t> page, PageId page_id,
                                           size_t index, size_t offset) {
  if (offset + kBranchCellHeaderBytes > page.size()) {
    return PageCorruption(page_id, PageType::kBranch,
                          absl::StrFormat("slot %d cell header at %d beyond page end %d", index,
                                          offset, page.size()));
  }
  const PageId child = DecodeFixed64(page.data() + offset);
  if (!IsDataPageId(child)) {
    return PageCorruption(page_id, PageType::kBranch,
                          absl::StrFormat("child %d page %d outside [%d, %d)", index + 1, child,
                                          kFirstDataPage, kPageCountMax));
  }
  const size_t key_size = DecodeFixed16(page.data() + offset + 8);
  const size_t key_offset = offset + kBranchCellHeaderBytes;
  NS_ASSIGN_OR_RETURN(const std::string_view key,
                      ParseKey(page, page_id, PageType::kBranch, index, key_offset, key_size));
  return CellExtent{.key = key, .end = key_offset + key_size};
}

// The cells of a node, in slot order: each slot, cell, key order and packing (FF-22..FF-26).
template <typename ParseCell>
absl::Status ParseCells(std::span<const uint8_t> page, PageId page_id, PageType type,
                        size_t slots_begin, size_t count, ParseCell parse_cell) {
  size_t expected_offset = DecodeCellsBegin(DecodeFixed16(page.data() + kCellsBeginOffset));
  std::string_view previous_key;
  for (size_t index = 0; index < count; index++) {
    NS_RETURN_IF_ERROR(CheckSlot(page, page_id, type, slots_begin, count, index, expected_offset));
    NS_ASSIGN_OR_RETURN(const CellExtent cell, parse_cell(page, page_id, index, expected_offset));
    NS_RETURN_IF_ERROR(CheckKeyOrder(page_id, type, index, previous_key, cell.key));
    previous_key = cell.key;
    expected_offset = cell.end;
  }
  if (expected_offset != page.size()) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("cells end at %d, not at page end %d", expected_offset, page.size()));
  }
  return absl::OkStatus();
}

void AssertLeafCell(const LeafCell& cell, uint32_t page_size_bytes) {
  NS_ASSERT(cell.key.size() <= KeySizeMaxBytes(page_size_bytes));
  const bool fits_inline = ValueFitsInline(page_size_bytes, cell.key.size(), cell.value_size_bytes);
  if (cell.overflow_page == kNoPage) {
    NS_ASSERT(cell.value.size() == cell.value_size_bytes);
    NS_ASSERT(fits_inline);
  } else {
    NS_ASSERT(cell.value.empty());
    NS_ASSERT(!fits_inline);
    NS_ASSERT(cell.value_size_bytes <= kValueSizeMaxBytes);
    NS_ASSERT(IsDataPageId(cell.overflow_page));
  }
}

// Writes the node header and returns where the first cell goes. Precondition: page zeroed.
size_t BeginNode(std::span<uint8_t> page, size_t count, size_t slots_begin, size_t cell_bytes) {
  const size_t cells_begin = page.size() - cell_bytes;
  NS_ASSERT(slots_begin + count * kSlotBytes <= cells_begin);
  NS_ASSERT((count == 0) == (cells_begin == page.size()));
  EncodeFixed16(page.data() + kCountOffset, static_cast<uint16_t>(count));
  EncodeFixed16(page.data() + kCellsBeginOffset, EncodeCellsBegin(cells_begin));
  return cells_begin;
}

}  // namespace

size_t LeafCellBytes(const LeafCell& cell) {
  const size_t value_bytes = cell.overflow_page == kNoPage ? cell.value.size() : kOverflowRefBytes;
  return kSlotBytes + kLeafCellHeaderBytes + cell.key.size() + value_bytes;
}

size_t LeafCellMaxBytes(uint32_t page_size_bytes) {
  return kSlotBytes + kLeafCellHeaderBytes + KeySizeMaxBytes(page_size_bytes) + kOverflowRefBytes;
}

bool ValueFitsInline(uint32_t page_size_bytes, size_t key_size_bytes, uint64_t value_size_bytes) {
  const size_t cell_max = LeafCellMaxBytes(page_size_bytes);
  const size_t fixed_bytes = kSlotBytes + kLeafCellHeaderBytes + key_size_bytes;
  return fixed_bytes <= cell_max && value_size_bytes <= cell_max - fixed_bytes;
}

size_t LeafCapacityBytes(uint32_t page_size_bytes) { return page_size_bytes - kNodeHeaderEndBytes; }

size_t BranchCapacityBytes(uint32_t page_size_bytes) {
  return page_size_bytes - kBranchSlotsBeginBytes;
}

size_t BranchCellBytes(size_t key_size_bytes) {
  return kSlotBytes + kBranchCellHeaderBytes + key_size_bytes;
}

void EncodeLeaf(std::span<const LeafCell> cells, const PageHeader& header,
                std::span<uint8_t> page) {
  const auto page_size = static_cast<uint32_t>(page.size());
  NS_ASSERT(IsValidPageSize(page.size()));
  NS_ASSERT(header.type == PageType::kLeaf);
  NS_ASSERT(cells.size() <= LeafEntryCountMax(page_size));
  size_t total_bytes = 0;
  for (size_t index = 0; index < cells.size(); index++) {
    AssertLeafCell(cells[index], page_size);
    NS_ASSERT(index == 0 || cells[index - 1].key < cells[index].key);
    total_bytes += LeafCellBytes(cells[index]);
  }
  NS_ASSERT(total_bytes <= LeafCapacityBytes(page_size));
  std::fill(page.begin(), page.end(), uint8_t{0});
  const size_t cell_bytes = total_bytes - cells.size() * kSlotBytes;
  size_t offset = BeginNode(page, cells.size(), kNodeHeaderEndBytes, cell_bytes);
  for (size_t index = 0; index < cells.size(); index++) {
    const LeafCell& cell = cells[index];
    const bool overflow = cell.overflow_page != kNoPage;
    EncodeFixed16(page.data() + kNodeHeaderEndBytes + index * kSlotBytes,
                  static_cast<uint16_t>(offset));
    page[offset] = overflow ? kLeafFlagOverflow : 0;
    EncodeFixed16(page.data() + offset + 1, static_cast<uint16_t>(cell.key.size()));
    EncodeFixed32(page.data() + offset + 3, cell.value_size_bytes);
    offset += kLeafCellHeaderBytes;
    std::copy(cell.key.begin(), cell.key.end(), page.begin() + offset);
    offset += cell.key.size();
    if (overflow) {
      EncodeFixed64(page.data() + offset, cell.overflow_page);
      offset += kOverflowRefBytes;
    } else {
      std::copy(cell.value.begin(), cell.value.end(), page.begin() + offset);
      offset += cell.value.size();
    }
  }
  NS_ASSERT(offset == page.size());
  SealPage(page, header);
}

void EncodeBranch(std::span<const std::string_view> keys, std::span<const PageId> children,
                  const PageHeader& header, std::span<uint8_t> page) {
  const auto page_size = static_cast<uint32_t>(page.size());
  NS_ASSERT(IsValidPageSize(page.size()));
  NS_ASSERT(header.type == PageType::kBranch);
  NS_ASSERT(keys.size() + 1 == children.size());
  NS_ASSERT(keys.size() <= BranchKeyCountMax(page_size));
  size_t total_bytes = 0;
  for (size_t index = 0; index < keys.size(); index++) {
    NS_ASSERT(keys[index].size() <= KeySizeMaxBytes(page_size));
    NS_ASSERT(index == 0 || keys[index - 1] < keys[index]);
    total_bytes += BranchCellBytes(keys[index].size());
  }
  for (const PageId child : children) NS_ASSERT(IsDataPageId(child));
  NS_ASSERT(total_bytes <= BranchCapacityBytes(page_size));
  std::fill(page.begin(), page.end(), uint8_t{0});
  EncodeFixed64(page.data() + kBranchChild0Offset, children[0]);
  const size_t cell_bytes = total_bytes - keys.size() * kSlotBytes;
  size_t offset = BeginNode(page, keys.size(), kBranchSlotsBeginBytes, cell_bytes);
  for (size_t index = 0; index < keys.size(); index++) {
    EncodeFixed16(page.data() + kBranchSlotsBeginBytes + index * kSlotBytes,
                  static_cast<uint16_t>(offset));
    EncodeFixed64(page.data() + offset, children[index + 1]);
    EncodeFixed16(page.data() + offset + 8, static_cast<uint16_t>(keys[index].size()));
    offset += kBranchCellHeaderBytes;
    std::copy(keys[index].begin(), keys[index].end(), page.begin() + offset);
    offset += keys[index].size();
  }
  NS_ASSERT(offset == page.size());
  SealPage(page, header);
}

absl::StatusOr<LeafView> LeafView::Parse(std::span<const uint8_t> page, PageId page_id) {
  NS_RETURN_IF_ERROR(CheckPage(page, page_id, PageType::kLeaf).status());
  NS_ASSIGN_OR_RETURN(const size_t count,
                      ParseNodeHeader(page, page_id, PageType::kLeaf, kNodeHeaderEndBytes,
                                      LeafEntryCountMax(page.size())));
  NS_RETURN_IF_ERROR(
      ParseCells(page, page_id, PageType::kLeaf, kNodeHeaderEndBytes, count, ParseLeafCell));
  return LeafView(page, count);
}

size_t LeafView::cell_offset(size_t index) const {
  NS_ASSERT(index < entry_count_);
  return DecodeFixed16(page_.data() + kNodeHeaderEndBytes + index * kSlotBytes);
}

std::string_view LeafView::key(size_t index) const {
  const size_t offset = cell_offset(index);
  return BytesView(page_, offset + kLeafCellHeaderBytes, DecodeFixed16(page_.data() + offset + 1));
}

bool LeafView::is_overflow(size_t index) const {
  return (page_[cell_offset(index)] & kLeafFlagOverflow) != 0;
}

std::string_view LeafView::inline_value(size_t index) const {
  NS_ASSERT(!is_overflow(index));
  const size_t offset = cell_offset(index);
  const size_t key_size = DecodeFixed16(page_.data() + offset + 1);
  return BytesView(page_, offset + kLeafCellHeaderBytes + key_size, value_size_bytes(index));
}

PageId LeafView::overflow_page(size_t index) const {
  NS_ASSERT(is_overflow(index));
  const size_t offset = cell_offset(index);
  const size_t key_size = DecodeFixed16(page_.data() + offset + 1);
  return DecodeFixed64(page_.data() + offset + kLeafCellHeaderBytes + key_size);
}

uint32_t LeafView::value_size_bytes(size_t index) const {
  return DecodeFixed32(page_.data() + cell_offset(index) + 3);
}

LeafCell LeafView::cell(size_t index) const {
  LeafCell result{.key = key(index), .value_size_bytes = value_size_bytes(index)};
  if (is_overflow(index)) {
    result.overflow_page = overflow_page(index);
  } else {
    result.value = inline_value(index);
  }
  return result;
}

size_t LeafView::lower_bound(std::string_view target) const {
  size_t low = 0;
  size_t high = entry_count_;
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    if (key(middle) < target) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

absl::StatusOr<BranchView> BranchView::Parse(std::span<const uint8_t> page, PageId page_id) {
  NS_RETURN_IF_ERROR(CheckPage(page, page_id, PageType::kBranch).status());
  const PageId child0 = DecodeFixed64(page.data() + kBranchChild0Offset);
  if (!IsDataPageId(child0)) {
    return PageCorruption(
        page_id, PageType::kBranch,
        absl::StrFormat("child 0 page %d outside [%d, %d)", child0, kFirstDataPage, kPageCountMax));
  }
  NS_ASSIGN_OR_RETURN(const size_t count,
                      ParseNodeHeader(page, page_id, PageType::kBranch, kBranchSlotsBeginBytes,
                                      BranchKeyCountMax(page.size())));
  NS_RETURN_IF_ERROR(
      ParseCells(page, page_id, PageType::kBranch, kBranchSlotsBeginBytes, count, ParseBranchCell));
  return BranchView(page, count);
}

size_t BranchView::cell_offset(size_t index) const {
  NS_ASSERT(index < key_count_);
  return DecodeFixed16(page_.data() + kBranchSlotsBeginBytes + index * kSlotBytes);
}

std::string_view BranchView::key(size_t index) const {
  const size_t offset = cell_offset(index);
  return BytesView(page_, offset + kBranchCellHeaderBytes,
                   DecodeFixed16(page_.data() + offset + 8));
}

PageId BranchView::child(size_t index) const {
  NS_ASSERT(index <= key_count_);
  if (index == 0) return DecodeFixed64(page_.data() + kBranchChild0Offset);
  return DecodeFixed64(page_.data() + cell_offset(index - 1));
}

size_t BranchView::child_index(std::string_view target) const {
  size_t low = 0;
  size_t high = key_count_;
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    if (key(middle) <= target) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

}  // namespace northstar::engine
