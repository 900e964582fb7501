// Fuzz target: the meta page decoder, DecodeMeta and PeekMetaPageSize (engine/format/meta.h,
// FF-10..FF-16).
//
// Input: one page as on disk. It is decoded as slot A or B by the low bit of the page id it
// claims, so that both slots and the id check are reachable. Checks: a rejection is DataLoss
// with a message; an accepted page re-encodes (EncodeMeta) to the same bytes, decodes again to
// the same Meta, and its page_size_bytes is what PeekMetaPageSize reads from the first bytes.
// The custom mutator re-seals the checksum after libFuzzer's mutation most of the time.
#include <algorithm>
#include <span>
#include <vector>

#include "engine/format/meta.h"
#include "engine/format/types.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/node_mutator.h"
#include "util/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar;
  const std::span<const uint8_t> page(data, size);
  const engine::PageId slot = fuzz::ClaimedPageId(page, engine::kMetaPageA) & 1;
  const absl::StatusOr<engine::Meta> meta = engine::DecodeMeta(page, slot);
  if (!meta.ok()) {
    fuzz::AssertCorruption(meta.status(), "DecodeMeta");
    return 0;
  }
  NS_ASSERT(engine::PeekMetaPageSize(page.first(36)) == meta->page_size_bytes);
  std::vector<uint8_t> again(size);
  engine::EncodeMeta(*meta, slot, again);
  NS_ASSERT_MSG(std::equal(page.begin(), page.end(), again.begin()),
                "re-encoding a decoded meta page gave different bytes");
  const absl::StatusOr<engine::Meta> reparsed = engine::DecodeMeta(again, slot);
  NS_ASSERT_MSG(reparsed.ok(), reparsed.status().ToString());
  NS_ASSERT(*reparsed == *meta);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (!northstar::Rng(seed).OneIn(4)) northstar::fuzz::ResealPage(data, size);
  return size;
}
