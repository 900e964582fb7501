#include "fuzz/node_mutator.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/format/node.h"
#include "engine/format/page.h"
#include "engine/format/types.h"
#include "fuzz/fuzz_target.h"
#include "util/coding.h"
#include "util/random.h"

namespace northstar::fuzz {
namespace {

using engine::kBranchCellHeaderBytes;
using engine::kBranchSlotsBeginBytes;
using engine::kLeafCellHeaderBytes;
using engine::kNodeHeaderEndBytes;
using engine::kOverflowRefBytes;
using engine::kSlotBytes;

// Page header and node header fields (engine/format/page.h, node.h).
constexpr size_t kMagicOffset = 0;
constexpr size_t kVersionOffset = 4;
constexpr size_t kTypeOffset = 6;
constexpr size_t kReserved8Offset = 7;
constexpr size_t kPageIdOffset = 8;
constexpr size_t kChecksumOffset = 24;
constexpr size_t kReserved32Offset = 28;
constexpr size_t kCountOffset = 32;
constexpr size_t kCellsBeginOffset = 34;
constexpr size_t kNodeReservedOffset = 36;
constexpr size_t kBranchChild0Offset = 40;
// Chain pages (overflow, free list): next, then chunk_size or count.
constexpr size_t kChainNextOffset = 32;
constexpr size_t kChainSizeOffset = 40;
static_assert(kCountOffset == engine::kPageHeaderBytes);

constexpr uint8_t kLeafType = static_cast<uint8_t>(engine::PageType::kLeaf);
constexpr uint8_t kBranchType = static_cast<uint8_t>(engine::PageType::kBranch);

// Out of 16: how often a mutant is re-sealed after each kind of mutation.
constexpr uint64_t kResealStructural = 14;
constexpr uint64_t kResealByteLevel = 8;

// The cells of a node as byte strings, read tolerantly: as far as slots and lengths stay inside
// the page.
struct RawNode {
  bool branch = false;
  size_t slots_begin = 0;
  std::vector<std::string> cells;
};

class Mutator {
 public:
  Mutator(uint8_t* data, size_t size, size_t max_size, uint32_t seed)
      : data_(data), size_(size), max_size_(max_size), rng_(seed) {}

  size_t apply(NodeMutation mutation);

 private:
  [[nodiscard]] bool is_node() const {
    return size_ >= kBranchSlotsBeginBytes &&
           (data_[kTypeOffset] == kLeafType || data_[kTypeOffset] == kBranchType);
  }
  [[nodiscard]] bool is_branch() const { return data_[kTypeOffset] == kBranchType; }
  [[nodiscard]] size_t slots_begin() const {
    return is_branch() ? kBranchSlotsBeginBytes : kNodeHeaderEndBytes;
  }
  [[nodiscard]] size_t slot_count() const;
  [[nodiscard]] size_t offset();
  [[nodiscard]] size_t range_length(size_t begin);
  void maybe_reseal(uint64_t chance_of_16) {
    if (rng_.Uniform(16) < chance_of_16) ResealPage(data_, size_);
  }

  size_t flip_bits();
  size_t flip_bytes();
  size_t truncate();
  size_t extend();
  size_t corrupt_checksum();
  size_t corrupt_magic();
  size_t corrupt_type_or_version();
  size_t corrupt_entry_offsets();
  size_t corrupt_lengths();
  size_t corrupt_leaf_cell(size_t cell);
  size_t corrupt_branch_cell(size_t cell);
  size_t corrupt_chain_header();
  size_t swap_bytes();
  size_t swap_entries();
  size_t duplicate_entry();
  size_t drop_entry();
  size_t fill_range(uint8_t fill);

  [[nodiscard]] uint16_t interesting_offset(uint16_t current);
  [[nodiscard]] uint64_t interesting_page_id(uint64_t current);
  [[nodiscard]] std::optional<size_t> random_cell_offset();
  [[nodiscard]] std::optional<RawNode> read_node() const;
  bool write_node(const RawNode& node);

