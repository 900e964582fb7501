// The page header every page starts with, and the page checksum.
//
// Layout (little-endian), kPageHeaderBytes = 32:
//   0  u32  magic            kPageMagic ("NSPG" read as bytes)
//   4  u16  format_version   kFormatVersion
//   6  u8   page_type        PageType
//   7  u8   reserved         0
//   8  u64  page_id          the page's own id (catches misdirected and misplaced writes)
//   16 u64  txn_id           the commit that wrote this page
//   24 u32  checksum         CRC32C of the whole page with these 4 bytes taken as zero
//   28 u32  reserved         0
// The body follows; its layout depends on the page type. Unused bytes are zero, so that pages are
// byte-identical between runs. spec/file_format.md (FF-1..FF-7) is the prose version.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/format/types.h"

namespace northstar::engine {

inline constexpr uint32_t kPageMagic = 0x4750534E;  // Bytes "NSPG" on disk (little-endian).
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr size_t kPageHeaderBytes = 32;

struct PageHeader {
  PageType type = PageType::kLeaf;
  PageId page_id = kNoPage;
  TxnId txn_id = 0;
};

// Writes the header into page[0, 32) and then the checksum over the whole page (the body must
// already be in place). page.size() is the page size.
void SealPage(std::span<uint8_t> page, const PageHeader& header);

// Checks, in this order: page.size() is a valid page size, magic, format version, the checksum,
// page type (a known one, and `expected_type` when given), page id == expected_page_id, reserved
// bytes. Corruption (kDataLoss) names the page id and the field that failed.
[[nodiscard]] absl::StatusOr<PageHeader> CheckPage(std::span<const uint8_t> page,
                                                   PageId expected_page_id);
[[nodiscard]] absl::StatusOr<PageHeader> CheckPage(std::span<const uint8_t> page,
                                                   PageId expected_page_id, PageType expected_type);

// The CRC32C of the page with the checksum field taken as zero.
[[nodiscard]] uint32_t PageChecksum(std::span<const uint8_t> page);

// The Corruption status every format decoder returns: kDataLoss with the message
// "page <page_id> (<type name>): <detail>".
[[nodiscard]] absl::Status PageCorruption(PageId page_id, PageType type, std::string_view detail);

}  // namespace northstar::engine
