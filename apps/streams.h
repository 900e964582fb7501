// Per-item random streams for the application workloads: the draws about one item (a function's
// calls, a file's imports, a transaction's writes) come from a stream seeded by (seed, stream,
// index), so that any item is generated alone, in O(1), without generating the items before it.
#pragma once

#include <cstdint>

#include "util/random.h"

namespace northstar::apps {

// The seed of item `index` of stream `stream` under `seed`: splitmix64 applied twice, so that
// neighbouring indexes and streams give unrelated seeds.
[[nodiscard]] inline uint64_t StreamSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  SplitMix64 outer(seed ^ (stream * 0x9e3779b97f4a7c15ULL));
  SplitMix64 inner(outer.Next() ^ (index * 0xd1b54a32d192ed03ULL));
  return inner.Next();
}

}  // namespace northstar::apps
