// XXH3-64: the fast non-cryptographic hash behind trace hashes and disk image hashes.
//
// Results are stable across compilers, build types and runs (xxHash specifies the output), which
// is what lets a trace hash printed by one machine be compared with a replay on another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace northstar {

[[nodiscard]] uint64_t Xxh3_64(const void* data, size_t size, uint64_t seed = 0);
[[nodiscard]] inline uint64_t Xxh3_64(std::string_view data, uint64_t seed = 0) {
  return Xxh3_64(data.data(), data.size(), seed);
}
[[nodiscard]] inline uint64_t Xxh3_64(std::span<const uint8_t> data, uint64_t seed = 0) {
  return Xxh3_64(data.data(), data.size(), seed);
}
// Xxh3_64("literal", seed) would bind to the (pointer, size) overload and silently hash the first
// `seed` bytes with seed 0; a char array with two arguments is therefore a compile error. Write
// Xxh3_64(std::string_view("literal"), seed), or pass a char buffer as a pointer and a size.
template <size_t N>
uint64_t Xxh3_64(const char (&text)[N], uint64_t seed) = delete;

// Streaming XXH3-64: Update() any number of times, Digest() at any point (it does not end the
// stream). Hashing in pieces gives the same value as hashing the concatenation at once.
class Xxh3Stream {
 public:
  explicit Xxh3Stream(uint64_t seed = 0);
  ~Xxh3Stream();
  Xxh3Stream(const Xxh3Stream&) = delete;
  Xxh3Stream& operator=(const Xxh3Stream&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Feeds the 8 little-endian bytes of `value`.
  void UpdateU64(uint64_t value);
  [[nodiscard]] uint64_t Digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace northstar
