#include "engine/btree_write.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "engine/format/meta.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "util/assert.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

size_t LeafLowerBound(const Node& node, std::string_view key) {
  auto found =
      std::lower_bound(node.entries.begin(), node.entries.end(), key,
                       [](const LeafEntry& entry, std::string_view k) { return entry.key < k; });
  return static_cast<size_t>(found - node.entries.begin());
}

size_t BranchChildIndex(const Node& node, std::string_view key) {
  auto found = std::upper_bound(
      node.keys.begin(), node.keys.end(), key,
      [](std::string_view k, std::string_view separator) { return k < separator; });
  return static_cast<size_t>(found - node.keys.begin());
}

// The index that splits `sizes` into two parts of about equal bytes, within [low, high].
size_t BalancedSplit(const std::vector<size_t>& sizes, size_t low, size_t high) {
  size_t total = 0;
  for (size_t size : sizes) total += size;
  size_t left = 0;
  size_t index = 0;
  while (index < sizes.size() && left + sizes[index] / 2 < total / 2) left += sizes[index++];
  return std::clamp(index, low, high);
}

}  // namespace

WriteTree::WriteTree(PageReader& reader, PageAllocator& allocator, const TreeState& tree,
                     TxnId txn_id)
    : reader_(reader),
      allocator_(allocator),
      page_size_bytes_(reader.page_size_bytes()),
      txn_id_(txn_id),
      base_(tree),
      tree_(tree) {}

absl::StatusOr<PageId> WriteTree::writable(PageId page_id, uint32_t depth) {
  if (dirty_.contains(page_id)) return page_id;
  const PageType type = TypeAtDepth(depth, tree_.height);
  NS_ASSIGN_OR_RETURN(PageCache::PinnedPage page, reader_.node(page_id, type));
  Node node = type == PageType::kLeaf ? NodeFromLeaf(page.bytes(), arena_)
                                      : NodeFromBranch(page.bytes(), arena_);
  allocator_.free_committed(page_id);
  return new_node(std::move(node));
}

PageId WriteTree::new_node(Node node) {
  const PageId page_id = allocator_.allocate();
  dirty_.emplace(page_id, std::move(node));
  return page_id;
}

void WriteTree::free_page(PageId page_id) {
  NS_ASSERT(dirty_.contains(page_id));
  dirty_.erase(page_id);
  allocator_.free_scratch(page_id);
}

absl::StatusOr<LeafEntry> WriteTree::make_entry(std::string_view key, std::string_view value) {
  if (key.size() > KeySizeMaxBytes(page_size_bytes_)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("key of %d bytes exceeds the limit of %d bytes for %d-byte pages",
                        key.size(), KeySizeMaxBytes(page_size_bytes_), page_size_bytes_));
  }
  if (value.size() > kValueSizeMaxBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "value of %d bytes exceeds the limit of %d bytes", value.size(), kValueSizeMaxBytes));
  }
  LeafEntry entry{arena_.copy(key), {}, kNoPage, static_cast<uint32_t>(value.size())};
  if (ValueFitsInline(page_size_bytes_, key.size(), value.size())) {
    entry.value = arena_.copy(value);
    return entry;
  }
  const uint64_t page_count = OverflowPagesFor(page_size_bytes_, value.size());
  const size_t chunk_bytes = OverflowCapacityBytes(page_size_bytes_);
  entry.overflow_page = allocator_.allocate_run(page_count);
  for (uint64_t index = 0; index < page_count; index++) {
    const PageId page_id = entry.overflow_page + index;
    const PageId next = index + 1 == page_count ? kNoPage : page_id + 1;
    std::vector<uint8_t> page(page_size_bytes_);
    EncodeOverflow(value.substr(index * chunk_bytes, chunk_bytes), next,
                   PageHeader{PageType::kOverflow, page_id, txn_id_}, page);
    overflow_pages_[page_id] = std::move(page);
  }
  return entry;
}

void WriteTree::release_value(const LeafEntry& entry) {
  if (entry.overflow_page == kNoPage) return;
  const uint64_t page_count = OverflowPagesFor(page_size_bytes_, entry.value_size_bytes);
  for (uint64_t index = 0; index < page_count; index++) {
    const PageId page_id = entry.overflow_page + index;
    if (overflow_pages_.erase(page_id) > 0) {
      allocator_.free_scratch(page_id);
    } else {
      allocator_.free_committed(page_id);
    }
  }
}

