#include "engine/format/page.h"

#include <optional>
#include <string_view>

#include "absl/strings/str_format.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace northstar::engine {
namespace {

constexpr size_t kMagicOffset = 0;
constexpr size_t kVersionOffset = 4;
constexpr size_t kTypeOffset = 6;
constexpr size_t kReserved8Offset = 7;
constexpr size_t kPageIdOffset = 8;
constexpr size_t kTxnIdOffset = 16;
constexpr size_t kChecksumOffset = 24;
constexpr size_t kReserved32Offset = 28;
static_assert(kReserved32Offset + 4 == kPageHeaderBytes);

bool IsKnownPageType(uint8_t raw_type) {
  return raw_type >= static_cast<uint8_t>(PageType::kMeta) &&
         raw_type <= static_cast<uint8_t>(PageType::kFreeList);
}

// Corruption found before the page's type is known: "page 17: <detail>", or with the expected
// type's name when the caller gave one.
absl::Status HeaderCorruption(PageId page_id, std::optional<PageType> expected_type,
                              std::string_view detail) {
  if (expected_type.has_value()) return PageCorruption(page_id, *expected_type, detail);
  return absl::DataLossError(absl::StrFormat("page %d: %s", page_id, detail));
}

absl::StatusOr<PageHeader> CheckPageImpl(std::span<const uint8_t> page, PageId expected_page_id,
                                         std::optional<PageType> expected_type) {
  if (!IsValidPageSize(page.size())) {
    return HeaderCorruption(expected_page_id, expected_type,
                            absl::StrFormat("page size %d is not a power of two in [%d, %d]",
                                            page.size(), kPageSizeMinBytes, kPageSizeMaxBytes));
  }
  const uint8_t* bytes = page.data();
  const uint32_t magic = DecodeFixed32(bytes + kMagicOffset);
  if (magic != kPageMagic) {
    return HeaderCorruption(expected_page_id, expected_type,
                            absl::StrFormat("magic 0x%08x, expected 0x%08x", magic, kPageMagic));
  }
  const uint16_t version = DecodeFixed16(bytes + kVersionOffset);
  if (version != kFormatVersion) {
    return HeaderCorruption(
        expected_page_id, expected_type,
        absl::StrFormat("format_version %d, expected %d", version, kFormatVersion));
  }
  const uint32_t stored_checksum = DecodeFixed32(bytes + kChecksumOffset);
  const uint32_t actual_checksum = PageChecksum(page);
  if (stored_checksum != actual_checksum) {
    return HeaderCorruption(
        expected_page_id, expected_type,
        absl::StrFormat("checksum 0x%08x, computed 0x%08x", stored_checksum, actual_checksum));
  }
  const uint8_t raw_type = bytes[kTypeOffset];
  if (!IsKnownPageType(raw_type)) {
    return HeaderCorruption(expected_page_id, expected_type,
                            absl::StrFormat("unknown page_type %d", raw_type));
  }
  const auto type = static_cast<PageType>(raw_type);
  if (expected_type.has_value() && type != *expected_type) {
    return PageCorruption(expected_page_id, *expected_type,
                          absl::StrFormat("page_type is %s", PageTypeName(type)));
  }
  const PageId page_id = DecodeFixed64(bytes + kPageIdOffset);
  if (page_id != expected_page_id) {
    return PageCorruption(
        expected_page_id, type,
        absl::StrFormat("page_id field %d (misdirected or misplaced write)", page_id));
  }
  if (page_id >= kPageCountMax) {
    // No database has such a page (FF-6); SealPage refuses to write one.
    return PageCorruption(expected_page_id, type,
                          absl::StrFormat("page_id %d is not below %d", page_id, kPageCountMax));
  }
  if (bytes[kReserved8Offset] != 0 || DecodeFixed32(bytes + kReserved32Offset) != 0) {
    return PageCorruption(expected_page_id, type, "reserved header bytes not zero");
  }
  return PageHeader{
      .type = type, .page_id = page_id, .txn_id = DecodeFixed64(bytes + kTxnIdOffset)};
}

}  // namespace

void SealPage(std::span<uint8_t> page, const PageHeader& header) {
  NS_ASSERT(IsValidPageSize(page.size()));
  NS_ASSERT(IsKnownPageType(static_cast<uint8_t>(header.type)));
  NS_ASSERT(header.page_id < kPageCountMax);
  uint8_t* bytes = page.data();
  EncodeFixed32(bytes + kMagicOffset, kPageMagic);
  EncodeFixed16(bytes + kVersionOffset, kFormatVersion);
  bytes[kTypeOffset] = static_cast<uint8_t>(header.type);
  bytes[kReserved8Offset] = 0;
  EncodeFixed64(bytes + kPageIdOffset, header.page_id);
  EncodeFixed64(bytes + kTxnIdOffset, header.txn_id);
  EncodeFixed32(bytes + kReserved32Offset, 0);
  EncodeFixed32(bytes + kChecksumOffset, PageChecksum(page));
}

absl::StatusOr<PageHeader> CheckPage(std::span<const uint8_t> page, PageId expected_page_id) {
  return CheckPageImpl(page, expected_page_id, std::nullopt);
}

absl::StatusOr<PageHeader> CheckPage(std::span<const uint8_t> page, PageId expected_page_id,
                                     PageType expected_type) {
  return CheckPageImpl(page, expected_page_id, expected_type);
}

uint32_t PageChecksum(std::span<const uint8_t> page) {
  NS_ASSERT(page.size() >= kPageHeaderBytes);
  static constexpr uint8_t kZeros[4] = {0, 0, 0, 0};
  uint32_t crc = crc32c::Extend(0, page.data(), kChecksumOffset);
  crc = crc32c::Extend(crc, kZeros, sizeof(kZeros));
  return crc32c::Extend(crc, page.data() + kReserved32Offset, page.size() - kReserved32Offset);
}

absl::Status PageCorruption(PageId page_id, PageType type, std::string_view detail) {
  return absl::DataLossError(
      absl::StrFormat("page %d (%s): %s", page_id, PageTypeName(type), detail));
}

}  // namespace northstar::engine
