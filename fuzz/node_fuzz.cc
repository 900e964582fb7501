// Fuzz target: the data-page decoders, LeafView::Parse, BranchView::Parse, ParseOverflow and
// ParseFreeList (engine/format/node.h, overflow.h).
//
// Input: one page, exactly as on disk (its size is the page size; only 4096..65536 powers of two
// can pass). Every decoder runs on every input, with the page id the header claims when the
// pager could ask for it (below kPageCountMax), so the id check passes and the body checks run;
// page_header_fuzz covers every other expected id. Checks (FF-5, FF-7):
// - a rejection is DataLoss with a message; at most one decoder accepts a page (types differ);
// - an accepted page's accessors agree with each other (lower_bound / child_index find each key);
// - an accepted page re-encodes from its decoded content to the same bytes, and that decodes to
//   the same content again.
// The custom mutator (node_mutator.h) knows the node layout and re-seals checksums.
#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "engine/format/node.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "fuzz/fuzz_target.h"
#include "fuzz/node_mutator.h"

namespace northstar::fuzz {
namespace {

using engine::PageHeader;
using engine::PageId;

void AssertSameBytes(std::span<const uint8_t> expected, std::span<const uint8_t> actual,
                     const char* what) {
  NS_ASSERT_MSG(std::equal(expected.begin(), expected.end(), actual.begin(), actual.end()),
                std::string(what) + ": re-encoding a decoded page gave different bytes");
}

// The header of a page a decoder accepted (so CheckPage must accept it too).
PageHeader AcceptedHeader(std::span<const uint8_t> page, PageId page_id) {
  const absl::StatusOr<PageHeader> header = engine::CheckPage(page, page_id);
  NS_ASSERT_MSG(header.ok(), "a decoder accepted a page CheckPage rejects");
  return *header;
}

void AssertLeafConsistent(const engine::LeafView& leaf) {
  for (size_t index = 0; index < leaf.size(); index++) {
    NS_ASSERT(leaf.lower_bound(leaf.key(index)) == index);
    const engine::LeafCell cell = leaf.cell(index);
    NS_ASSERT(cell.key == leaf.key(index));
    NS_ASSERT(cell.value_size_bytes == leaf.value_size_bytes(index));
    NS_ASSERT(leaf.is_overflow(index) == (cell.overflow_page != engine::kNoPage));
    if (!leaf.is_overflow(index)) NS_ASSERT(cell.value.size() == cell.value_size_bytes);
  }
}

// Returns whether the page was accepted.
bool CheckLeaf(std::span<const uint8_t> page, PageId page_id) {
  const absl::StatusOr<engine::LeafView> leaf = engine::LeafView::Parse(page, page_id);
  if (!leaf.ok()) {
    AssertCorruption(leaf.status(), "LeafView::Parse");
    return false;
  }
  AssertLeafConsistent(*leaf);
  std::vector<engine::LeafCell> cells;
  for (size_t index = 0; index < leaf->size(); index++) cells.push_back(leaf->cell(index));
  std::vector<uint8_t> again(page.size());
  engine::EncodeLeaf(cells, AcceptedHeader(page, page_id), again);
  AssertSameBytes(page, again, "leaf");
  const absl::StatusOr<engine::LeafView> reparsed = engine::LeafView::Parse(again, page_id);
  NS_ASSERT_MSG(reparsed.ok(), reparsed.status().ToString());
  NS_ASSERT(reparsed->size() == leaf->size());
  return true;
}

bool CheckBranch(std::span<const uint8_t> page, PageId page_id) {
  const absl::StatusOr<engine::BranchView> branch = engine::BranchView::Parse(page, page_id);
  if (!branch.ok()) {
    AssertCorruption(branch.status(), "BranchView::Parse");
    return false;
  }
  std::vector<std::string_view> keys;
  std::vector<PageId> children;
  for (size_t index = 0; index < branch->key_count(); index++) {
    keys.push_back(branch->key(index));
    NS_ASSERT(branch->child_index(keys.back()) == index + 1);
  }
  for (size_t index = 0; index < branch->child_count(); index++) {
    children.push_back(branch->child(index));
  }
  std::vector<uint8_t> again(page.size());
  engine::EncodeBranch(keys, children, AcceptedHeader(page, page_id), again);
  AssertSameBytes(page, again, "branch");
  const absl::StatusOr<engine::BranchView> reparsed = engine::BranchView::Parse(again, page_id);
  NS_ASSERT_MSG(reparsed.ok(), reparsed.status().ToString());
  NS_ASSERT(reparsed->key_count() == branch->key_count());
  return true;
}

bool CheckOverflow(std::span<const uint8_t> page, PageId page_id) {
  const absl::StatusOr<engine::OverflowView> overflow = engine::ParseOverflow(page, page_id);
  if (!overflow.ok()) {
    AssertCorruption(overflow.status(), "ParseOverflow");
    return false;
  }
  std::vector<uint8_t> again(page.size());
  engine::EncodeOverflow(overflow->chunk, overflow->next, AcceptedHeader(page, page_id), again);
  AssertSameBytes(page, again, "overflow");
  const absl::StatusOr<engine::OverflowView> reparsed = engine::ParseOverflow(again, page_id);
  NS_ASSERT_MSG(reparsed.ok(), reparsed.status().ToString());
  NS_ASSERT(reparsed->next == overflow->next && reparsed->chunk == overflow->chunk);
  return true;
}

bool CheckFreeList(std::span<const uint8_t> page, PageId page_id) {
  const absl::StatusOr<engine::FreeListView> list = engine::ParseFreeList(page, page_id);
  if (!list.ok()) {
    AssertCorruption(list.status(), "ParseFreeList");
    return false;
  }
  std::vector<PageId> ids;
  for (size_t index = 0; index < list->size(); index++) ids.push_back(list->id(index));
  std::vector<uint8_t> again(page.size());
  engine::EncodeFreeList(ids, list->next, AcceptedHeader(page, page_id), again);
  AssertSameBytes(page, again, "free list");
  const absl::StatusOr<engine::FreeListView> reparsed = engine::ParseFreeList(again, page_id);
  NS_ASSERT_MSG(reparsed.ok(), reparsed.status().ToString());
  NS_ASSERT(reparsed->size() == list->size() && reparsed->next == list->next);
  return true;
}

}  // namespace
}  // namespace northstar::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace northstar::fuzz;
  const std::span<const uint8_t> page(data, size);
  const northstar::engine::PageId claimed = ClaimedPageId(page, northstar::engine::kFirstDataPage);
  const northstar::engine::PageId page_id =
      claimed < northstar::engine::kPageCountMax ? claimed : northstar::engine::kFirstDataPage;
  const int accepted = CheckLeaf(page, page_id) + CheckBranch(page, page_id) +
                       CheckOverflow(page, page_id) + CheckFreeList(page, page_id);
  NS_ASSERT_MSG(accepted <= 1, "two decoders accepted the same page");
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return northstar::fuzz::MutateNodePage(data, size, max_size, seed);
}
