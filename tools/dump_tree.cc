// The tree listing of `northstar dump`: every reachable page depth first, then the free list.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/btree.h"
#include "engine/format/node.h"
#include "engine/format/overflow.h"
#include "tools/cli.h"
#include "tools/dump.h"
#include "util/coding.h"

namespace northstar::tools {
namespace {

using engine::PageId;

std::string Quoted(std::string_view key) {
  return absl::StrFormat("\"%s\"", EscapeTruncated(key, kDumpKeyCharsMax));
}

class TreeDumper {
 public:
  explicit TreeDumper(engine::Pager& pager)
      : pager_(pager), meta_(pager.meta()), page_(meta_.page_size_bytes) {}

  bool run() {
    std::cout << absl::StrFormat("tree: root %d, height %d, %d entries\n", meta_.root,
                                 meta_.tree_height, meta_.entry_count);
    if (meta_.root != engine::kNoPage) node(meta_.root, 0);
    free_list();
    return ok_;
  }

 private:
  // Reads a page not seen before into page_; false (reported) if it cannot be used.
  bool read(PageId page_id, const std::string& indent) {
    if (!visited_.insert(page_id).second) {
      return fail(indent, page_id,
                  absl::DataLossError(absl::StrFormat(
                      "page %d: reached a second time (a cycle, or two parents)", page_id)));
    }
    const absl::Status status = pager_.read_page(page_id, page_);
    return status.ok() || fail(indent, page_id, status);
  }

  bool fail(const std::string& indent, PageId page_id, const absl::Status& status) {
    std::cout << absl::StrFormat("%spage %d: CORRUPT (see stderr)\n", indent, page_id);
    (void)ReportCorruptPage(pager_.path(), page_id, status);
    ok_ = false;
    return false;
  }

  engine::PageType type() const { return static_cast<engine::PageType>(page_[kHeaderTypeOffset]); }

  std::string header(PageId page_id) const {
    return absl::StrFormat("page %d (%s, txn %d)", page_id, engine::PageTypeName(type()),
                           DecodeFixed64(page_.data() + kHeaderTxnOffset));
  }

  void node(PageId page_id, uint32_t depth) {
    const std::string indent(2 * depth, ' ');
    if (!read(page_id, indent)) return;
    const engine::PageType expected = engine::TypeAtDepth(depth, meta_.tree_height);
    if (type() != expected) {
      (void)fail(indent, page_id,
                 absl::DataLossError(absl::StrFormat(
                     "page %d: a %s at depth %d of a tree of height %d, expected a %s", page_id,
                     engine::PageTypeName(type()), depth, meta_.tree_height,
                     engine::PageTypeName(expected))));
      return;
    }
    if (type() == engine::PageType::kLeaf) return leaf(page_id, indent);
    branch(page_id, depth, indent);
  }

  void leaf(PageId page_id, const std::string& indent) {
    const engine::LeafView view = engine::LeafView::FromVerified(page_);
    std::cout << absl::StrFormat("%s%s: %d entries\n", indent, header(page_id), view.size());
    for (size_t index = 0; index < view.size(); index++) {
      std::string value = absl::StrFormat("%d bytes", view.value_size_bytes(index));
      if (view.is_overflow(index)) {
        const PageId first = view.overflow_page(index);
        const uint64_t pages =
            engine::OverflowPagesFor(meta_.page_size_bytes, view.value_size_bytes(index));
        value += absl::StrFormat(" on overflow pages %d..%d", first, first + pages - 1);
      }
      std::cout << absl::StrFormat("%s  %s: %s\n", indent, Quoted(view.key(index)), value);
    }
  }

  // Copies what it needs first: the recursion reuses page_.
  void branch(PageId page_id, uint32_t depth, const std::string& indent) {
    const engine::BranchView view = engine::BranchView::FromVerified(page_);
    std::cout << absl::StrFormat("%s%s: %d keys, %d children\n", indent, header(page_id),
                                 view.key_count(), view.child_count());
    std::vector<std::string> keys;
    std::vector<PageId> children;
    for (size_t index = 0; index < view.key_count(); index++)
      keys.push_back(Quoted(view.key(index)));
    for (size_t index = 0; index < view.child_count(); index++)
      children.push_back(view.child(index));
    for (size_t index = 0; index < children.size(); index++) {
      if (index > 0) std::cout << absl::StrFormat("%s  key %s\n", indent, keys[index - 1]);
      node(children[index], depth + 1);
    }
  }

  void free_list() {
    if (meta_.freelist_head == engine::kNoPage) {
      std::cout << "free list: empty\n";
      return;
    }
    std::cout << absl::StrFormat("free list: head %d\n", meta_.freelist_head);
    for (PageId page_id = meta_.freelist_head; page_id != engine::kNoPage;) {
      if (!read(page_id, "  ")) return;
      absl::StatusOr<engine::FreeListView> view = engine::ParseFreeList(page_, page_id);
      if (!view.ok()) return (void)fail("  ", page_id, view.status());
      std::string ids;
      for (size_t index = 0; index < view->size(); index++)
        ids += absl::StrFormat(" %d", view->id(index));
      std::cout << absl::StrFormat("  %s: %d ids, next %d:%s\n", header(page_id), view->size(),
                                   view->next, ids);
      page_id = view->next;
    }
  }

  engine::Pager& pager_;
  const engine::Meta meta_;
  std::vector<uint8_t> page_;
  std::set<PageId> visited_;
  bool ok_ = true;
};

}  // namespace

bool DumpTree(engine::Pager& pager) { return TreeDumper(pager).run(); }

}  // namespace northstar::tools
