#include "util/hash.h"

#include <xxhash.h>

#include "util/assert.h"
#include "util/coding.h"

namespace northstar {

uint64_t Xxh3_64(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

// The library allocates the state (XXH3_createState) rather than us embedding XXH3_state_t: its
// layout is only public under XXH_STATIC_LINKING_ONLY and may change between versions of the
// shared library.
struct Xxh3Stream::State {
  XXH3_state_t* xxh3 = nullptr;

  State() : xxh3(XXH3_createState()) { NS_ASSERT_MSG(xxh3 != nullptr, "out of memory"); }
  ~State() { XXH3_freeState(xxh3); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
};

Xxh3Stream::Xxh3Stream(uint64_t seed) : state_(std::make_unique<State>()) {
  const XXH_errorcode result = XXH3_64bits_reset_withSeed(state_->xxh3, seed);
  NS_ASSERT(result == XXH_OK);
}

Xxh3Stream::~Xxh3Stream() = default;

void Xxh3Stream::Update(const void* data, size_t size) {
  const XXH_errorcode result = XXH3_64bits_update(state_->xxh3, data, size);
  NS_ASSERT(result == XXH_OK);
}

void Xxh3Stream::UpdateU64(uint64_t value) {
  uint8_t bytes[sizeof(value)];
  EncodeFixed64(bytes, value);
  Update(bytes, sizeof(bytes));
}

uint64_t Xxh3Stream::Digest() const { return XXH3_64bits_digest(state_->xxh3); }

}  // namespace northstar
