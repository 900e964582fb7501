// Owned, mutable B+tree nodes: what a write transaction edits before encoding them as pages.
//
// Committed pages are read through zero-copy views (format/node.h); a write transaction copies
// a node out of its page once (copy-on-write), edits it in memory any number of times, and
// encodes it once at commit.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/format/node.h"
#include "engine/format/types.h"

namespace northstar::engine {

struct LeafEntry {
  std::string key;
  std::string value;  // Empty when the value is on overflow pages.
  PageId overflow_page = kNoPage;
  uint32_t value_size_bytes = 0;

  [[nodiscard]] LeafCell cell() const { return {key, value, overflow_page, value_size_bytes}; }
};

struct Node {
  bool is_leaf = true;
  std::vector<LeafEntry> entries;  // Leaf: sorted by key.
  std::vector<std::string> keys;   // Branch: separators, sorted.
  std::vector<PageId> children;    // Branch: keys.size() + 1 children.

  // Bytes of slots and cells this node takes when encoded.
  [[nodiscard]] size_t used_bytes() const;
  [[nodiscard]] size_t item_count() const { return is_leaf ? entries.size() : keys.size(); }
};

[[nodiscard]] Node NodeFromLeaf(const LeafView& view);
[[nodiscard]] Node NodeFromBranch(const BranchView& view);
// Encodes into a whole page (zero-filled and sealed). Asserts the node fits.
void EncodeNode(const Node& node, const PageHeader& header, std::span<uint8_t> page);
[[nodiscard]] size_t NodeCapacityBytes(const Node& node, uint32_t page_size_bytes);

}  // namespace northstar::engine
