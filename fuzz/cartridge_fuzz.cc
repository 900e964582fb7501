// Fuzz target: the cartridge decoder, DecodeCartridge and its lookups
// (cartridge/cartridge_format.h, spec/cartridge_format.md CF-6..CF-10).
//
// Input: a whole cartridge file. Checks: a rejection is DataLoss with a message (the decoder
// never reads outside the input: ASan in the fuzz and asan presets); an accepted file re-encodes
// from its decoded content to the same bytes (one encoding per content, CF-10), and its lookups
// agree with that content: types ascending, each type's ids ascending with count() equal to
// their number and contains() true for each, an absent type empty. The custom mutator re-seals
// both checksums after libFuzzer's mutation most of the time, so that mutants reach the checks
// behind them.
#include <algorithm>
#include <span>
#include <vector>

#include "cartridge/cartridge_format.h"
#include "fuzz/fuzz_target.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar;
  using namespace northstar::cartridge;
  const std::span<const uint8_t> bytes(data, size);
  const absl::StatusOr<CartridgeView> view = DecodeCartridge(bytes);
  if (!view.ok()) {
    fuzz::AssertCorruption(view.status(), "DecodeCartridge");
    return 0;
  }
  const PendingTasks content = view->ToContent();
  const std::vector<uint8_t> again = EncodeCartridge(view->watermark_txn(), content);
  NS_ASSERT_MSG(std::equal(bytes.begin(), bytes.end(), again.begin(), again.end()),
                "re-encoding a decoded cartridge gave different bytes");
  NS_ASSERT(view->types().size() == content.size());
  uint64_t ids = 0;
  for (const auto& [type, type_ids] : content) {
    const PendingIds pending = view->pending(type);
    NS_ASSERT(pending.size() == type_ids.size());
    NS_ASSERT(view->count(type) == type_ids.size());
    for (uint64_t id : type_ids) NS_ASSERT(pending.contains(id));
    ids += type_ids.size();
  }
  NS_ASSERT(ids == view->id_count());
  NS_ASSERT(view->pending("no-such-type-because-it-is-far-too-long").empty());
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  using namespace northstar::cartridge;
  size = LLVMFuzzerMutate(data, size, max_size);
  if (size < kCartridgeHeaderBytes || northstar::Rng(seed).OneIn(4)) return size;
  northstar::EncodeFixed32(
      data + kCartridgeBodyCrcOffset,
      northstar::crc32c::Value(data + kCartridgeHeaderBytes, size - kCartridgeHeaderBytes));
  northstar::EncodeFixed32(data + kCartridgeHeaderCrcOffset,
                           northstar::crc32c::Value(data, kCartridgeHeaderCrcOffset));
  return size;
}
