// Mutable B+tree nodes: what a write transaction edits before encoding them as pages.
//
// Committed pages are read through zero-copy views (format/node.h); a write transaction copies
// a node out of its page once (copy-on-write), edits it in memory any number of times, and
// encodes it once at commit.
//
// A node's keys and values are views into its transaction's NodeArena: copying a node out of a
// page is one copy of the page into the arena, not an allocation per key and value (which, for
// a leaf of a hundred entries, was most of the cost of a random insert).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/format/node.h"
#include "engine/format/types.h"

namespace northstar::engine {

// Bytes that live as long as one write transaction: pages copied out of the cache, keys and
// values put. Blocks never move, so views into them stay valid until the arena goes; nothing is
// freed before that (a transaction's edits are bounded by its ops and the pages it copies).
class NodeArena {
 public:
  NodeArena() = default;
  NodeArena(const NodeArena&) = delete;
  NodeArena& operator=(const NodeArena&) = delete;

  // A copy of `bytes` that stays put until the arena is destroyed.
  [[nodiscard]] std::string_view copy(std::string_view bytes);
  [[nodiscard]] std::span<const uint8_t> copy(std::span<const uint8_t> bytes);
  [[nodiscard]] uint64_t bytes_reserved() const { return bytes_reserved_; }

 private:
  [[nodiscard]] char* allocate(size_t size_bytes);

  std::vector<std::unique_ptr<char[]>> blocks_;
  char* free_begin_ = nullptr;
  size_t free_bytes_ = 0;
  uint64_t bytes_reserved_ = 0;
};

// An entry of a leaf: its key and inline value are views into the node's arena.
using LeafEntry = LeafCell;

struct Node {
  bool is_leaf = true;
  std::vector<LeafEntry> entries;      // Leaf: sorted by key.
  std::vector<std::string_view> keys;  // Branch: separators, sorted.
  std::vector<PageId> children;        // Branch: keys.size() + 1 children.
  // Bytes of slots and cells this node takes when encoded. Every edit keeps it current (the
  // write path reads it on every insert, so counting it there would cost a pass over the node
  // per put); EncodeNode checks it against a full count.
  size_t used_bytes = 0;

  [[nodiscard]] size_t item_count() const { return is_leaf ? entries.size() : keys.size(); }
  // used_bytes counted from the entries or keys.
  [[nodiscard]] size_t counted_bytes() const;
  void recount() { used_bytes = counted_bytes(); }
};

// The node of a verified page; its keys and values point into a copy of the page in `arena`.
[[nodiscard]] Node NodeFromLeaf(std::span<const uint8_t> page, NodeArena& arena);
[[nodiscard]] Node NodeFromBranch(std::span<const uint8_t> page, NodeArena& arena);
// Encodes into a whole page (zero-filled and sealed). Asserts the node fits and that its
// used_bytes is right.
void EncodeNode(const Node& node, const PageHeader& header, std::span<uint8_t> page);
[[nodiscard]] size_t NodeCapacityBytes(const Node& node, uint32_t page_size_bytes);
// What one entry or separator adds to used_bytes.
[[nodiscard]] inline size_t EntryBytes(const LeafEntry& entry) { return LeafCellBytes(entry); }
[[nodiscard]] inline size_t SeparatorBytes(std::string_view key) {
  return BranchCellBytes(key.size());
}

}  // namespace northstar::engine
