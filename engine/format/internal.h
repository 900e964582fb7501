// Helpers shared by the format codecs' .cc files. Not part of the engine's API: include only from
// engine/format/*.cc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "engine/format/page.h"
#include "engine/format/types.h"

namespace northstar::engine::format_internal {

// A page id that may name a data page (tree, overflow or free-list page).
[[nodiscard]] inline bool IsDataPageId(PageId page_id) {
  return page_id >= kFirstDataPage && page_id < kPageCountMax;
}

// Bytes of a page viewed as characters, without copying.
[[nodiscard]] inline std::string_view BytesView(std::span<const uint8_t> page, size_t offset,
                                                size_t size) {
  return std::string_view(reinterpret_cast<const char*>(page.data() + offset), size);
}

// Corruption unless page[begin, end) is all zero; `what` names the range ("free space").
// Precondition: begin <= end <= page.size().
[[nodiscard]] inline absl::Status CheckZero(std::span<const uint8_t> page, PageId page_id,
                                            PageType type, size_t begin, size_t end,
                                            std::string_view what) {
  const auto range = page.subspan(begin, end - begin);
  const auto nonzero = std::find_if(range.begin(), range.end(), [](uint8_t b) { return b != 0; });
  if (nonzero == range.end()) return absl::OkStatus();
  return PageCorruption(page_id, type,
                        absl::StrFormat("%s byte at offset %d not zero", what,
                                        begin + static_cast<size_t>(nonzero - range.begin())));
}

// A chain page's `next` field: kNoPage, or another data page.
[[nodiscard]] inline absl::Status CheckNextPage(PageId page_id, PageType type, PageId next) {
  if (next == kNoPage) return absl::OkStatus();
  if (!IsDataPageId(next)) {
    return PageCorruption(
        page_id, type,
        absl::StrFormat("next %d outside [%d, %d)", next, kFirstDataPage, kPageCountMax));
  }
  if (next == page_id) return PageCorruption(page_id, type, "next is the page itself");
  return absl::OkStatus();
}

}  // namespace northstar::engine::format_internal
