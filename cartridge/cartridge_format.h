// The pending_tasks_by_type cartridge file: codec only (pure functions, no I/O). The file layer
// (cartridge_file.h) reads, maps and writes it; spec/cartridge_format.md (CF-2..CF-10) is the
// prose version, and the rules there are what the decoder checks.
//
// Layout (little-endian, unaligned reads only; every byte is covered by a checksum):
//
// Header, kCartridgeHeaderBytes = 64:
//   0  u32  magic           kCartridgeMagic (the bytes "NSCT")
//   4  u16  format_version  kCartridgeFormatVersion (1)
//   6  u16  kind            kCartridgeKindPendingTasksByType (1)
//   8  u64  watermark_txn   the commit the content reflects (0: the empty database)
//   16 u64  file_bytes      64 + 48 * type_count + 8 * id_count: the whole file
//   24 u64  id_count        pending ids over all types, <= kCartridgeIdsMax
//   32 u32  type_count      directory entries, <= min(kCartridgeTypesMax, id_count)
//   36 u32  body_crc        CRC32C of bytes [64, file_bytes)
//   40 ..   zero            (20 bytes)
//   60 u32  header_crc      CRC32C of bytes [0, 60)
// Directory, type_count entries of kCartridgeEntryBytes = 48, names strictly ascending bytewise:
//   0  u8   name_bytes      1..32
//   1  ..   zero            (7 bytes)
//   8  [32] name            the type, [a-z0-9_-]; bytes past name_bytes zero
//   40 u64  id_count        >= 1
// Ids, from 64 + 48 * type_count: each type's pending task ids as u64, strictly ascending, the
// types' runs back to back in directory order (so the directory's id_counts sum to id_count).
//
// One encoding per content: a file that decodes re-encodes to the same bytes (no timestamps, no
// uninitialized padding, everything sorted), so the same commits give the same file.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cartridge/pending_tasks.h"
#include "engine/format/types.h"

namespace northstar::cartridge {

inline constexpr uint32_t kCartridgeMagic = 0x5443534E;  // Bytes "NSCT" on disk.
inline constexpr uint16_t kCartridgeFormatVersion = 1;
inline constexpr uint16_t kCartridgeKindPendingTasksByType = 1;
inline constexpr size_t kCartridgeHeaderBytes = 64;
inline constexpr size_t kCartridgeEntryBytes = 48;
inline constexpr size_t kCartridgeNameFieldBytes = 32;
inline constexpr size_t kCartridgeIdBytes = 8;
inline constexpr uint32_t kCartridgeTypesMax = 1 << 16;
inline constexpr uint64_t kCartridgeIdsMax = uint64_t{1} << 32;
// The largest file the limits allow: far below vfs::kFileSizeMaxBytes, so sizes never overflow.
inline constexpr uint64_t kCartridgeFileBytesMax = kCartridgeHeaderBytes +
                                                   uint64_t{kCartridgeTypesMax} *
                                                       kCartridgeEntryBytes +
                                                   kCartridgeIdsMax * kCartridgeIdBytes;

// File offsets of the header fields the decoder and the tests name.
inline constexpr size_t kCartridgeHeaderCrcOffset = 60;
inline constexpr size_t kCartridgeBodyCrcOffset = 36;

// Bytes of the file EncodeCartridge writes for a content of these counts.
[[nodiscard]] uint64_t CartridgeFileBytes(uint64_t type_count, uint64_t id_count);

// ResourceExhausted naming the count and the limit when `content` has more types or ids than
// the format holds; OK otherwise.
[[nodiscard]] absl::Status CheckCartridgeLimits(const PendingTasks& content);

// The whole file. Preconditions (asserted): `content` well-formed (AssertWellFormed) and within
// CheckCartridgeLimits.
[[nodiscard]] std::vector<uint8_t> EncodeCartridge(engine::TxnId watermark_txn,
                                                   const PendingTasks& content);

// The pending ids of one type: a view of little-endian u64s inside the cartridge's bytes.
class PendingIds {
 public:
  PendingIds() = default;
  PendingIds(const uint8_t* data, uint64_t count) : data_(data), count_(count) {}

  [[nodiscard]] uint64_t size() const { return count_; }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  // Precondition: index < size().
  [[nodiscard]] uint64_t operator[](uint64_t index) const;
  // Binary search: O(log size()).
  [[nodiscard]] bool contains(uint64_t id) const;
  [[nodiscard]] std::vector<uint64_t> ToVector() const;

 private:
  const uint8_t* data_ = nullptr;
  uint64_t count_ = 0;
};

// A decoded cartridge: the header's fields and the directory, with views into the bytes it was
// decoded from, which must outlive it. Lookups are O(log type_count) and copy nothing.
class CartridgeView {
 public:
  [[nodiscard]] engine::TxnId watermark_txn() const { return watermark_txn_; }
  [[nodiscard]] uint64_t id_count() const { return id_count_; }
  [[nodiscard]] std::span<const uint8_t> bytes() const { return bytes_; }

  // The pending ids of `type`, ascending; empty for a type with none (or no such type).
  [[nodiscard]] PendingIds pending(std::string_view type) const;
  [[nodiscard]] uint64_t count(std::string_view type) const { return pending(type).size(); }
  // The types with pending tasks, ascending.
  [[nodiscard]] std::vector<std::string_view> types() const;
  // A copy of the whole content.
  [[nodiscard]] PendingTasks ToContent() const;

 private:
  friend absl::StatusOr<CartridgeView> DecodeCartridge(std::span<const uint8_t> bytes);
  struct TypeEntry {
    std::string_view name;  // Into bytes_.
    uint64_t first_index = 0;
    uint64_t id_count = 0;
  };

  std::span<const uint8_t> bytes_;
  engine::TxnId watermark_txn_ = 0;
  uint64_t id_count_ = 0;
  uint64_t ids_offset_ = 0;
  std::vector<TypeEntry> types_;  // Ascending by name.
};

// Checks every field (CF-6), in file order: size, magic, format version, header CRC, kind,
// reserved bytes, counts within the limits, file_bytes equal to the size the counts give and to
// bytes.size(), body CRC, then each directory entry (name length, reserved and padding bytes,
// name characters, names ascending, id_count), the id_counts' sum, and each type's ids strictly
// ascending. DataLoss "cartridge: <field> at offset <n>: <what is wrong>" on the first failure.
// Never reads outside `bytes`.
[[nodiscard]] absl::StatusOr<CartridgeView> DecodeCartridge(std::span<const uint8_t> bytes);

// The format version field of a file that starts with the cartridge magic; nullopt for anything
// else (too short, other magic). Lets a reader say "version 2, this build reads 1" instead of
// "corrupt" for a file from a newer build. The field is not checksum-verified here.
[[nodiscard]] std::optional<uint16_t> PeekCartridgeFormatVersion(std::span<const uint8_t> bytes);

}  // namespace northstar::cartridge
