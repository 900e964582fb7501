// Seeded, reproducible random number streams.
//
// Every random decision in Northstar comes from an Rng derived from one root seed by name
// ("schedule", "faults", "workload", ...), so that drawing more numbers in one part of a run
// never shifts the numbers another part sees: shrinking and replay depend on it.
//
// The generator is xoshiro256** seeded through splitmix64; uniform integers use Lemire's
// multiply-and-reject method (no modulo bias), probabilities use 53-bit fractions. Every step
// is integer arithmetic or an exact double operation, so the same seed gives the same numbers
// on every compiler and build type. Not thread-safe: one stream per owner.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "util/assert.h"

namespace northstar {

// splitmix64: a 64-bit mixer, used to expand one seed into generator state and to derive seeds.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  [[nodiscard]] uint64_t Next();

 private:
  uint64_t state_;
};

// The seed of the sub-stream called `name` under `root_seed`. Distinct names give unrelated
// seeds; the result depends only on (root_seed, name).
[[nodiscard]] uint64_t DeriveSeed(uint64_t root_seed, std::string_view name);

class Rng {
 public:
  explicit Rng(uint64_t seed);

  // The stream called `name` under this stream's own seed (not its current position): deriving
  // gives the same stream however many numbers this one has drawn.
  [[nodiscard]] Rng Derive(std::string_view name) const { return Rng(DeriveSeed(seed_, name)); }
  [[nodiscard]] uint64_t seed() const { return seed_; }

  [[nodiscard]] uint64_t Next();
  // Uniform in [0, bound). Precondition: bound > 0.
  [[nodiscard]] uint64_t Uniform(uint64_t bound);
  // Uniform in [low, high], both ends included. Precondition: low <= high.
  [[nodiscard]] uint64_t UniformInclusive(uint64_t low, uint64_t high);
  // Uniform in [0, 1) with 53 bits of precision.
  [[nodiscard]] double NextDouble();
  // True with probability `probability` (clamped to [0, 1]); draws exactly one number.
  [[nodiscard]] bool Chance(double probability);
  // True with probability 1/n. Precondition: n > 0.
  [[nodiscard]] bool OneIn(uint64_t n) { return Uniform(n) == 0; }

  // Fisher–Yates shuffle.
  template <typename T>
  void Shuffle(std::span<T> items) {
    for (size_t index = items.size(); index > 1; index--) {
      size_t other = static_cast<size_t>(Uniform(index));
      std::swap(items[index - 1], items[other]);
    }
  }

 private:
  uint64_t seed_;
  uint64_t state_[4];
};

}  // namespace northstar
