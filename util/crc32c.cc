#include "util/crc32c.h"

#include <array>

#include "util/assert.h"
#include "util/coding.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace northstar::crc32c {
namespace {

constexpr uint32_t kPolynomialReflected = 0x82F63B78;
constexpr int kSliceCount = 8;

using Table = std::array<std::array<uint32_t, 256>, kSliceCount>;

// tables[k][b] is the CRC register after feeding byte b followed by k zero bytes into a zero
// register, which is what lets slicing-by-8 fold eight input bytes with eight lookups.
constexpr Table MakeTables() {
  Table tables{};
  for (uint32_t byte = 0; byte < 256; byte++) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ ((crc & 1) ? kPolynomialReflected : 0);
    tables[0][byte] = crc;
  }
  for (int slice = 1; slice < kSliceCount; slice++) {
    for (uint32_t byte = 0; byte < 256; byte++) {
      const uint32_t previous = tables[slice - 1][byte];
      tables[slice][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

constexpr Table kTables = MakeTables();
// Spot checks that the generator is the Castagnoli table and not, say, the zlib one.
static_assert(kTables[0][1] == 0xF26B8303);
static_assert(kTables[0][128] == kPolynomialReflected);

uint32_t StepByte(uint32_t register_value, uint8_t byte) {
  return (register_value >> 8) ^ kTables[0][(register_value ^ byte) & 0xFF];
}

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const uint8_t* data, size_t size) {
  // The register holds the complement of the finished CRC: that is what makes Extend(Value(a), b)
  // continue exactly where Value(a) stopped.
  uint32_t register_value = ~crc;
  while (size >= 8) {
    const uint64_t word = DecodeFixed64(data) ^ register_value;
    register_value = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
                     kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
                     kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
                     kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    data += 8;
    size -= 8;
  }
  for (size_t index = 0; index < size; index++) {
    register_value = StepByte(register_value, data[index]);
  }
  return ~register_value;
}

#if defined(__x86_64__)

namespace {

// Compiled for SSE4.2 on its own, so the rest of the binary still runs on CPUs without it; only
// reached after HardwareAvailable() said yes.
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const uint8_t* data,
                                                       size_t size) {
  uint32_t register_value = ~crc;
  // Unaligned 8-byte loads are legal on x86 but cost more when they straddle a cache line.
  while (size > 0 && (reinterpret_cast<uintptr_t>(data) & 7) != 0) {
    register_value = _mm_crc32_u8(register_value, *data);
    data++;
    size--;
  }
  uint64_t register_wide = register_value;
  while (size >= 8) {
    register_wide = _mm_crc32_u64(register_wide, DecodeFixed64(data));
    data += 8;
    size -= 8;
  }
  register_value = static_cast<uint32_t>(register_wide);
  for (size_t index = 0; index < size; index++) {
    register_value = _mm_crc32_u8(register_value, data[index]);
  }
  return ~register_value;
}

}  // namespace

bool HardwareAvailable() {
  // __builtin_cpu_init() first: this may run from another translation unit's static initializer,
  // before the runtime has filled in the CPU model.
  static const bool available = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return available;
}

uint32_t ExtendHardware(uint32_t crc, const uint8_t* data, size_t size) {
  NS_ASSERT(HardwareAvailable());
  return ExtendSse42(crc, data, size);
}

#else  // !defined(__x86_64__)

bool HardwareAvailable() { return false; }

uint32_t ExtendHardware(uint32_t crc, const uint8_t* data, size_t size) {
  NS_ASSERT_MSG(HardwareAvailable(), "the CRC32C hardware path is only built for x86-64");
  return ExtendPortable(crc, data, size);
}

#endif

uint32_t Extend(uint32_t crc, const uint8_t* data, size_t size) {
  if (HardwareAvailable()) return ExtendHardware(crc, data, size);
  return ExtendPortable(crc, data, size);
}

}  // namespace northstar::crc32c
