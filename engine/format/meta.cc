#include "engine/format/meta.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/format/internal.h"
#include "engine/format/page.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

constexpr size_t kPageSizeOffset = 32;
constexpr size_t kTreeHeightOffset = 36;
constexpr size_t kRootOffset = 40;
constexpr size_t kFreeListHeadOffset = 48;
constexpr size_t kPageCountOffset = 56;
constexpr size_t kEntryCountOffset = 64;
constexpr size_t kLogPositionOffset = 72;
constexpr size_t kOptionsOffset = 80;
constexpr size_t kMetaEndBytes = 88;
static_assert(kPageSizeOffset == kPageHeaderBytes);

constexpr uint64_t kMetaOptionsKnown = kMetaOptionLogDurability;

// A page id field of the meta: kNoPage, or a page the file already has.
absl::Status CheckPageRef(PageId slot, const char* field, PageId page, uint64_t page_count) {
  if (page == kNoPage) return absl::OkStatus();
  if (page < kFirstDataPage || page >= page_count) {
    return PageCorruption(slot, PageType::kMeta,
                          absl::StrFormat("%s %d outside [%d, page_count %d)", field, page,
                                          kFirstDataPage, page_count));
  }
  return absl::OkStatus();
}

// Every rule on the fields of a meta page (FF-10..FF-16); EncodeMeta asserts them and
// DecodeMeta reports them.
absl::Status CheckMetaFields(const Meta& meta, PageId slot, size_t page_size_bytes) {
  auto corrupt = [slot](const std::string& detail) {
    return PageCorruption(slot, PageType::kMeta, detail);
  };
  if (!IsValidPageSize(meta.page_size_bytes) || meta.page_size_bytes != page_size_bytes) {
    return corrupt(absl::StrFormat("page_size_bytes %d, but the page is %d bytes",
                                   meta.page_size_bytes, page_size_bytes));
  }
  if (meta.page_count < kFirstDataPage || meta.page_count > kPageCountMax) {
    return corrupt(absl::StrFormat("page_count %d outside [%d, %d]", meta.page_count,
                                   kFirstDataPage, kPageCountMax));
  }
  NS_RETURN_IF_ERROR(CheckPageRef(slot, "root", meta.root, meta.page_count));
  NS_RETURN_IF_ERROR(CheckPageRef(slot, "freelist_head", meta.freelist_head, meta.page_count));
  if (meta.tree_height > kTreeHeightMax) {
    return corrupt(
        absl::StrFormat("tree_height %d above maximum %d", meta.tree_height, kTreeHeightMax));
  }
  const bool tree_empty = meta.root == kNoPage;
  if ((meta.tree_height == 0) != tree_empty) {
    return corrupt(absl::StrFormat("tree_height %d with root %d", meta.tree_height, meta.root));
  }
  if ((meta.entry_count == 0) != tree_empty) {
    return corrupt(absl::StrFormat("entry_count %d with root %d", meta.entry_count, meta.root));
  }
  if ((meta.options & ~kMetaOptionsKnown) != 0) {
    return corrupt(absl::StrFormat("unknown option bits 0x%x", meta.options & ~kMetaOptionsKnown));
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeMeta(const Meta& meta, PageId slot, std::span<uint8_t> page) {
  NS_ASSERT(slot == kMetaPageA || slot == kMetaPageB);
  const absl::Status fields = CheckMetaFields(meta, slot, page.size());
  NS_ASSERT_MSG(fields.ok(), fields.ToString());
  std::fill(page.begin(), page.end(), uint8_t{0});
  uint8_t* bytes = page.data();
  EncodeFixed32(bytes + kPageSizeOffset, meta.page_size_bytes);
  EncodeFixed32(bytes + kTreeHeightOffset, meta.tree_height);
  EncodeFixed64(bytes + kRootOffset, meta.root);
  EncodeFixed64(bytes + kFreeListHeadOffset, meta.freelist_head);
  EncodeFixed64(bytes + kPageCountOffset, meta.page_count);
  EncodeFixed64(bytes + kEntryCountOffset, meta.entry_count);
  EncodeFixed64(bytes + kLogPositionOffset, meta.log_position);
  EncodeFixed64(bytes + kOptionsOffset, meta.options);
  SealPage(page, PageHeader{.type = PageType::kMeta, .page_id = slot, .txn_id = meta.txn_id});
}

uint32_t PeekMetaPageSize(std::span<const uint8_t> first_bytes) {
  NS_ASSERT(first_bytes.size() >= kPageSizeOffset + 4);
  return DecodeFixed32(first_bytes.data() + kPageSizeOffset);
}

absl::StatusOr<Meta> DecodeMeta(std::span<const uint8_t> page, PageId slot) {
  NS_ASSERT(slot == kMetaPageA || slot == kMetaPageB);
  NS_ASSIGN_OR_RETURN(const PageHeader header, CheckPage(page, slot, PageType::kMeta));
  const uint8_t* bytes = page.data();
  const Meta meta{
      .txn_id = header.txn_id,
      .page_size_bytes = DecodeFixed32(bytes + kPageSizeOffset),
      .tree_height = DecodeFixed32(bytes + kTreeHeightOffset),
      .root = DecodeFixed64(bytes + kRootOffset),
      .freelist_head = DecodeFixed64(bytes + kFreeListHeadOffset),
      .page_count = DecodeFixed64(bytes + kPageCountOffset),
      .entry_count = DecodeFixed64(bytes + kEntryCountOffset),
      .log_position = DecodeFixed64(bytes + kLogPositionOffset),
      .options = DecodeFixed64(bytes + kOptionsOffset),
  };
  NS_RETURN_IF_ERROR(CheckMetaFields(meta, slot, page.size()));
  NS_RETURN_IF_ERROR(format_internal::CheckZero(page, slot, PageType::kMeta, kMetaEndBytes,
                                                page.size(), "padding"));
  return meta;
}

}  // namespace northstar::engine
