// A structure-aware mutator for B+tree node pages (engine/format/node.h), used as node_fuzz's
// LLVMFuzzerCustomMutator.
//
// Random bytes almost never pass a page's CRC, and libFuzzer alone spends its time on the
// checksum check. This mutator knows the node layout (header, slot array, packed cells) and
// applies one strategy per call: libFuzzer's own mutation, or bit flip, byte flip, truncate,
// extend, corrupt checksum, corrupt magic, corrupt type/version/reserved, corrupt entry offsets
// (slots, count, cells_begin), corrupt key and value lengths (and flags and child ids), swap
// bytes, swap entries, duplicate an entry, drop an entry, zero a range, fill a range with 0xFF.
// After a structural mutation it usually re-seals the checksum, so that the mutant gets past the
// CRC and exercises the structure checks behind it. Pages of other types (overflow, free list,
// meta) get the type-agnostic strategies.
//
// Deterministic: the same input, max_size and seed give the same mutant.
#pragma once

#include <cstddef>
#include <cstdint>

namespace northstar::fuzz {

enum class NodeMutation {
  kLibFuzzer,
  kBitFlip,
  kByteFlip,
  kTruncate,
  kExtend,
  kCorruptChecksum,
  kCorruptMagic,
  kCorruptTypeOrVersion,
  kCorruptEntryOffsets,
  kCorruptLengths,
  kSwapBytes,
  kSwapEntries,
  kDuplicateEntry,
  kDropEntry,
  kZeroRange,
  kFillRange,
};
inline constexpr int kNodeMutationCount = static_cast<int>(NodeMutation::kFillRange) + 1;

[[nodiscard]] const char* NodeMutationName(NodeMutation mutation);

// Mutates data[0, size) in place into at most max_size bytes (data has room for max_size) with
// a strategy drawn from `seed`; returns the new size.
[[nodiscard]] size_t MutateNodePage(uint8_t* data, size_t size, size_t max_size, uint32_t seed);

// The same with the strategy given; `seed` draws positions and values.
[[nodiscard]] size_t ApplyNodeMutation(NodeMutation mutation, uint8_t* data, size_t size,
                                       size_t max_size, uint32_t seed);

// Rewrites the checksum field of a page of at least 32 bytes (engine/format/page.h); smaller
// inputs are left alone. Shared with the other page targets' mutators.
void ResealPage(uint8_t* data, size_t size);

}  // namespace northstar::fuzz
