// WriteTree: the copy-on-write B+tree of one write transaction.
//
// The first change to a committed page copies it into a new page (allocated from the
// PageAllocator; the old one is freed as "committed", so that snapshots and the previous meta
// keep it) and the parent is re-pointed, up to a new root. Later changes in the same transaction
// edit the copy in memory. Nodes split when they overflow a page and merge with, or borrow from,
// a sibling when they fall under a quarter full; the root collapses when it has one child, and
// the tree becomes empty when its last key goes. Values too large for a leaf go to a run of
// consecutive overflow pages, written once.
//
// Nothing is written to disk here: at commit the owner encodes every page this transaction
// produced (for_each_page) and writes them. Not thread-safe: the single writer owns it.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/allocator.h"
#include "engine/btree.h"
#include "engine/tree_node.h"

namespace northstar::engine {

class WriteTree {
 public:
  WriteTree(PageReader& reader, PageAllocator& allocator, const TreeState& tree, TxnId txn_id);

  // Read-your-writes lookup.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> get(std::string_view key);
  // Inserts or replaces. InvalidArgument when the key or value exceeds the limits.
  [[nodiscard]] absl::Status put(std::string_view key, std::string_view value);
  // Removes `key`; false if it was not there.
  [[nodiscard]] absl::StatusOr<bool> remove(std::string_view key);

  [[nodiscard]] const TreeState& state() const { return tree_; }
  [[nodiscard]] bool changed() const { return !dirty_.empty() || tree_ != base_; }
  // Calls `write` with every page this transaction produced, sealed, ascending by page id.
  [[nodiscard]] absl::Status for_each_page(
      const std::function<absl::Status(PageId, std::span<const uint8_t>)>& write) const;

 private:
  struct Split {
    std::string_view separator;  // Into arena_.
    PageId right = kNoPage;
  };
  struct Insert {
    PageId page = kNoPage;
    std::optional<Split> split;
  };

  // The id of a writable copy of `page_id` (itself if already written in this transaction).
  [[nodiscard]] absl::StatusOr<PageId> writable(PageId page_id, uint32_t depth);
  // `rightmost`: page_id is the last node of its level (every step from the root took the last
  // child), where an append is a sequential load's.
  [[nodiscard]] absl::StatusOr<Insert> insert(PageId page_id, uint32_t depth, LeafEntry entry,
                                              bool rightmost);
  [[nodiscard]] absl::StatusOr<PageId> erase(PageId page_id, uint32_t depth, std::string_view key);
  [[nodiscard]] absl::Status rebalance(Node& parent, size_t child_index, uint32_t child_depth);
  void merge(Node& parent, size_t left_index);
  void redistribute(Node& parent, size_t left_index);
  // `appended`: the item that overfilled the node is its last, in the tree's rightmost node.
  [[nodiscard]] std::optional<Split> split_if_full(Node& node, bool appended);
  void collapse_root();
  [[nodiscard]] bool underflows(const Node& node) const;

  [[nodiscard]] absl::StatusOr<LeafEntry> make_entry(std::string_view key, std::string_view value);
  void release_value(const LeafEntry& entry);
  void free_page(PageId page_id);
  [[nodiscard]] absl::StatusOr<std::string> value_of(const LeafEntry& entry);
  [[nodiscard]] PageId new_node(Node node);

  PageReader& reader_;
  PageAllocator& allocator_;
  // What the nodes below point into: the pages this transaction copied, the keys and values it
  // put.
  NodeArena arena_;
  const uint32_t page_size_bytes_;
  const TxnId txn_id_;
  const TreeState base_;
  TreeState tree_;
  // Nodes written in this transaction, by their new page id. std::map: references stay valid
  // while other nodes are added, and iteration order is deterministic.
  std::map<PageId, Node> dirty_;
  // Overflow pages written in this transaction, sealed.
  std::map<PageId, std::vector<uint8_t>> overflow_pages_;
};

}  // namespace northstar::engine
