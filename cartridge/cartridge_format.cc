#include "cartridge/cartridge_format.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "apps/task_keys.h"
#include "util/assert.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/status.h"

namespace northstar::cartridge {
namespace {

// Header field offsets (cartridge_format.h).
constexpr size_t kMagicOffset = 0;
constexpr size_t kVersionOffset = 4;
constexpr size_t kKindOffset = 6;
constexpr size_t kWatermarkOffset = 8;
constexpr size_t kFileBytesOffset = 16;
constexpr size_t kIdCountOffset = 24;
constexpr size_t kTypeCountOffset = 32;
constexpr size_t kHeaderReservedOffset = 40;
// Directory entry field offsets.
constexpr size_t kEntryNameBytesOffset = 0;
constexpr size_t kEntryReservedOffset = 1;
constexpr size_t kEntryNameOffset = 8;
constexpr size_t kEntryIdCountOffset = 40;

static_assert(kHeaderReservedOffset + 20 == kCartridgeHeaderCrcOffset);
static_assert(kCartridgeHeaderCrcOffset + 4 == kCartridgeHeaderBytes);
static_assert(kEntryNameOffset + kCartridgeNameFieldBytes == kEntryIdCountOffset);
static_assert(kEntryIdCountOffset + 8 == kCartridgeEntryBytes);
static_assert(kCartridgeNameFieldBytes == apps::task_keys::kTypeBytesMax);
static_assert(kCartridgeHeaderBytes % kCartridgeIdBytes == 0 &&
                  kCartridgeEntryBytes % kCartridgeIdBytes == 0,
              "the id array starts 8-byte aligned in the file");
static_assert(kCartridgeFileBytesMax < (uint64_t{1} << 48));

absl::Status Corrupt(uint64_t offset, std::string_view field, std::string_view what) {
  return absl::DataLossError(
      absl::StrFormat("cartridge: %s at offset %d: %s", field, offset, what));
}

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t byte) { return byte == 0; });
}

struct Header {
  engine::TxnId watermark_txn = 0;
  uint64_t file_bytes = 0;
  uint64_t id_count = 0;
  uint32_t type_count = 0;
  uint32_t body_crc = 0;
};

absl::StatusOr<Header> DecodeHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < kCartridgeHeaderBytes) {
    return Corrupt(0, "header", absl::StrFormat("the file has %d bytes, fewer than the %d-byte header",
                                                bytes.size(), kCartridgeHeaderBytes));
  }
  const uint8_t* data = bytes.data();
  if (DecodeFixed32(data + kMagicOffset) != kCartridgeMagic) {
    return Corrupt(kMagicOffset, "magic",
                   absl::StrFormat("0x%08x, expected 0x%08x (\"NSCT\")",
                                   DecodeFixed32(data + kMagicOffset), kCartridgeMagic));
  }
  if (const uint16_t version = DecodeFixed16(data + kVersionOffset);
      version != kCartridgeFormatVersion) {
    return Corrupt(kVersionOffset, "format_version",
                   absl::StrFormat("%d, this build reads version %d", version,
                                   kCartridgeFormatVersion));
  }
  const uint32_t stored_crc = DecodeFixed32(data + kCartridgeHeaderCrcOffset);
  const uint32_t computed_crc = crc32c::Value(data, kCartridgeHeaderCrcOffset);
  if (stored_crc != computed_crc) {
    return Corrupt(kCartridgeHeaderCrcOffset, "header_crc",
                   absl::StrFormat("stored 0x%08x, computed 0x%08x", stored_crc, computed_crc));
  }
  if (const uint16_t kind = DecodeFixed16(data + kKindOffset);
      kind != kCartridgeKindPendingTasksByType) {
    return Corrupt(kKindOffset, "kind",
                   absl::StrFormat("%d, expected %d (pending_tasks_by_type)", kind,
                                   kCartridgeKindPendingTasksByType));
  }
  if (!AllZero(bytes.subspan(kHeaderReservedOffset, kCartridgeHeaderCrcOffset -
                                                        kHeaderReservedOffset))) {
    return Corrupt(kHeaderReservedOffset, "header reserved bytes", "not zero");
  }
  return Header{.watermark_txn = DecodeFixed64(data + kWatermarkOffset),
                .file_bytes = DecodeFixed64(data + kFileBytesOffset),
                .id_count = DecodeFixed64(data + kIdCountOffset),
                .type_count = DecodeFixed32(data + kTypeCountOffset),
                .body_crc = DecodeFixed32(data + kCartridgeBodyCrcOffset)};
}