absl::StatusOr<std::string> WriteTree::value_of(const LeafEntry& entry) {
  if (entry.overflow_page == kNoPage) return std::string(entry.value);
  if (!overflow_pages_.contains(entry.overflow_page)) {
    return reader_.overflow_value(entry.overflow_page, entry.value_size_bytes);
  }
  std::string value;
  const uint64_t page_count = OverflowPagesFor(page_size_bytes_, entry.value_size_bytes);
  for (uint64_t index = 0; index < page_count; index++) {
    const std::vector<uint8_t>& page = overflow_pages_.at(entry.overflow_page + index);
    NS_ASSIGN_OR_RETURN(const OverflowView view, ParseOverflow(page, entry.overflow_page + index));
    value.append(view.chunk);
  }
  return value;
}

absl::StatusOr<std::optional<std::string>> WriteTree::get(std::string_view key) {
  if (tree_.root == kNoPage) return std::nullopt;
  PageId page_id = tree_.root;
  for (uint32_t depth = 0;; depth++) {
    if (depth >= tree_.height) return absl::DataLossError("tree deeper than its height");
    auto dirty = dirty_.find(page_id);
    if (dirty != dirty_.end()) {
      const Node& node = dirty->second;
      if (!node.is_leaf) {
        page_id = node.children[BranchChildIndex(node, key)];
        continue;
      }
      const size_t index = LeafLowerBound(node, key);
      if (index == node.entries.size() || node.entries[index].key != key) return std::nullopt;
      return value_of(node.entries[index]);
    }
    // The rest of the path is committed: read it like a snapshot.
    return TreeGet(reader_, TreeState{page_id, tree_.height - depth, 0}, key);
  }
}

