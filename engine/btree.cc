#include "engine/btree.h"

#include "absl/strings/str_format.h"
#include "engine/format/overflow.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::engine {

absl::StatusOr<PageCache::PinnedPage> PageReader::node(PageId page_id, PageType expected) {
  NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page, cache_.get(page_id));
  // The page was fully verified when it entered the cache; only its role is left to check.
  const auto type = static_cast<PageType>(page.bytes()[6]);
  if (type != expected) {
    return absl::DataLossError(absl::StrFormat("page %d: expected a %s page here, found a %s page",
                                               page_id, PageTypeName(expected),
                                               PageTypeName(type)));
  }
  return page;
}

absl::StatusOr<std::string> PageReader::overflow_value(PageId first_page,
                                                       uint64_t value_size_bytes) {
  const uint64_t page_count = OverflowPagesFor(page_size_bytes_, value_size_bytes);
  std::string value;
  value.reserve(value_size_bytes);
  std::vector<uint8_t> page(page_size_bytes_);
  for (uint64_t index = 0; index < page_count; index++) {
    const PageId page_id = first_page + index;
    // Pages committed since the last checkpoint exist only in the cache, dirty; the others are
    // read around it, so that a large value does not flush the cache.
    std::optional<PageCache::PinnedPage> cached = cache_.get_if_cached(page_id);
    if (cached) {
      std::copy(cached->bytes().begin(), cached->bytes().end(), page.begin());
    } else {
      NS_RETURN_IF_ERROR(source_.read_page(page_id, page));
    }
    NS_ASSIGN_OR_RETURN(const OverflowView view, ParseOverflow(page, page_id));
    const bool last = index + 1 == page_count;
    const PageId expected_next = last ? kNoPage : page_id + 1;
    const uint64_t expected_chunk =
        last ? value_size_bytes - value.size() : OverflowCapacityBytes(page_size_bytes_);
    if (view.next != expected_next || view.chunk.size() != expected_chunk) {
      return absl::DataLossError(absl::StrFormat(
          "overflow page %d (value of %d bytes from page %d): next %d and chunk %d bytes, "
          "expected next %d and chunk %d bytes",
          page_id, value_size_bytes, first_page, view.next, view.chunk.size(), expected_next,
          expected_chunk));
    }
    value.append(view.chunk);
  }
  return value;
}

absl::StatusOr<std::optional<std::string>> TreeGet(PageReader& reader, const TreeState& tree,
                                                   std::string_view key) {
  std::string value;
  NS_ASSIGN_OR_RETURN(const bool found, TreeGetInto(reader, tree, key, value));
  if (!found) return std::nullopt;
  return value;
}

absl::StatusOr<bool> TreeGetInto(PageReader& reader, const TreeState& tree, std::string_view key,
                                 std::string& value) {
  if (tree.root == kNoPage) return false;
  PageId page_id = tree.root;
  for (uint32_t depth = 0; depth + 1 < tree.height; depth++) {
    NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page, reader.node(page_id, PageType::kBranch));
    const BranchView branch = BranchView::FromVerified(page.bytes());
    page_id = branch.child(branch.child_index(key));
  }
  NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page, reader.node(page_id, PageType::kLeaf));
  const LeafView leaf = LeafView::FromVerified(page.bytes());
  const size_t index = leaf.lower_bound(key);
  if (index == leaf.size() || leaf.key(index) != key) return false;
  if (!leaf.is_overflow(index)) {
    value.assign(leaf.inline_value(index));
    return true;
  }
  NS_ASSIGN_OR_RETURN(value,
                      reader.overflow_value(leaf.overflow_page(index), leaf.value_size_bytes(index)));
  return true;
}

namespace {

absl::Status CollectSubtree(PageReader& reader, PageId page_id, uint32_t depth, uint32_t height,
                            std::vector<PageId>& pages) {
  if (depth >= height) return absl::DataLossError("tree deeper than its height");
  pages.push_back(page_id);
  NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page, reader.node(page_id, TypeAtDepth(depth, height)));
  if (depth + 1 == height) {
    const LeafView leaf = LeafView::FromVerified(page.bytes());
    for (size_t index = 0; index < leaf.size(); index++) {
      if (!leaf.is_overflow(index)) continue;
      const uint64_t count =
          OverflowPagesFor(reader.page_size_bytes(), leaf.value_size_bytes(index));
      for (uint64_t offset = 0; offset < count; offset++)
        pages.push_back(leaf.overflow_page(index) + offset);
    }
    return absl::OkStatus();
  }
  const BranchView branch = BranchView::FromVerified(page.bytes());
  std::vector<PageId> children;
  for (size_t index = 0; index < branch.child_count(); index++)
    children.push_back(branch.child(index));
  page = PageCache::PinnedPage();  // Unpin before descending: a walk pins one page at a time.
  for (PageId child : children)
    NS_RETURN_IF_ERROR(CollectSubtree(reader, child, depth + 1, height, pages));
  return absl::OkStatus();
}

}  // namespace

