// Fuzz target: the page header check, CheckPage (engine/format/page.h, FF-1..FF-4).
//
// Input: one selector byte, then the page. The selector picks what the caller expects:
//   bits 0-2  expected type: 0 none (CheckPage without a type), 1..5 a PageType, 6..7 none
//   bits 3-4  expected page id: 0 the id the header claims, 1 that + 1, 2 kNoPage, 3 2^40
// Checks: a rejection is DataLoss with a message naming the expected page id; an accepted page
// has the expected id and type, its header fields read back, and SealPage over the same body
// with the decoded header reproduces the page byte for byte (the checksum included).
// The custom mutator re-seals the page's checksum half the time.
#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format/page.h"
#include "engine/format/types.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/node_mutator.h"
#include "util/random.h"

namespace northstar::fuzz {
namespace {

using engine::PageHeader;
using engine::PageId;
using engine::PageType;

std::optional<PageType> ExpectedType(uint8_t selector) {
  const uint8_t raw = selector & 7;
  if (raw < static_cast<uint8_t>(PageType::kMeta) ||
      raw > static_cast<uint8_t>(PageType::kFreeList)) {
    return std::nullopt;
  }
  return static_cast<PageType>(raw);
}

PageId ExpectedPageId(uint8_t selector, std::span<const uint8_t> page) {
  const PageId claimed = ClaimedPageId(page, engine::kFirstDataPage);
  switch ((selector >> 3) & 3) {
    case 0:
      return claimed;
    case 1:
      return claimed + 1;
    case 2:
      return engine::kNoPage;
    default:
      return engine::kPageCountMax;
  }
}

void CheckAccepted(std::span<const uint8_t> page, const PageHeader& header, PageId page_id,
                   std::optional<PageType> type) {
  NS_ASSERT(header.page_id == page_id);
  NS_ASSERT(!type.has_value() || header.type == *type);
  NS_ASSERT(header.txn_id == DecodeFixed64(page.data() + 16));
  NS_ASSERT(engine::PageChecksum(page) == DecodeFixed32(page.data() + 24));
  std::vector<uint8_t> resealed(page.begin(), page.end());
  engine::SealPage(resealed, header);
  NS_ASSERT_MSG(std::equal(page.begin(), page.end(), resealed.begin()),
                "SealPage over an accepted page changed its bytes");
}

}  // namespace
}  // namespace northstar::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar::fuzz;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::span<const uint8_t> page(data + 1, size - 1);
  const auto type = ExpectedType(selector);
  const northstar::engine::PageId page_id = ExpectedPageId(selector, page);
  const absl::StatusOr<northstar::engine::PageHeader> header =
      type.has_value() ? northstar::engine::CheckPage(page, page_id, *type)
                       : northstar::engine::CheckPage(page, page_id);
  if (header.ok()) {
    CheckAccepted(page, *header, page_id, type);
    return 0;
  }
  AssertCorruption(header.status(), "CheckPage");
  const std::string named = absl::StrFormat("page %d", page_id);
  NS_ASSERT_MSG(header.status().message().find(named) != std::string::npos,
                "CheckPage error does not name the page: " + header.status().ToString());
  return 0;
}

// libFuzzer's mutation, then half the time a fresh checksum over the page after the selector.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (size > 1 && northstar::Rng(seed).OneIn(2)) northstar::fuzz::ResealPage(data + 1, size - 1);
  return size;
}
