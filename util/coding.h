// Little-endian fixed-width encoding and decoding.
//
// Every on-disk integer in Northstar is little-endian, whatever the host. These functions take
// raw pointers because codecs work on page buffers; callers check bounds before calling (the
// format/ decoders do so and report Corruption when a length does not fit).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace northstar {

// A memcpy is the byte order on disk only on a little-endian host; a big-endian port would add
// byte swaps here and nowhere else.
static_assert(std::endian::native == std::endian::little, "Northstar assumes a little-endian host");

template <typename T>
inline void EncodeFixed(uint8_t* destination, T value) {
  static_assert(std::is_unsigned_v<T>);
  std::memcpy(destination, &value, sizeof(T));
}

template <typename T>
[[nodiscard]] inline T DecodeFixed(const uint8_t* source) {
  static_assert(std::is_unsigned_v<T>);
  T value;
  std::memcpy(&value, source, sizeof(T));
  return value;
}

inline void EncodeFixed16(uint8_t* destination, uint16_t value) { EncodeFixed(destination, value); }
inline void EncodeFixed32(uint8_t* destination, uint32_t value) { EncodeFixed(destination, value); }
inline void EncodeFixed64(uint8_t* destination, uint64_t value) { EncodeFixed(destination, value); }

[[nodiscard]] inline uint16_t DecodeFixed16(const uint8_t* source) {
  return DecodeFixed<uint16_t>(source);
}
[[nodiscard]] inline uint32_t DecodeFixed32(const uint8_t* source) {
  return DecodeFixed<uint32_t>(source);
}
[[nodiscard]] inline uint64_t DecodeFixed64(const uint8_t* source) {
  return DecodeFixed<uint64_t>(source);
}

}  // namespace northstar