  uint8_t* data_;
  size_t size_;
  const size_t max_size_;
  Rng rng_;
};

size_t Mutator::slot_count() const {
  const size_t count = DecodeFixed16(data_ + kCountOffset);
  const size_t fitting = (size_ - slots_begin()) / kSlotBytes;
  return std::min(count, fitting);
}

// A byte offset: half the time in the page's hot front (headers and slots), else anywhere.
size_t Mutator::offset() {
  NS_ASSERT(size_ > 0);
  if (rng_.OneIn(2)) {
    const size_t hot_end = is_node() ? slots_begin() + slot_count() * kSlotBytes + 16 : 64;
    return rng_.Uniform(std::min(size_, hot_end));
  }
  return rng_.Uniform(size_);
}

size_t Mutator::range_length(size_t begin) {
  NS_ASSERT(begin < size_);
  const size_t left = size_ - begin;
  return 1 + rng_.Uniform(rng_.OneIn(2) ? std::min<size_t>(left, 16) : left);
}

size_t Mutator::flip_bits() {
  const uint64_t flips = 1 + rng_.Uniform(4);
  for (uint64_t flip = 0; flip < flips; flip++) data_[offset()] ^= 1 << rng_.Uniform(8);
  maybe_reseal(kResealByteLevel);
  return size_;
}

size_t Mutator::flip_bytes() {
  const uint64_t flips = 1 + rng_.Uniform(2);
  for (uint64_t flip = 0; flip < flips; flip++) data_[offset()] ^= 0xFF;
  maybe_reseal(kResealByteLevel);
  return size_;
}

size_t Mutator::truncate() {
  if (engine::IsValidPageSize(size_) && size_ > engine::kPageSizeMinBytes && rng_.OneIn(2)) {
    size_ /= 2;  // A smaller valid page size: the same prefix, cells now past the end.
  } else if (rng_.OneIn(4)) {
    static constexpr std::array<size_t, 4> kHeaderEnds = {0, 32, 40, 48};
    size_ = std::min(size_, kHeaderEnds[rng_.Uniform(kHeaderEnds.size())]);
  } else {
    size_ = rng_.Uniform(size_);
  }
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::extend() {
  if (size_ >= max_size_) return size_;
  size_t new_size = size_ + 1 + rng_.Uniform(std::min<size_t>(max_size_ - size_, 64));
  if (size_ > 0 && size_ * 2 <= max_size_ && rng_.OneIn(2)) new_size = size_ * 2;
  const bool random_fill = rng_.OneIn(4);
  for (size_t index = size_; index < new_size; index++) {
    data_[index] = random_fill ? static_cast<uint8_t>(rng_.Next()) : 0;
  }
  size_ = new_size;
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::corrupt_checksum() {
  if (size_ < kReserved32Offset) return flip_bytes();
  data_[kChecksumOffset + rng_.Uniform(4)] ^= static_cast<uint8_t>(1 + rng_.Uniform(255));
  return size_;
}

size_t Mutator::corrupt_magic() {
  if (size_ < kVersionOffset) return flip_bytes();
  if (rng_.OneIn(4)) {
    EncodeFixed32(data_ + kMagicOffset, 0x524C534E);  // The commit log's "NSLR".
  } else {
    data_[kMagicOffset + rng_.Uniform(4)] ^= static_cast<uint8_t>(1 + rng_.Uniform(255));
  }
  maybe_reseal(kResealByteLevel);
  return size_;
}

size_t Mutator::corrupt_type_or_version() {
  if (size_ < kCountOffset) return flip_bytes();
  static constexpr std::array<uint8_t, 8> kTypes = {0, 1, 2, 3, 4, 5, 6, 0xFF};
  static constexpr std::array<uint16_t, 4> kVersions = {0, 2, 0x0100, 0xFFFF};
  switch (rng_.Uniform(5)) {
    case 0:
    case 1:
      data_[kTypeOffset] = kTypes[rng_.Uniform(kTypes.size())];
      break;
    case 2:
      EncodeFixed16(data_ + kVersionOffset, kVersions[rng_.Uniform(kVersions.size())]);
      break;
    case 3:
      data_[rng_.OneIn(2) ? kReserved8Offset : kReserved32Offset + rng_.Uniform(4)] ^= 1;
      break;
    default:
      if (size_ >= kNodeHeaderEndBytes) data_[kNodeReservedOffset + rng_.Uniform(4)] ^= 0x80;
      break;
  }
  maybe_reseal(kResealStructural);
  return size_;
}

uint16_t Mutator::interesting_offset(uint16_t current) {
  const size_t slots_end = slots_begin() + slot_count() * kSlotBytes;
  const size_t cells_begin = DecodeFixed16(data_ + kCellsBeginOffset);
  const size_t above = current + 1 + rng_.Uniform(8);
  const size_t below = current - 1 - rng_.Uniform(8);
  const std::array<size_t, 12> candidates = {
      0,         1,     slots_end - 1, slots_end, slots_end + 1, cells_begin,
      size_ - 1, size_, size_ + 1,     0xFFFF,    above,         below};
  return static_cast<uint16_t>(candidates[rng_.Uniform(candidates.size())]);
}

size_t Mutator::corrupt_entry_offsets() {
  if (!is_node()) return corrupt_chain_header();
  const uint64_t target = rng_.Uniform(4);
  if (target == 0) {
    const uint16_t count = DecodeFixed16(data_ + kCountOffset);
    const std::array<uint16_t, 6> counts = {
        0, 1, static_cast<uint16_t>(count + 1), static_cast<uint16_t>(count - 1), 0x7FFF, 0xFFFF};
    EncodeFixed16(data_ + kCountOffset, counts[rng_.Uniform(counts.size())]);
  } else if (target == 1 || slot_count() == 0) {
    const uint16_t current = DecodeFixed16(data_ + kCellsBeginOffset);
    EncodeFixed16(data_ + kCellsBeginOffset, interesting_offset(current));
  } else {
    const size_t slot = slots_begin() + rng_.Uniform(slot_count()) * kSlotBytes;
    const uint16_t current = DecodeFixed16(data_ + slot);
    uint16_t value = interesting_offset(current);
    if (rng_.OneIn(3)) {  // Another slot's offset: two entries on one cell.
      value = DecodeFixed16(data_ + slots_begin() + rng_.Uniform(slot_count()) * kSlotBytes);
    }
    EncodeFixed16(data_ + slot, value);
  }
  maybe_reseal(kResealStructural);
  return size_;
}

std::optional<size_t> Mutator::random_cell_offset() {
  if (!is_node() || slot_count() == 0) return std::nullopt;
  const size_t slot = slots_begin() + rng_.Uniform(slot_count()) * kSlotBytes;
  const size_t cell = DecodeFixed16(data_ + slot);
  const size_t header_bytes = is_branch() ? kBranchCellHeaderBytes : kLeafCellHeaderBytes;
  if (cell + header_bytes > size_) return std::nullopt;
  return cell;
}

size_t Mutator::corrupt_leaf_cell(size_t cell) {
  const auto page_size = static_cast<uint32_t>(size_);
  const size_t key_size = DecodeFixed16(data_ + cell + 1);
  const uint32_t value_size = DecodeFixed32(data_ + cell + 3);
  const size_t key_max = engine::KeySizeMaxBytes(page_size);
  const size_t fixed_bytes = kSlotBytes + kLeafCellHeaderBytes + key_size;
  const size_t cell_max = engine::LeafCellMaxBytes(page_size);
  const size_t inline_max = cell_max > fixed_bytes ? cell_max - fixed_bytes : 0;
  switch (rng_.Uniform(3)) {
    case 0: {
      const std::array<size_t, 7> sizes = {0,           key_size + 1, key_size - 1, key_max,
                                           key_max + 1, 0xFFFF,       size_};
      EncodeFixed16(data_ + cell + 1, static_cast<uint16_t>(sizes[rng_.Uniform(sizes.size())]));
      break;
    }
    case 1: {
      const uint64_t value = value_size;
      const uint64_t max = engine::kValueSizeMaxBytes;
      const std::array<uint64_t, 9> sizes = {0,   value + 1, value - 1, inline_max, inline_max + 1,
                                             max, max + 1,   size_,     0xFFFFFFFF};
      EncodeFixed32(data_ + cell + 3, static_cast<uint32_t>(sizes[rng_.Uniform(sizes.size())]));
      break;
    }
    default:
      data_[cell] = rng_.OneIn(2) ? data_[cell] ^ engine::kLeafFlagOverflow
                                  : static_cast<uint8_t>(1 << rng_.Uniform(8));
      break;
  }
  return size_;
}

uint64_t Mutator::interesting_page_id(uint64_t current) {
  const uint64_t own_id = DecodeFixed64(data_ + kPageIdOffset);
  const uint64_t max = engine::kPageCountMax;
  const std::array<uint64_t, 10> ids = {0,           1,       2,   own_id,     current + 1,
                                        current - 1, max - 1, max, UINT64_MAX, 1000};
  return ids[rng_.Uniform(ids.size())];
}

size_t Mutator::corrupt_branch_cell(size_t cell) {
  const size_t key_size = DecodeFixed16(data_ + cell + 8);
  const size_t key_max = engine::KeySizeMaxBytes(static_cast<uint32_t>(size_));
  switch (rng_.Uniform(3)) {
    case 0: {
      const std::array<size_t, 6> sizes = {0,       key_size + 1, key_size - 1,
                                           key_max, key_max + 1,  0xFFFF};
      EncodeFixed16(data_ + cell + 8, static_cast<uint16_t>(sizes[rng_.Uniform(sizes.size())]));
      break;
    }
    case 1:
      EncodeFixed64(data_ + cell, interesting_page_id(DecodeFixed64(data_ + cell)));
      break;
    default:
      EncodeFixed64(data_ + kBranchChild0Offset,
                    interesting_page_id(DecodeFixed64(data_ + kBranchChild0Offset)));
      break;
  }
  return size_;
}

// Overflow and free-list pages: next, chunk_size / count.
size_t Mutator::corrupt_chain_header() {
  if (size_ < kChainSizeOffset + 4) return flip_bytes();
  if (rng_.OneIn(2)) {
    EncodeFixed64(data_ + kChainNextOffset,
                  interesting_page_id(DecodeFixed64(data_ + kChainNextOffset)));
  } else {
    const uint32_t current = DecodeFixed32(data_ + kChainSizeOffset);
    const std::array<uint64_t, 7> sizes = {0,          current + 1ULL, current - 1ULL,
                                           size_ - 48, size_ - 47,     (size_ - 48) / 8 + 1,
                                           0xFFFFFFFF};
    EncodeFixed32(data_ + kChainSizeOffset,
                  static_cast<uint32_t>(sizes[rng_.Uniform(sizes.size())]));
  }
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::corrupt_lengths() {
  const std::optional<size_t> cell = random_cell_offset();
  if (!cell.has_value()) return corrupt_chain_header();
  if (is_branch()) {
    corrupt_branch_cell(*cell);
  } else {
    corrupt_leaf_cell(*cell);
  }
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::swap_bytes() {
  if (size_ < 2) return flip_bytes();
  const size_t first = offset();
  const size_t second = offset();
  const size_t length = 1 + rng_.Uniform(8);
  for (size_t index = 0; index < length && first + index < size_ && second + index < size_;
       index++) {
    std::swap(data_[first + index], data_[second + index]);
  }
  maybe_reseal(kResealByteLevel);
  return size_;
}

std::optional<RawNode> Mutator::read_node() const {
  if (!is_node()) return std::nullopt;
  RawNode node{.branch = is_branch(), .slots_begin = slots_begin()};
  for (size_t index = 0; index < slot_count(); index++) {
    const size_t cell = DecodeFixed16(data_ + node.slots_begin + index * kSlotBytes);
    const size_t header_bytes = node.branch ? kBranchCellHeaderBytes : kLeafCellHeaderBytes;
    if (cell + header_bytes > size_) break;
    size_t length = 0;
    if (node.branch) {
      length = kBranchCellHeaderBytes + DecodeFixed16(data_ + cell + 8);
    } else {
      const bool overflow = (data_[cell] & engine::kLeafFlagOverflow) != 0;
      length = kLeafCellHeaderBytes + DecodeFixed16(data_ + cell + 1) +
               (overflow ? kOverflowRefBytes : DecodeFixed32(data_ + cell + 3));
    }
    if (length > size_ - cell) break;
    node.cells.emplace_back(reinterpret_cast<const char*>(data_ + cell), length);
  }
  return node;
}

// Lays the cells out as an encoder would (packed at the page end, slots in order), keeping the
// page header and a branch's child 0. False, with the page untouched, if they do not fit.
bool Mutator::write_node(const RawNode& node) {
  size_t cell_bytes = 0;
  for (const std::string& cell : node.cells) cell_bytes += cell.size();
  const size_t slots_end = node.slots_begin + node.cells.size() * kSlotBytes;
  if (slots_end > size_ || cell_bytes > size_ - slots_end) return false;
  std::fill(data_ + kCountOffset, data_ + kBranchChild0Offset, 0);
  std::fill(data_ + node.slots_begin, data_ + size_, 0);
  size_t position = size_ - cell_bytes;
  EncodeFixed16(data_ + kCountOffset, static_cast<uint16_t>(node.cells.size()));
  EncodeFixed16(data_ + kCellsBeginOffset, static_cast<uint16_t>(position & 0xFFFF));
  for (size_t index = 0; index < node.cells.size(); index++) {
    EncodeFixed16(data_ + node.slots_begin + index * kSlotBytes, static_cast<uint16_t>(position));
    std::copy(node.cells[index].begin(), node.cells[index].end(), data_ + position);
    position += node.cells[index].size();
  }
  return true;
}

size_t Mutator::swap_entries() {
  std::optional<RawNode> node = read_node();
  if (!node.has_value() || node->cells.size() < 2) return swap_bytes();
  const size_t first = rng_.Uniform(node->cells.size());
  size_t second = rng_.Uniform(node->cells.size() - 1);
  if (second >= first) second++;
  if (rng_.OneIn(2)) {  // Swap the slots only: cells stay, the order of offsets breaks.
    uint8_t* slots = data_ + node->slots_begin;
    std::swap_ranges(slots + first * kSlotBytes, slots + first * kSlotBytes + kSlotBytes,
                     slots + second * kSlotBytes);
  } else {  // Swap the cells: a well-formed page with two keys out of order.
    std::swap(node->cells[first], node->cells[second]);
    write_node(*node);
  }
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::duplicate_entry() {
  std::optional<RawNode> node = read_node();
  if (!node.has_value() || node->cells.empty()) return swap_bytes();
  const size_t source = rng_.Uniform(node->cells.size());
  RawNode grown = *node;
  grown.cells.insert(grown.cells.begin() + static_cast<ptrdiff_t>(source) + 1, node->cells[source]);
  if (!write_node(grown)) {  // No room for one more: overwrite a neighbour instead.
    const size_t target = rng_.Uniform(node->cells.size());
    node->cells[target] = node->cells[source];
    write_node(*node);
  }
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::drop_entry() {
  std::optional<RawNode> node = read_node();
  if (!node.has_value() || node->cells.empty()) return fill_range(0);
  node->cells.erase(node->cells.begin() + static_cast<ptrdiff_t>(rng_.Uniform(node->cells.size())));
  write_node(*node);
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::fill_range(uint8_t fill) {
  if (size_ == 0) return extend();
  const size_t begin = offset();
  const size_t length = range_length(begin);
  std::fill(data_ + begin, data_ + begin + length, fill);
  maybe_reseal(kResealStructural);
  return size_;
}

size_t Mutator::apply(NodeMutation mutation) {
  if (size_ == 0 && mutation != NodeMutation::kLibFuzzer) return extend();
  switch (mutation) {
    case NodeMutation::kLibFuzzer:
      size_ = LLVMFuzzerMutate(data_, size_, max_size_);
      maybe_reseal(kResealByteLevel);
      return size_;
    case NodeMutation::kBitFlip:
      return flip_bits();
    case NodeMutation::kByteFlip:
      return flip_bytes();
    case NodeMutation::kTruncate:
      return truncate();
    case NodeMutation::kExtend:
      return extend();
    case NodeMutation::kCorruptChecksum:
      return corrupt_checksum();
    case NodeMutation::kCorruptMagic:
      return corrupt_magic();
    case NodeMutation::kCorruptTypeOrVersion:
      return corrupt_type_or_version();
    case NodeMutation::kCorruptEntryOffsets:
      return corrupt_entry_offsets();
    case NodeMutation::kCorruptLengths:
      return corrupt_lengths();
    case NodeMutation::kSwapBytes:
      return swap_bytes();
    case NodeMutation::kSwapEntries:
      return swap_entries();
    case NodeMutation::kDuplicateEntry:
      return duplicate_entry();
    case NodeMutation::kDropEntry:
      return drop_entry();
    case NodeMutation::kZeroRange:
      return fill_range(0);
    case NodeMutation::kFillRange:
      return fill_range(0xFF);
  }
  NS_ASSERT_MSG(false, "unknown node mutation");
  return size_;
}

}  // namespace

const char* NodeMutationName(NodeMutation mutation) {
  switch (mutation) {
    case NodeMutation::kLibFuzzer:
      return "libfuzzer";
    case NodeMutation::kBitFlip:
      return "bit-flip";
    case NodeMutation::kByteFlip:
      return "byte-flip";
    case NodeMutation::kTruncate:
      return "truncate";
    case NodeMutation::kExtend:
      return "extend";
    case NodeMutation::kCorruptChecksum:
      return "corrupt-checksum";
    case NodeMutation::kCorruptMagic:
      return "corrupt-magic";
    case NodeMutation::kCorruptTypeOrVersion:
      return "corrupt-type-or-version";
    case NodeMutation::kCorruptEntryOffsets:
      return "corrupt-entry-offsets";
    case NodeMutation::kCorruptLengths:
      return "corrupt-lengths";
    case NodeMutation::kSwapBytes:
      return "swap-bytes";
    case NodeMutation::kSwapEntries:
      return "swap-entries";
    case NodeMutation::kDuplicateEntry:
      return "duplicate-entry";
    case NodeMutation::kDropEntry:
      return "drop-entry";
    case NodeMutation::kZeroRange:
      return "zero-range";
    case NodeMutation::kFillRange:
      return "fill-range";
  }
  return "unknown";
}

size_t ApplyNodeMutation(NodeMutation mutation, uint8_t* data, size_t size, size_t max_size,
                         uint32_t seed) {
  NS_ASSERT(size <= max_size);
  const size_t new_size = Mutator(data, size, max_size, seed).apply(mutation);
  NS_ASSERT(new_size <= max_size);
  return new_size;
}

size_t MutateNodePage(uint8_t* data, size_t size, size_t max_size, uint32_t seed) {
  Rng rng(seed);
  // libFuzzer's own mutations a quarter of the time; the structural strategies share the rest.
  const auto mutation = rng.OneIn(4)
                            ? NodeMutation::kLibFuzzer
                            : static_cast<NodeMutation>(1 + rng.Uniform(kNodeMutationCount - 1));
  return ApplyNodeMutation(mutation, data, size, max_size, static_cast<uint32_t>(rng.Next()));
}

void ResealPage(uint8_t* data, size_t size) {
  if (size < engine::kPageHeaderBytes) return;
  EncodeFixed32(data + kChecksumOffset, engine::PageChecksum(std::span<const uint8_t>(data, size)));
}

}  // namespace northstar::fuzz
