// CRC32C (Castagnoli, polynomial 0x1EDC6F41 / reflected 0x82F63B78), as used by iSCSI (RFC 3720)
// and by every checksum in Northstar's on-disk formats.
//
// Value() picks the SSE4.2 hardware instruction when the CPU has it (checked once at run time)
// and a portable table-driven implementation otherwise; both always give the same result.
// Thread-safe: no mutable state after static initialization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace northstar::crc32c {

// Returns the CRC32C of data[0, size) continued from `crc`, the CRC32C of the bytes before it
// (0 for none): Extend(Value(a), b) == Value(a ++ b).
[[nodiscard]] uint32_t Extend(uint32_t crc, const uint8_t* data, size_t size);

[[nodiscard]] inline uint32_t Value(const uint8_t* data, size_t size) {
  return Extend(0, data, size);
}
[[nodiscard]] inline uint32_t Value(std::span<const uint8_t> data) {
  return Extend(0, data.data(), data.size());
}
[[nodiscard]] inline uint32_t Value(std::string_view data) {
  return Extend(0, reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

// The two implementations behind Extend(), exposed so that tests can compare them.
[[nodiscard]] uint32_t ExtendPortable(uint32_t crc, const uint8_t* data, size_t size);
// Precondition: HardwareAvailable().
[[nodiscard]] uint32_t ExtendHardware(uint32_t crc, const uint8_t* data, size_t size);
[[nodiscard]] bool HardwareAvailable();

}  // namespace northstar::crc32c
