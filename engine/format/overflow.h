// Overflow pages (values too large for a leaf) and free-list pages. Codecs only.
//
// Overflow body after the page header:
//   32 u64  next              next page of the chain, kNoPage on the last
//   40 u32  chunk_size        bytes of value in this page, 1..OverflowCapacityBytes; exactly
//                             OverflowCapacityBytes on every page but the last, so that a chain
//                             for a value of n bytes has OverflowPagesFor(n) pages
//   44 u32  reserved          0
//   48 ..   chunk bytes, then zeros
//
// Free-list body after the page header:
//   32 u64  next              next free-list page, kNoPage on the last
//   40 u32  count             page ids in this page, 0..FreeListCapacity
//   44 u32  reserved          0
//   48 u64  page_id[count]    free pages, each in [kFirstDataPage, kPageCountMax)
//   ..      zero
// In both, `next` is kNoPage or in [kFirstDataPage, kPageCountMax), and never the page's own id.
// Parse*() check all of it and that unused bytes are zero; chain walkers still bound the chain's
// length (a cycle of two or more pages is not visible in one page). spec/file_format.md
// (FF-40..FF-47) is the prose version.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/format/page.h"
#include "engine/format/types.h"

namespace northstar::engine {

inline constexpr size_t kChainHeaderEndBytes = 48;

[[nodiscard]] constexpr size_t OverflowCapacityBytes(uint32_t page_size_bytes) {
  return page_size_bytes - kChainHeaderEndBytes;
}
[[nodiscard]] constexpr size_t FreeListCapacity(uint32_t page_size_bytes) {
  return (page_size_bytes - kChainHeaderEndBytes) / 8;
}
// Pages an overflow chain needs for a value of this size (>= 1 byte).
[[nodiscard]] constexpr uint64_t OverflowPagesFor(uint32_t page_size_bytes,
                                                  uint64_t value_size_bytes) {
  return (value_size_bytes + OverflowCapacityBytes(page_size_bytes) - 1) /
         OverflowCapacityBytes(page_size_bytes);
}

// chunk: 1..OverflowCapacityBytes bytes, exactly OverflowCapacityBytes when next != kNoPage.
void EncodeOverflow(std::string_view chunk, PageId next, const PageHeader& header,
                    std::span<uint8_t> page);

struct OverflowView {
  PageId next = kNoPage;
  std::string_view chunk;  // Points into the page.
};
[[nodiscard]] absl::StatusOr<OverflowView> ParseOverflow(std::span<const uint8_t> page,
                                                         PageId page_id);

// ids.size() <= FreeListCapacity.
void EncodeFreeList(std::span<const PageId> ids, PageId next, const PageHeader& header,
                    std::span<uint8_t> page);

struct FreeListView {
  PageId next = kNoPage;
  std::span<const uint8_t> ids_bytes;  // count * 8 bytes, little-endian page ids.
  [[nodiscard]] size_t size() const { return ids_bytes.size() / 8; }
  [[nodiscard]] PageId id(size_t index) const;
};
[[nodiscard]] absl::StatusOr<FreeListView> ParseFreeList(std::span<const uint8_t> page,
                                                         PageId page_id);

}  // namespace northstar::engine