absl::Status CollectTreePages(PageReader& reader, const TreeState& tree,
                              std::vector<PageId>& pages) {
  if (tree.root == kNoPage) return absl::OkStatus();
  return CollectSubtree(reader, tree.root, 0, tree.height, pages);
}

absl::Status Cursor::push(PageId page_id) {
  const auto depth = static_cast<uint32_t>(path_.size());
  if (depth >= tree_.height) {
    return absl::DataLossError(
        absl::StrFormat("page %d: tree deeper than its height %d", page_id, tree_.height));
  }
  NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page,
                      reader_.node(page_id, TypeAtDepth(depth, tree_.height)));
  path_.push_back(Level{std::move(page), 0});
  return absl::OkStatus();
}

absl::Status Cursor::descend(PageId page_id, Edge edge) {
  while (true) {
    NS_RETURN_IF_ERROR(push(page_id));
    Level& level = path_.back();
    if (path_.size() == tree_.height) {
      const LeafView leaf_view = LeafView::FromVerified(level.page.bytes());
      if (leaf_view.size() == 0) {
        return absl::DataLossError(
            absl::StrFormat("page %d: empty leaf below the root", level.page.page_id()));
      }
      level.index = edge == Edge::kFirst ? 0 : leaf_view.size() - 1;
      return absl::OkStatus();
    }
    const BranchView branch = BranchView::FromVerified(level.page.bytes());
    level.index = edge == Edge::kFirst ? 0 : branch.child_count() - 1;
    page_id = branch.child(level.index);
  }
}

absl::Status Cursor::seek_first() {
  path_.clear();
  if (tree_.root == kNoPage) return absl::OkStatus();
  return descend(tree_.root, Edge::kFirst);
}

absl::Status Cursor::seek_last() {
  path_.clear();
  if (tree_.root == kNoPage) return absl::OkStatus();
  return descend(tree_.root, Edge::kLast);
}

absl::Status Cursor::seek(std::string_view key) {
  path_.clear();
  if (tree_.root == kNoPage) return absl::OkStatus();
  PageId page_id = tree_.root;
  while (path_.size() + 1 < tree_.height) {
    NS_RETURN_IF_ERROR(push(page_id));
    const BranchView branch = BranchView::FromVerified(path_.back().page.bytes());
    path_.back().index = branch.child_index(key);
    page_id = branch.child(path_.back().index);
  }
  NS_RETURN_IF_ERROR(push(page_id));
  const LeafView leaf_view = leaf();
  path_.back().index = leaf_view.lower_bound(key);
  if (path_.back().index < leaf_view.size()) return absl::OkStatus();
  return step_over_leaf(/*forward=*/true);
}

absl::Status Cursor::next() {
  NS_ASSERT(valid());
  Level& level = path_.back();
  if (level.index + 1 < leaf().size()) {
    level.index++;
    return absl::OkStatus();
  }
  return step_over_leaf(/*forward=*/true);
}

absl::Status Cursor::prev() {
  NS_ASSERT(valid());
  Level& level = path_.back();
  if (level.index > 0) {
    level.index--;
    return absl::OkStatus();
  }
  return step_over_leaf(/*forward=*/false);
}

absl::Status Cursor::step_over_leaf(bool forward) {
  path_.pop_back();
  while (!path_.empty()) {
    Level& parent = path_.back();
    const BranchView branch = BranchView::FromVerified(parent.page.bytes());
    const bool has_sibling = forward ? parent.index + 1 < branch.child_count() : parent.index > 0;
    if (has_sibling) {
      parent.index = forward ? parent.index + 1 : parent.index - 1;
      return descend(branch.child(parent.index), forward ? Edge::kFirst : Edge::kLast);
    }
    path_.pop_back();
  }
  return absl::OkStatus();  // Past the end: invalid.
}

LeafView Cursor::leaf() const { return LeafView::FromVerified(path_.back().page.bytes()); }

std::string_view Cursor::key() const {
  NS_ASSERT(valid());
  return leaf().key(path_.back().index);
}

absl::StatusOr<std::string_view> Cursor::value_view(std::string& overflow_value) const {
  NS_ASSERT(valid());
  const LeafView leaf_view = leaf();
  const size_t index = path_.back().index;
  if (!leaf_view.is_overflow(index)) return leaf_view.inline_value(index);
  NS_ASSIGN_OR_RETURN(overflow_value, reader_.overflow_value(leaf_view.overflow_page(index),
                                                             leaf_view.value_size_bytes(index)));
  return std::string_view(overflow_value);
}

absl::StatusOr<std::string> Cursor::value() const {
  NS_ASSERT(valid());
  const LeafView leaf_view = leaf();
  const size_t index = path_.back().index;
  if (!leaf_view.is_overflow(index)) return std::string(leaf_view.inline_value(index));
  return reader_.overflow_value(leaf_view.overflow_page(index), leaf_view.value_size_bytes(index));
}

}  // namespace northstar::engine
