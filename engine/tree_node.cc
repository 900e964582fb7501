#include "engine/tree_node.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "util/assert.h"

namespace northstar::engine {
namespace {

// Blocks hold several 16 KiB page copies; a larger request gets a block of its own.
constexpr size_t kArenaBlockBytes = size_t{256} << 10;

}  // namespace

char* NodeArena::allocate(size_t size_bytes) {
  if (size_bytes > free_bytes_) {
    const size_t block_bytes = std::max(kArenaBlockBytes, size_bytes);
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_bytes));
    bytes_reserved_ += block_bytes;
    free_begin_ = blocks_.back().get();
    free_bytes_ = block_bytes;
  }
  char* begin = free_begin_;
  free_begin_ += size_bytes;
  free_bytes_ -= size_bytes;
  return begin;
}

std::string_view NodeArena::copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  char* begin = allocate(bytes.size());
  std::copy(bytes.begin(), bytes.end(), begin);
  return {begin, bytes.size()};
}

std::span<const uint8_t> NodeArena::copy(std::span<const uint8_t> bytes) {
  const std::string_view copied =
      copy(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return {reinterpret_cast<const uint8_t*>(copied.data()), copied.size()};
}

size_t Node::counted_bytes() const {
  size_t bytes = 0;
  if (is_leaf) {
    for (const LeafEntry& entry : entries) bytes += EntryBytes(entry);
  } else {
    for (std::string_view key : keys) bytes += SeparatorBytes(key);
  }
  return bytes;
}

Node NodeFromLeaf(std::span<const uint8_t> page, NodeArena& arena) {
  const LeafView view = LeafView::FromVerified(arena.copy(page));
  Node node;
  node.is_leaf = true;
  node.entries.reserve(view.size());
  for (size_t index = 0; index < view.size(); index++) {
    LeafEntry entry{view.key(index), {}, kNoPage, view.value_size_bytes(index)};
    if (view.is_overflow(index)) {
      entry.overflow_page = view.overflow_page(index);
    } else {
      entry.value = view.inline_value(index);
    }
    node.used_bytes += EntryBytes(entry);
    node.entries.push_back(entry);
  }
  return node;
}

Node NodeFromBranch(std::span<const uint8_t> page, NodeArena& arena) {
  const BranchView view = BranchView::FromVerified(arena.copy(page));
  Node node;
  node.is_leaf = false;
  node.keys.reserve(view.key_count());
  node.children.reserve(view.child_count());
  for (size_t index = 0; index < view.key_count(); index++) {
    node.keys.push_back(view.key(index));
    node.used_bytes += SeparatorBytes(node.keys.back());
  }
  for (size_t index = 0; index < view.child_count(); index++) {
    node.children.push_back(view.child(index));
  }
  return node;
}

void EncodeNode(const Node& node, const PageHeader& header, std::span<uint8_t> page) {
  NS_ASSERT_MSG(node.used_bytes == node.counted_bytes(),
                absl::StrFormat("node of page %d: used_bytes %d, counted %d", header.page_id,
                                node.used_bytes, node.counted_bytes()));
  if (node.is_leaf) {
    EncodeLeaf(node.entries, header, page);
    return;
  }
  NS_ASSERT(node.children.size() == node.keys.size() + 1);
  EncodeBranch(node.keys, node.children, header, page);
}

size_t NodeCapacityBytes(const Node& node, uint32_t page_size_bytes) {
  return node.is_leaf ? LeafCapacityBytes(page_size_bytes) : BranchCapacityBytes(page_size_bytes);
}

}  // namespace northstar::engine
