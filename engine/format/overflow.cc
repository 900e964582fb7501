#include "engine/format/overflow.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "engine/format/internal.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

using format_internal::BytesView;
using format_internal::CheckNextPage;
using format_internal::CheckZero;
using format_internal::IsDataPageId;

constexpr size_t kNextOffset = 32;
constexpr size_t kSizeOffset = 40;  // chunk_size or count.
constexpr size_t kReservedOffset = 44;
static_assert(kNextOffset == kPageHeaderBytes);
static_assert(kReservedOffset + 4 == kChainHeaderEndBytes);

// Writes the chain header. Precondition: page zeroed.
void EncodeChainHeader(std::span<uint8_t> page, PageId next, uint32_t size) {
  EncodeFixed64(page.data() + kNextOffset, next);
  EncodeFixed32(page.data() + kSizeOffset, size);
}

absl::Status CheckReserved(std::span<const uint8_t> page, PageId page_id, PageType type) {
  if (DecodeFixed32(page.data() + kReservedOffset) == 0) return absl::OkStatus();
  return PageCorruption(page_id, type, "reserved field at offset 44 not zero");
}

}  // namespace

void EncodeOverflow(std::string_view chunk, PageId next, const PageHeader& header,
                    std::span<uint8_t> page) {
  NS_ASSERT(IsValidPageSize(page.size()));
  const size_t capacity = OverflowCapacityBytes(static_cast<uint32_t>(page.size()));
  NS_ASSERT(header.type == PageType::kOverflow);
  NS_ASSERT(!chunk.empty());
  NS_ASSERT(chunk.size() <= capacity);
  NS_ASSERT(next == kNoPage || chunk.size() == capacity);
  NS_ASSERT(next == kNoPage || (IsDataPageId(next) && next != header.page_id));
  std::fill(page.begin(), page.end(), uint8_t{0});
  EncodeChainHeader(page, next, static_cast<uint32_t>(chunk.size()));
  std::copy(chunk.begin(), chunk.end(), page.begin() + kChainHeaderEndBytes);
  SealPage(page, header);
}

absl::StatusOr<OverflowView> ParseOverflow(std::span<const uint8_t> page, PageId page_id) {
  constexpr PageType kType = PageType::kOverflow;
  NS_RETURN_IF_ERROR(CheckPage(page, page_id, kType).status());
  const PageId next = DecodeFixed64(page.data() + kNextOffset);
  NS_RETURN_IF_ERROR(CheckNextPage(page_id, kType, next));
  NS_RETURN_IF_ERROR(CheckReserved(page, page_id, kType));
  const size_t capacity = OverflowCapacityBytes(static_cast<uint32_t>(page.size()));
  const size_t chunk_size = DecodeFixed32(page.data() + kSizeOffset);
  if (chunk_size == 0 || chunk_size > capacity) {
    return PageCorruption(page_id, kType,
                          absl::StrFormat("chunk_size %d outside [1, %d]", chunk_size, capacity));
  }
  if (next != kNoPage && chunk_size != capacity) {
    return PageCorruption(page_id, kType,
                          absl::StrFormat("chunk_size %d on a page with a next page, expected %d",
                                          chunk_size, capacity));
  }
  const size_t chunk_end = kChainHeaderEndBytes + chunk_size;
  NS_RETURN_IF_ERROR(CheckZero(page, page_id, kType, chunk_end, page.size(), "padding"));
  return OverflowView{.next = next, .chunk = BytesView(page, kChainHeaderEndBytes, chunk_size)};
}

void EncodeFreeList(std::span<const PageId> ids, PageId next, const PageHeader& header,
                    std::span<uint8_t> page) {
  NS_ASSERT(IsValidPageSize(page.size()));
  NS_ASSERT(header.type == PageType::kFreeList);
  NS_ASSERT(ids.size() <= FreeListCapacity(static_cast<uint32_t>(page.size())));
  NS_ASSERT(next == kNoPage || (IsDataPageId(next) && next != header.page_id));
  std::fill(page.begin(), page.end(), uint8_t{0});
  EncodeChainHeader(page, next, static_cast<uint32_t>(ids.size()));
  for (size_t index = 0; index < ids.size(); index++) {
    NS_ASSERT(IsDataPageId(ids[index]));
    EncodeFixed64(page.data() + kChainHeaderEndBytes + index * 8, ids[index]);
  }
  SealPage(page, header);
}

absl::StatusOr<FreeListView> ParseFreeList(std::span<const uint8_t> page, PageId page_id) {
  constexpr PageType kType = PageType::kFreeList;
  NS_RETURN_IF_ERROR(CheckPage(page, page_id, kType).status());
  const PageId next = DecodeFixed64(page.data() + kNextOffset);
  NS_RETURN_IF_ERROR(CheckNextPage(page_id, kType, next));
  NS_RETURN_IF_ERROR(CheckReserved(page, page_id, kType));
  const size_t capacity = FreeListCapacity(static_cast<uint32_t>(page.size()));
  const size_t count = DecodeFixed32(page.data() + kSizeOffset);
  if (count > capacity) {
    return PageCorruption(page_id, kType,
                          absl::StrFormat("count %d above capacity %d", count, capacity));
  }
  const auto ids_bytes = page.subspan(kChainHeaderEndBytes, count * 8);
  for (size_t index = 0; index < count; index++) {
    const PageId id = DecodeFixed64(ids_bytes.data() + index * 8);
    if (!IsDataPageId(id)) {
      return PageCorruption(page_id, kType,
                            absl::StrFormat("page_id[%d] %d outside [%d, %d)", index, id,
                                            kFirstDataPage, kPageCountMax));
    }
  }
  NS_RETURN_IF_ERROR(
      CheckZero(page, page_id, kType, kChainHeaderEndBytes + count * 8, page.size(), "padding"));
  return FreeListView{.next = next, .ids_bytes = ids_bytes};
}

PageId FreeListView::id(size_t index) const {
  NS_ASSERT(index < size());
  return DecodeFixed64(ids_bytes.data() + index * 8);
}

}  // namespace northstar::engine