// The counts, the sizes they imply, and the body checksum.
absl::Status CheckSizes(const Header& header, std::span<const uint8_t> bytes) {
  if (header.id_count > kCartridgeIdsMax) {
    return Corrupt(kIdCountOffset, "id_count",
                   absl::StrFormat("%d, more than the limit %d", header.id_count, kCartridgeIdsMax));
  }
  if (header.type_count > kCartridgeTypesMax || header.type_count > header.id_count) {
    return Corrupt(kTypeCountOffset, "type_count",
                   absl::StrFormat("%d, but at most min(%d, id_count %d): every type has an id",
                                   header.type_count, kCartridgeTypesMax, header.id_count));
  }
  const uint64_t expected_bytes = CartridgeFileBytes(header.type_count, header.id_count);
  if (header.file_bytes != expected_bytes) {
    return Corrupt(kFileBytesOffset, "file_bytes",
                   absl::StrFormat("%d, but %d types and %d ids take %d bytes", header.file_bytes,
                                   header.type_count, header.id_count, expected_bytes));
  }
  if (bytes.size() != header.file_bytes) {
    return Corrupt(kFileBytesOffset, "file_bytes",
                   absl::StrFormat("%d, but the file has %d bytes (%s)", header.file_bytes,
                                   bytes.size(),
                                   bytes.size() < header.file_bytes ? "truncated" : "trailing bytes"));
  }
  const uint32_t computed_crc = crc32c::Value(bytes.subspan(kCartridgeHeaderBytes));
  if (header.body_crc != computed_crc) {
    return Corrupt(kCartridgeBodyCrcOffset, "body_crc",
                   absl::StrFormat("stored 0x%08x, computed 0x%08x over bytes [%d, %d)",
                                   header.body_crc, computed_crc, kCartridgeHeaderBytes,
                                   bytes.size()));
  }
  return absl::OkStatus();
}

// One directory entry at `offset`: its name and id count, checked.
absl::Status DecodeEntry(std::span<const uint8_t> bytes, uint64_t offset,
                         std::string_view& name, uint64_t& id_count) {
  const std::span<const uint8_t> entry = bytes.subspan(offset, kCartridgeEntryBytes);
  const uint8_t name_bytes = entry[kEntryNameBytesOffset];
  if (name_bytes == 0 || name_bytes > kCartridgeNameFieldBytes) {
    return Corrupt(offset + kEntryNameBytesOffset, "type name_bytes",
                   absl::StrFormat("%d, expected 1..%d", name_bytes, kCartridgeNameFieldBytes));
  }
  if (!AllZero(entry.subspan(kEntryReservedOffset, kEntryNameOffset - kEntryReservedOffset))) {
    return Corrupt(offset + kEntryReservedOffset, "type entry reserved bytes", "not zero");
  }
  name = std::string_view(reinterpret_cast<const char*>(entry.data() + kEntryNameOffset),
                          name_bytes);
  if (!apps::task_keys::IsValidTaskType(name)) {
    return Corrupt(offset + kEntryNameOffset, "type name",
                   "not 1..32 bytes of [a-z0-9_-]");
  }
  if (!AllZero(entry.subspan(kEntryNameOffset + name_bytes,
                             kCartridgeNameFieldBytes - name_bytes))) {
    return Corrupt(offset + kEntryNameOffset + name_bytes, "type name padding",
                   absl::StrFormat("not zero after the %d-byte name \"%s\"", name_bytes, name));
  }
  id_count = DecodeFixed64(entry.data() + kEntryIdCountOffset);
  if (id_count == 0) {
    return Corrupt(offset + kEntryIdCountOffset, "type id_count",
                   absl::StrFormat("0 for type \"%s\": a type without pending ids is not listed",
                                   name));
  }
  return absl::OkStatus();
}