absl::Status WriteTree::put(std::string_view key, std::string_view value) {
  NS_ASSIGN_OR_RETURN(LeafEntry entry, make_entry(key, value));
  if (tree_.root == kNoPage) {
    Node leaf;
    leaf.entries.push_back(entry);
    leaf.recount();
    tree_ = TreeState{new_node(std::move(leaf)), 1, 1};
    return absl::OkStatus();
  }
  NS_ASSIGN_OR_RETURN(Insert result, insert(tree_.root, 0, entry, /*rightmost=*/true));
  tree_.root = result.page;
  if (result.split) {
    NS_ASSERT_MSG(tree_.height < kTreeHeightMax, "B+tree reached kTreeHeightMax");
    Node root;
    root.is_leaf = false;
    root.keys.push_back(result.split->separator);
    root.children = {result.page, result.split->right};
    root.recount();
    tree_.root = new_node(std::move(root));
    tree_.height++;
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteTree::Insert> WriteTree::insert(PageId page_id, uint32_t depth,
                                                    LeafEntry entry, bool rightmost) {
  NS_ASSIGN_OR_RETURN(const PageId copy_id, writable(page_id, depth));
  Node& node = dirty_.at(copy_id);
  bool appended = false;  // A new last item of the tree's rightmost node at this level.
  if (node.is_leaf) {
    const size_t index = LeafLowerBound(node, entry.key);
    if (index < node.entries.size() && node.entries[index].key == entry.key) {
      release_value(node.entries[index]);
      node.used_bytes -= EntryBytes(node.entries[index]);
      node.used_bytes += EntryBytes(entry);
      node.entries[index] = entry;
    } else {
      node.used_bytes += EntryBytes(entry);
      node.entries.insert(node.entries.begin() + static_cast<ptrdiff_t>(index), entry);
      tree_.entry_count++;
      appended = rightmost && index + 1 == node.entries.size();
    }
  } else {
    const size_t index = BranchChildIndex(node, entry.key);
    const bool last_child = index + 1 == node.children.size();
    NS_ASSIGN_OR_RETURN(Insert child,
                        insert(node.children[index], depth + 1, entry, rightmost && last_child));
    node.children[index] = child.page;
    if (child.split) {
      node.used_bytes += SeparatorBytes(child.split->separator);
      node.keys.insert(node.keys.begin() + static_cast<ptrdiff_t>(index), child.split->separator);
      node.children.insert(node.children.begin() + static_cast<ptrdiff_t>(index) + 1,
                           child.split->right);
      appended = rightmost && last_child;
    }
  }
  return Insert{copy_id, split_if_full(node, appended)};
}

std::optional<WriteTree::Split> WriteTree::split_if_full(Node& node, bool appended) {
  const size_t capacity = NodeCapacityBytes(node, page_size_bytes_);
  if (node.used_bytes <= capacity) return std::nullopt;
  Node right;
  right.is_leaf = node.is_leaf;
  Split split;
  if (node.is_leaf) {
    std::vector<size_t> sizes;
    for (const LeafEntry& entry : node.entries) sizes.push_back(EntryBytes(entry));
    // Appending at the end of the tree (a sequential load): the left node keeps everything
    // that fit before, and the new entry starts the next, so a load in key order leaves full
    // leaves behind instead of half-full ones (as LMDB does). Elsewhere: halves, by bytes.
    const size_t at = appended ? node.entries.size() - 1
                               : BalancedSplit(sizes, 1, node.entries.size() - 1);
    right.entries.assign(std::make_move_iterator(node.entries.begin() + static_cast<ptrdiff_t>(at)),
                         std::make_move_iterator(node.entries.end()));
    node.entries.resize(at);
    split.separator = right.entries.front().key;
  } else {
    NS_ASSERT(node.keys.size() >= 3);
    std::vector<size_t> sizes;
    for (std::string_view key : node.keys) sizes.push_back(SeparatorBytes(key));
    const size_t at =
        appended ? node.keys.size() - 2 : BalancedSplit(sizes, 1, node.keys.size() - 2);
    split.separator = node.keys[at];
    right.keys.assign(std::make_move_iterator(node.keys.begin() + static_cast<ptrdiff_t>(at) + 1),
                      std::make_move_iterator(node.keys.end()));
    right.children.assign(node.children.begin() + static_cast<ptrdiff_t>(at) + 1,
                          node.children.end());
    node.keys.resize(at);
    node.children.resize(at + 1);
  }
  node.recount();
  right.recount();
  NS_ASSERT(node.used_bytes <= capacity);
  NS_ASSERT(right.used_bytes <= capacity);
  split.right = new_node(std::move(right));
  return split;
}

absl::StatusOr<bool> WriteTree::remove(std::string_view key) {
  // Look first, so that removing a missing key copies no page.
  NS_ASSIGN_OR_RETURN(const std::optional<std::string> existing, get(key));
  if (!existing) return false;
  NS_ASSIGN_OR_RETURN(tree_.root, erase(tree_.root, 0, key));
  tree_.entry_count--;
  collapse_root();
  return true;
}

absl::StatusOr<PageId> WriteTree::erase(PageId page_id, uint32_t depth, std::string_view key) {
  NS_ASSIGN_OR_RETURN(const PageId copy_id, writable(page_id, depth));
  Node& node = dirty_.at(copy_id);
  if (node.is_leaf) {
    const size_t index = LeafLowerBound(node, key);
    NS_ASSERT(index < node.entries.size() && node.entries[index].key == key);
    release_value(node.entries[index]);
    node.used_bytes -= EntryBytes(node.entries[index]);
    node.entries.erase(node.entries.begin() + static_cast<ptrdiff_t>(index));
    return copy_id;
  }
  const size_t index = BranchChildIndex(node, key);
  NS_ASSIGN_OR_RETURN(node.children[index], erase(node.children[index], depth + 1, key));
  if (underflows(dirty_.at(node.children[index]))) {
    NS_RETURN_IF_ERROR(rebalance(node, index, depth + 1));
  }
  return copy_id;
}

bool WriteTree::underflows(const Node& node) const {
  return node.item_count() == 0 ||
         node.used_bytes < NodeCapacityBytes(node, page_size_bytes_) / 4;
}

absl::Status WriteTree::rebalance(Node& parent, size_t child_index, uint32_t child_depth) {
  if (parent.children.size() < 2) return absl::OkStatus();  // Only the root may be so thin.
  const size_t left_index = child_index > 0 ? child_index - 1 : child_index;
  NS_ASSIGN_OR_RETURN(parent.children[left_index],
                      writable(parent.children[left_index], child_depth));
  NS_ASSIGN_OR_RETURN(parent.children[left_index + 1],
                      writable(parent.children[left_index + 1], child_depth));
  const Node& left = dirty_.at(parent.children[left_index]);
  const Node& right = dirty_.at(parent.children[left_index + 1]);
  size_t merged_bytes = left.used_bytes + right.used_bytes;
  if (!left.is_leaf) merged_bytes += BranchCellBytes(parent.keys[left_index].size());
  if (merged_bytes <= NodeCapacityBytes(left, page_size_bytes_)) {
    merge(parent, left_index);
  } else {
    redistribute(parent, left_index);
  }
  return absl::OkStatus();
}

void WriteTree::merge(Node& parent, size_t left_index) {
  const PageId right_id = parent.children[left_index + 1];
  Node& left = dirty_.at(parent.children[left_index]);
  Node& right = dirty_.at(right_id);
  if (left.is_leaf) {
    std::move(right.entries.begin(), right.entries.end(), std::back_inserter(left.entries));
  } else {
    left.keys.push_back(parent.keys[left_index]);
    std::move(right.keys.begin(), right.keys.end(), std::back_inserter(left.keys));
    left.children.insert(left.children.end(), right.children.begin(), right.children.end());
  }
  parent.keys.erase(parent.keys.begin() + static_cast<ptrdiff_t>(left_index));
  parent.children.erase(parent.children.begin() + static_cast<ptrdiff_t>(left_index) + 1);
  left.recount();
  parent.recount();
  free_page(right_id);
}

void WriteTree::redistribute(Node& parent, size_t left_index) {
  Node& left = dirty_.at(parent.children[left_index]);
  Node& right = dirty_.at(parent.children[left_index + 1]);
  if (left.is_leaf) {
    std::vector<LeafEntry> all = std::move(left.entries);
    std::move(right.entries.begin(), right.entries.end(), std::back_inserter(all));
    std::vector<size_t> sizes;
    for (const LeafEntry& entry : all) sizes.push_back(EntryBytes(entry));
    const size_t at = BalancedSplit(sizes, 1, all.size() - 1);
    right.entries.assign(std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(at)),
                         std::make_move_iterator(all.end()));
    all.resize(at);
    left.entries = std::move(all);
    parent.keys[left_index] = right.entries.front().key;
  } else {
    std::vector<std::string_view> keys = std::move(left.keys);
    keys.push_back(parent.keys[left_index]);
    std::move(right.keys.begin(), right.keys.end(), std::back_inserter(keys));
    std::vector<PageId> children = std::move(left.children);
    children.insert(children.end(), right.children.begin(), right.children.end());
    std::vector<size_t> sizes;
    for (std::string_view key : keys) sizes.push_back(SeparatorBytes(key));
    const size_t at = BalancedSplit(sizes, 1, keys.size() - 2);
    parent.keys[left_index] = keys[at];
    right.keys.assign(std::make_move_iterator(keys.begin() + static_cast<ptrdiff_t>(at) + 1),
                      std::make_move_iterator(keys.end()));
    right.children.assign(children.begin() + static_cast<ptrdiff_t>(at) + 1, children.end());
    keys.resize(at);
    children.resize(at + 1);
    left.keys = std::move(keys);
    left.children = std::move(children);
  }
  left.recount();
  right.recount();
  parent.recount();
  const size_t capacity = NodeCapacityBytes(left, page_size_bytes_);
  NS_ASSERT(left.used_bytes <= capacity && right.used_bytes <= capacity);
  NS_ASSERT(left.item_count() > 0 && right.item_count() > 0);
}

void WriteTree::collapse_root() {
  while (tree_.root != kNoPage) {
    const Node& root = dirty_.at(tree_.root);  // erase() copied the whole path.
    if (root.is_leaf) {
      if (!root.entries.empty()) return;
      free_page(tree_.root);
      tree_ = TreeState{};
      return;
    }
    if (!root.keys.empty()) return;
    const PageId only_child = root.children.front();
    free_page(tree_.root);
    tree_.root = only_child;
    tree_.height--;
  }
}

absl::Status WriteTree::for_each_page(
    const std::function<absl::Status(PageId, std::span<const uint8_t>)>& write) const {
  std::vector<uint8_t> page(page_size_bytes_);
  auto overflow = overflow_pages_.begin();
  for (const auto& [page_id, node] : dirty_) {
    for (; overflow != overflow_pages_.end() && overflow->first < page_id; ++overflow) {
      NS_RETURN_IF_ERROR(write(overflow->first, overflow->second));
    }
    const PageType type = node.is_leaf ? PageType::kLeaf : PageType::kBranch;
    EncodeNode(node, PageHeader{type, page_id, txn_id_}, page);
    NS_RETURN_IF_ERROR(write(page_id, page));
  }
  for (; overflow != overflow_pages_.end(); ++overflow) {
    NS_RETURN_IF_ERROR(write(overflow->first, overflow->second));
  }
  return absl::OkStatus();
}

}  // namespace northstar::engine
