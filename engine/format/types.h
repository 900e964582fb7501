// Vocabulary shared by the engine's on-disk format and everything above it.
#pragma once

#include <cstdint>

namespace northstar::engine {

using PageId = uint64_t;
using TxnId = uint64_t;

// Pages 0 and 1 are the two meta pages, so no tree, overflow or free-list page ever has id 0:
// kNoPage can mean "none" everywhere a page id is stored.
inline constexpr PageId kNoPage = 0;
inline constexpr PageId kMetaPageA = 0;
inline constexpr PageId kMetaPageB = 1;
inline constexpr PageId kFirstDataPage = 2;

enum class PageType : uint8_t {
  kMeta = 1,
  kLeaf = 2,
  kBranch = 3,
  kOverflow = 4,
  kFreeList = 5,
};

[[nodiscard]] const char* PageTypeName(PageType type);

inline constexpr uint32_t kPageSizeMinBytes = 4096;
inline constexpr uint32_t kPageSizeMaxBytes = 65536;
inline constexpr uint32_t kPageSizeDefaultBytes = 16384;
// Databases never exceed this many pages (2^40 pages of 64 KiB = 64 PiB): a bound on every page
// id read from disk.
inline constexpr uint64_t kPageCountMax = uint64_t{1} << 40;

inline constexpr uint32_t kKeySizeLimitBytes = 4096;
inline constexpr uint64_t kValueSizeMaxBytes = uint64_t{16} << 20;

[[nodiscard]] constexpr bool IsValidPageSize(uint64_t page_size_bytes) {
  return page_size_bytes >= kPageSizeMinBytes && page_size_bytes <= kPageSizeMaxBytes &&
         (page_size_bytes & (page_size_bytes - 1)) == 0;
}

// The largest key a database with this page size accepts: 4 KiB, and at most a quarter of a
// page, so that every node split leaves at least two entries on each side.
[[nodiscard]] constexpr uint32_t KeySizeMaxBytes(uint32_t page_size_bytes) {
  return page_size_bytes / 4 < kKeySizeLimitBytes ? page_size_bytes / 4 : kKeySizeLimitBytes;
}

}  // namespace northstar::engine
