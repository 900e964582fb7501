// The meta page: the root of everything. Pages 0 (A) and 1 (B) alternate: commit t writes the
// meta of slot t % 2, so the other slot always holds the previous durable commit.
//
// Body layout (little-endian) after the page header:
//   32 u32  page_size_bytes     power of two, kPageSizeMinBytes..kPageSizeMaxBytes
//   36 u32  tree_height         0 for an empty tree, 1 for a root leaf
//   40 u64  root                root page of the B+tree, kNoPage when empty
//   48 u64  freelist_head       first free-list page, kNoPage when there is none
//   56 u64  page_count          pages in the data file (the allocation high-water mark)
//   64 u64  entry_count         keys in the tree
//   72 u64  log_position        commit-log position of the last checkpoint (0 until the log)
//   80 u64  options             option bits (kMetaOption*)
//   88 ..   zero
// The meta's txn id is the page header's txn_id. A meta page is a whole page of page_size_bytes
// and its checksum covers the whole page; to find page size on open, read the first
// kPageSizeMinBytes, take page_size_bytes, then read and check the whole page.
// spec/file_format.md (FF-10..FF-18) is the prose version, with how open picks a meta.
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "engine/format/types.h"

namespace northstar::engine {

inline constexpr uint64_t kMetaOptionLogDurability = 1;  // Set when the commit log is in use.

struct Meta {
  TxnId txn_id = 0;
  uint32_t page_size_bytes = kPageSizeDefaultBytes;
  uint32_t tree_height = 0;
  PageId root = kNoPage;
  PageId freelist_head = kNoPage;
  uint64_t page_count = kFirstDataPage;
  uint64_t entry_count = 0;
  uint64_t log_position = 0;
  uint64_t options = 0;

  friend bool operator==(const Meta&, const Meta&) = default;
};

// Encodes `meta` into `page` (size == meta.page_size_bytes) as meta page `slot` (kMetaPageA or
// kMetaPageB), zero-filled and sealed. Asserts the fields are in range.
void EncodeMeta(const Meta& meta, PageId slot, std::span<uint8_t> page);

// Reads the page_size_bytes field of a meta page from its first bytes (at least 36), without
// trusting it: the caller reads the whole page and calls DecodeMeta, which checks everything.
[[nodiscard]] uint32_t PeekMetaPageSize(std::span<const uint8_t> first_bytes);

// Checks the page (CheckPage with kMeta and `slot`) and every field: page size valid and equal
// to page.size(), root/freelist_head either kNoPage or in [kFirstDataPage, page_count),
// page_count in [kFirstDataPage, kPageCountMax], tree_height 0 iff root is kNoPage and at most
// kTreeHeightMax, entry_count 0 iff the tree is empty, unknown option bits zero, padding zero.
[[nodiscard]] absl::StatusOr<Meta> DecodeMeta(std::span<const uint8_t> page, PageId slot);

// No B+tree is taller than this (with 4 KiB pages and 1 KiB keys, fanout >= 3: 3^40 entries).
inline constexpr uint32_t kTreeHeightMax = 40;

}  // namespace northstar::engine