absl::Status CheckIdsAscend(std::span<const uint8_t> bytes, uint64_t ids_offset,
                            std::string_view type, uint64_t first_index, uint64_t count) {
  const uint8_t* ids = bytes.data() + ids_offset;
  for (uint64_t index = first_index + 1; index < first_index + count; index++) {
    const uint64_t previous = DecodeFixed64(ids + (index - 1) * kCartridgeIdBytes);
    const uint64_t id = DecodeFixed64(ids + index * kCartridgeIdBytes);
    if (id <= previous) {
      return Corrupt(ids_offset + index * kCartridgeIdBytes, "id",
                     absl::StrFormat("%d after %d in type \"%s\": ids must ascend strictly", id,
                                     previous, type));
    }
  }
  return absl::OkStatus();
}

void EncodeEntry(std::string_view name, uint64_t id_count, uint8_t* entry) {
  NS_ASSERT(apps::task_keys::IsValidTaskType(name));
  NS_ASSERT(id_count >= 1);
  entry[kEntryNameBytesOffset] = static_cast<uint8_t>(name.size());
  std::copy(name.begin(), name.end(), entry + kEntryNameOffset);
  EncodeFixed64(entry + kEntryIdCountOffset, id_count);
}

}  // namespace

uint64_t CartridgeFileBytes(uint64_t type_count, uint64_t id_count) {
  NS_ASSERT(type_count <= kCartridgeTypesMax);
  NS_ASSERT(id_count <= kCartridgeIdsMax);
  return kCartridgeHeaderBytes + type_count * kCartridgeEntryBytes + id_count * kCartridgeIdBytes;
}

absl::Status CheckCartridgeLimits(const PendingTasks& content) {
  if (content.size() > kCartridgeTypesMax) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "cartridge: %d task types have pending tasks, more than the format's %d", content.size(),
        kCartridgeTypesMax));
  }
  if (const uint64_t ids = PendingIdCount(content); ids > kCartridgeIdsMax) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "cartridge: %d pending tasks, more than the format's %d", ids, kCartridgeIdsMax));
  }
  return absl::OkStatus();
}

std::vector<uint8_t> EncodeCartridge(engine::TxnId watermark_txn, const PendingTasks& content) {
  AssertWellFormed(content);
  NS_ASSERT(CheckCartridgeLimits(content).ok());
  const uint64_t id_count = PendingIdCount(content);
  const uint64_t file_bytes = CartridgeFileBytes(content.size(), id_count);
  std::vector<uint8_t> out(file_bytes, 0);
  uint8_t* entry = out.data() + kCartridgeHeaderBytes;
  uint8_t* id_slot = entry + content.size() * kCartridgeEntryBytes;
  for (const auto& [type, ids] : content) {
    EncodeEntry(type, ids.size(), entry);
    entry += kCartridgeEntryBytes;
    for (uint64_t id : ids) {
      EncodeFixed64(id_slot, id);
      id_slot += kCartridgeIdBytes;
    }
  }
  NS_ASSERT(id_slot == out.data() + out.size());
  uint8_t* header = out.data();
  EncodeFixed32(header + kMagicOffset, kCartridgeMagic);
  EncodeFixed16(header + kVersionOffset, kCartridgeFormatVersion);
  EncodeFixed16(header + kKindOffset, kCartridgeKindPendingTasksByType);
  EncodeFixed64(header + kWatermarkOffset, watermark_txn);
  EncodeFixed64(header + kFileBytesOffset, file_bytes);
  EncodeFixed64(header + kIdCountOffset, id_count);
  EncodeFixed32(header + kTypeCountOffset, static_cast<uint32_t>(content.size()));
  EncodeFixed32(header + kCartridgeBodyCrcOffset,
                crc32c::Value(std::span<const uint8_t>(out).subspan(kCartridgeHeaderBytes)));
  EncodeFixed32(header + kCartridgeHeaderCrcOffset,
                crc32c::Value(header, kCartridgeHeaderCrcOffset));
  // Paired with the checks before encoding: what was written must decode.
  NS_ASSERT_MSG(DecodeCartridge(out).ok(), DecodeCartridge(out).status().ToString());
  return out;
}

