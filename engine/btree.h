// Reading a committed B+tree: point lookups and cursors over an immutable snapshot.
//
// A snapshot is a TreeState (root page, height, entry count) taken from a meta. Its pages are
// never modified (copy-on-write) and never reused while a reader holds the snapshot, so readers
// need no lock beyond the page cache's own.
//
// Cursors keep their path from the root (one pinned page per level), as LMDB's do: under
// copy-on-write, right-sibling links would force every leaf copy to copy its neighbour too.
// Every descent checks the page type expected at its depth and the tree height, so that a
// corrupt (but checksum-valid) page cannot send a reader into a cycle.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/format/node.h"
#include "engine/format/types.h"
#include "engine/page_cache.h"

namespace northstar::engine {

struct TreeState {
  PageId root = kNoPage;
  uint32_t height = 0;
  uint64_t entry_count = 0;

  friend bool operator==(const TreeState&, const TreeState&) = default;
};

// Access to committed pages: tree nodes through the cache, overflow values through the
// (verifying) page source, so that a large value does not flush the cache.
class PageReader {
 public:
  PageReader(PageCache& cache, PageSource& source, uint32_t page_size_bytes)
      : cache_(cache), source_(source), page_size_bytes_(page_size_bytes) {}

  // The page, pinned, after checking that its type is `expected`.
  [[nodiscard]] absl::StatusOr<PageCache::PinnedPage> node(PageId page_id, PageType expected);
  // The whole value stored on the overflow run starting at `first_page`.
  [[nodiscard]] absl::StatusOr<std::string> overflow_value(PageId first_page,
                                                           uint64_t value_size_bytes);
  [[nodiscard]] uint32_t page_size_bytes() const { return page_size_bytes_; }

 private:
  PageCache& cache_;
  PageSource& source_;
  const uint32_t page_size_bytes_;
};

// The value of `key` in the snapshot, or nullopt.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> TreeGet(PageReader& reader,
                                                                 const TreeState& tree,
                                                                 std::string_view key);
// The same into `value` (which keeps its capacity from call to call: no allocation per lookup
// once it is large enough); false, and `value` untouched, when the key is not there.
[[nodiscard]] absl::StatusOr<bool> TreeGetInto(PageReader& reader, const TreeState& tree,
                                               std::string_view key, std::string& value);

// Appends every page of the tree (nodes and overflow runs) to `pages`, root first.
[[nodiscard]] absl::Status CollectTreePages(PageReader& reader, const TreeState& tree,
                                            std::vector<PageId>& pages);

// The page type at `depth` (0 = root) of a tree of `height`.
[[nodiscard]] inline PageType TypeAtDepth(uint32_t depth, uint32_t height) {
  return depth + 1 == height ? PageType::kLeaf : PageType::kBranch;
}

class Cursor {
 public:
  Cursor(PageReader& reader, const TreeState& tree) : reader_(reader), tree_(tree) {}

  // Position on the first / last entry, or the first entry >= key; invalid if there is none.
  [[nodiscard]] absl::Status seek_first();
  [[nodiscard]] absl::Status seek_last();
  [[nodiscard]] absl::Status seek(std::string_view key);
  // Precondition: valid(). Moves to the next / previous entry; invalid past either end.
  [[nodiscard]] absl::Status next();
  [[nodiscard]] absl::Status prev();

  [[nodiscard]] bool valid() const { return !path_.empty(); }
  // Precondition: valid(). Points into a pinned page: stable until the cursor moves.
  [[nodiscard]] std::string_view key() const;
  [[nodiscard]] absl::StatusOr<std::string> value() const;
  // The value without a copy when it is inline: a view into the pinned page, stable until the
  // cursor moves; a value on overflow pages is assembled into `overflow_value` and viewed there.
  [[nodiscard]] absl::StatusOr<std::string_view> value_view(std::string& overflow_value) const;

 private:
  enum class Edge { kFirst, kLast };
  struct Level {
    PageCache::PinnedPage page;
    size_t index = 0;
  };

  // Pushes `page_id` at depth path_.size() and descends to a leaf along `edge`.
  [[nodiscard]] absl::Status descend(PageId page_id, Edge edge);
  [[nodiscard]] absl::Status push(PageId page_id);
  // After the leaf at path_.back() ran out in direction `edge`'s opposite: climbs to the next
  // subtree and descends into it; clears the path at the end of the tree.
  [[nodiscard]] absl::Status step_over_leaf(bool forward);
  [[nodiscard]] LeafView leaf() const;

  PageReader& reader_;
  TreeState tree_;
  std::vector<Level> path_;
};

}  // namespace northstar::engine
