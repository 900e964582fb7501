#include "engine/tree_node.h"

#include <string_view>

#include "util/assert.h"

namespace northstar::engine {

size_t Node::used_bytes() const {
  size_t bytes = 0;
  if (is_leaf) {
    for (const LeafEntry& entry : entries) bytes += LeafCellBytes(entry.cell());
  } else {
    for (const std::string& key : keys) bytes += BranchCellBytes(key.size());
  }
  return bytes;
}

Node NodeFromLeaf(const LeafView& view) {
  Node node;
  node.is_leaf = true;
  node.entries.reserve(view.size());
  for (size_t index = 0; index < view.size(); index++) {
    LeafEntry entry;
    entry.key = view.key(index);
    entry.value_size_bytes = view.value_size_bytes(index);
    if (view.is_overflow(index)) {
      entry.overflow_page = view.overflow_page(index);
    } else {
      entry.value = view.inline_value(index);
    }
    node.entries.push_back(std::move(entry));
  }
  return node;
}

Node NodeFromBranch(const BranchView& view) {
  Node node;
  node.is_leaf = false;
  node.keys.reserve(view.key_count());
  node.children.reserve(view.child_count());
  for (size_t index = 0; index < view.key_count(); index++) node.keys.emplace_back(view.key(index));
  for (size_t index = 0; index < view.child_count(); index++)
    node.children.push_back(view.child(index));
  return node;
}

void EncodeNode(const Node& node, const PageHeader& header, std::span<uint8_t> page) {
  if (node.is_leaf) {
    std::vector<LeafCell> cells;
    cells.reserve(node.entries.size());
    for (const LeafEntry& entry : node.entries) cells.push_back(entry.cell());
    EncodeLeaf(cells, header, page);
    return;
  }
  NS_ASSERT(node.children.size() == node.keys.size() + 1);
  std::vector<std::string_view> keys(node.keys.begin(), node.keys.end());
  EncodeBranch(keys, node.children, header, page);
}

size_t NodeCapacityBytes(const Node& node, uint32_t page_size_bytes) {
  return node.is_leaf ? LeafCapacityBytes(page_size_bytes) : BranchCapacityBytes(page_size_bytes);
}

}  // namespace northstar::engine