uint64_t PendingIds::operator[](uint64_t index) const {
  NS_ASSERT(index < count_);
  return DecodeFixed64(data_ + index * kCartridgeIdBytes);
}

bool PendingIds::contains(uint64_t id) const {
  uint64_t low = 0;
  uint64_t high = count_;
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    const uint64_t value = (*this)[middle];
    if (value == id) return true;
    if (value < id) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return false;
}

std::vector<uint64_t> PendingIds::ToVector() const {
  std::vector<uint64_t> ids(count_);
  for (uint64_t index = 0; index < count_; index++) ids[index] = (*this)[index];
  return ids;
}

PendingIds CartridgeView::pending(std::string_view type) const {
  const auto it = std::lower_bound(
      types_.begin(), types_.end(), type,
      [](const TypeEntry& entry, std::string_view name) { return entry.name < name; });
  if (it == types_.end() || it->name != type) return {};
  return PendingIds(bytes_.data() + ids_offset_ + it->first_index * kCartridgeIdBytes,
                    it->id_count);
}

std::vector<std::string_view> CartridgeView::types() const {
  std::vector<std::string_view> names;
  names.reserve(types_.size());
  for (const TypeEntry& entry : types_) names.push_back(entry.name);
  return names;
}

PendingTasks CartridgeView::ToContent() const {
  PendingTasks content;
  for (const TypeEntry& entry : types_) {
    content.emplace(std::string(entry.name), pending(entry.name).ToVector());
  }
  return content;
}

absl::StatusOr<CartridgeView> DecodeCartridge(std::span<const uint8_t> bytes) {
  NS_ASSIGN_OR_RETURN(const Header header, DecodeHeader(bytes));
  NS_RETURN_IF_ERROR(CheckSizes(header, bytes));
  CartridgeView view;
  view.bytes_ = bytes;
  view.watermark_txn_ = header.watermark_txn;
  view.id_count_ = header.id_count;
  view.ids_offset_ = kCartridgeHeaderBytes + uint64_t{header.type_count} * kCartridgeEntryBytes;
  view.types_.reserve(header.type_count);
  uint64_t first_index = 0;
  for (uint32_t index = 0; index < header.type_count; index++) {
    const uint64_t offset = kCartridgeHeaderBytes + uint64_t{index} * kCartridgeEntryBytes;
    std::string_view name;
    uint64_t id_count = 0;
    NS_RETURN_IF_ERROR(DecodeEntry(bytes, offset, name, id_count));
    if (!view.types_.empty() && name <= view.types_.back().name) {
      return Corrupt(offset + kEntryNameOffset, "type name",
                     absl::StrFormat("\"%s\" after \"%s\": names must ascend strictly", name,
                                     view.types_.back().name));
    }
    if (id_count > header.id_count - first_index) {
      return Corrupt(offset + kEntryIdCountOffset, "type id_count",
                     absl::StrFormat("%d for type \"%s\" runs past the %d ids of the file",
                                     id_count, name, header.id_count));
    }
    NS_RETURN_IF_ERROR(CheckIdsAscend(bytes, view.ids_offset_, name, first_index, id_count));
    view.types_.push_back({name, first_index, id_count});
    first_index += id_count;
  }
  if (first_index != header.id_count) {
    return Corrupt(kIdCountOffset, "id_count",
                   absl::StrFormat("%d, but the types' id_counts add up to %d", header.id_count,
                                   first_index));
  }
  return view;
}

std::optional<uint16_t> PeekCartridgeFormatVersion(std::span<const uint8_t> bytes) {
  if (bytes.size() < kVersionOffset + 2) return std::nullopt;
  if (DecodeFixed32(bytes.data() + kMagicOffset) != kCartridgeMagic) return std::nullopt;
  return DecodeFixed16(bytes.data() + kVersionOffset);
}

}  // namespace northstar::cartridge
