#include "util/random.h"

#include "util/hash.h"

namespace northstar {
namespace {

// __extension__: the 128-bit type is a GCC/clang extension, and -Wpedantic rejects it otherwise.
__extension__ typedef unsigned __int128 Uint128;

constexpr uint64_t RotateLeft(uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

}  // namespace

uint64_t SplitMix64::Next() {
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t DeriveSeed(uint64_t root_seed, std::string_view name) {
  // Hash the name with the root as XXH3's seed, then mix once more so that neighbouring roots
  // give unrelated children.
  SplitMix64 mixer(Xxh3_64(name, root_seed));
  return mixer.Next();
}

Rng::Rng(uint64_t seed) : seed_(seed) {
  SplitMix64 expander(seed);
  for (uint64_t& word : state_) word = expander.Next();
  // xoshiro's state must not be all zero; splitmix64 never yields four zeros in a row, but the
  // generator would be stuck forever if it did, so check.
  NS_ASSERT((state_[0] | state_[1] | state_[2] | state_[3]) != 0);
}

uint64_t Rng::Next() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t shifted = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= shifted;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t Rng::Uniform(uint64_t bound) {
  NS_ASSERT(bound > 0);
  // Lemire, "Fast Random Integer Generation in an Interval" (2019): the high word of a 128-bit
  // product, rejecting the few low words that would bias the result.
  Uint128 product = static_cast<Uint128>(Next()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<Uint128>(Next()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

uint64_t Rng::UniformInclusive(uint64_t low, uint64_t high) {
  NS_ASSERT(low <= high);
  const uint64_t span = high - low;
  if (span == UINT64_MAX) return Next();
  return low + Uniform(span + 1);
}

double Rng::NextDouble() {
  // The top 53 bits times 2^-53: exact in a double, so identical everywhere.
  return static_cast<double>(Next() >> 11) * 0x1.0p-53;
}

bool Rng::Chance(double probability) {
  const double draw = NextDouble();
  if (probability <= 0.0) return false;
  if (probability >= 1.0) return true;
  return draw < probability;
}

}  // namespace northstar
