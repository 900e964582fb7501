// Fuzz canary: a target with a planted bug, to prove that the fuzzing set-up can find one. NOT
// part of the CTest set; fuzz/run_canary.sh builds it, fuzzes it from an empty corpus and fails
// unless libFuzzer reports the out-of-bounds read within 60 seconds.
//
// Input: length-prefixed records, [u8 length][length bytes]..., each checked to fit. The bug: a
// record whose first four bytes are "CNRY" also reads the byte right after the record, which is
// one past the input when that record is the last one (a heap-buffer-overflow under ASan).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/fuzz_target.h"

namespace {

constexpr uint32_t kCanaryMagic = 0x59524E43;  // The bytes "CNRY" read as little-endian.

// Consumes the result so the compiler keeps the read.
volatile uint32_t g_checksum = 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t position = 0;
  while (position < size) {
    const size_t length = data[position];
    const size_t begin = position + 1;
    if (length > size - begin) return 0;  // The length is checked...
    uint32_t magic = 0;
    if (length >= sizeof(magic)) std::memcpy(&magic, data + begin, sizeof(magic));
    uint32_t sum = 0;
    for (size_t index = 0; index < length; index++) sum += data[begin + index];
    if (magic == kCanaryMagic) sum += data[begin + length];  // ...but this reads one past it.
    g_checksum = g_checksum + sum;
    position = begin + length;
  }
  return 0;
}
