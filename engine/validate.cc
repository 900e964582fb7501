#include "engine/validate.h"

#include <optional>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/btree.h"
#include "engine/format/node.h"
#include "engine/format/overflow.h"
#include "engine/format/page.h"
#include "engine/pager.h"
#include "util/status.h"

namespace northstar::engine {
namespace {

// One walk over a database file.
class Validator {
 public:
  Validator(Pager& pager, ValidationReport& report)
      : pager_(pager),
        report_(report),
        meta_(report.meta),
        owner_(meta_.page_count, nullptr),
        page_(meta_.page_size_bytes) {}

  void run() {
    if (meta_.root != kNoPage) walk(meta_.root, 0, std::nullopt, std::nullopt);
    if (report_.entries != meta_.entry_count) {
      problem(absl::StrFormat("meta: entry_count %d, but the tree holds %d entries",
                              meta_.entry_count, report_.entries));
    }
    check_free_list();
    for (PageId page_id = kFirstDataPage; page_id < meta_.page_count; page_id++) {
      if (owner_[page_id] == nullptr) {
        problem(absl::StrFormat("page %d: leaked (neither reachable nor free)", page_id));
      }
    }
  }

 private:
  void problem(std::string text) {
    if (report_.problems.size() < kValidationProblemsMax)
      report_.problems.push_back(std::move(text));
  }

  // Records that `role` owns `page_id`; false (with a problem) if it is out of range or taken.
  bool claim(PageId page_id, const char* role) {
    if (page_id < kFirstDataPage || page_id >= meta_.page_count) {
      problem(absl::StrFormat("page %d (%s): outside the file's %d pages", page_id, role,
                              meta_.page_count));
      return false;
    }
    if (owner_[page_id] != nullptr) {
      problem(
          absl::StrFormat("page %d: used twice, as %s and as %s", page_id, owner_[page_id], role));
      return false;
    }
    owner_[page_id] = role;
    return true;
  }

  bool read(PageId page_id) {
    const absl::Status status = pager_.read_page(page_id, page_);
    if (!status.ok()) problem(std::string(status.message()));
    return status.ok();
  }

  void walk(PageId page_id, uint32_t depth, std::optional<std::string> low,
            std::optional<std::string> high) {
    const PageType expected = TypeAtDepth(depth, meta_.tree_height);
    if (!claim(page_id, expected == PageType::kLeaf ? "leaf" : "branch") || !read(page_id)) return;
    const auto type = static_cast<PageType>(page_[6]);
    if (type != expected) {
      problem(absl::StrFormat("page %d: a %s at depth %d of a tree of height %d, expected a %s",
                              page_id, PageTypeName(type), depth, meta_.tree_height,
                              PageTypeName(expected)));
      return;
    }
    const bool root = depth == 0;
    if (type == PageType::kLeaf) {
      check_leaf(page_id, root, low, high);
      return;
    }
    // Copy what the children need: page_ is reused by the recursion.
    const BranchView branch = BranchView::FromVerified(page_);
    if (!root && branch.key_count() == 0)
      problem(absl::StrFormat("page %d: branch with one child", page_id));
    report_.branch_pages++;
    std::vector<std::string> keys;
    std::vector<PageId> children;
    for (size_t index = 0; index < branch.key_count(); index++)
      keys.emplace_back(branch.key(index));
    for (size_t index = 0; index < branch.child_count(); index++)
      children.push_back(branch.child(index));
    check_bounds(page_id, keys, low, high);
    for (size_t index = 0; index < children.size(); index++) {
      std::optional<std::string> child_low = index == 0 ? low : std::optional(keys[index - 1]);
      std::optional<std::string> child_high =
          index == keys.size() ? high : std::optional(keys[index]);
      walk(children[index], depth + 1, child_low, child_high);
    }
  }

  void check_bounds(PageId page_id, const std::vector<std::string>& keys,
                    const std::optional<std::string>& low, const std::optional<std::string>& high) {
    if (keys.empty()) return;
    if (low && keys.front() < *low) {
      problem(absl::StrFormat("page %d: first key sorts before its lower separator", page_id));
    }
    if (high && keys.back() >= *high) {
      problem(
          absl::StrFormat("page %d: last key does not sort before its upper separator", page_id));
    }
  }

  void check_leaf(PageId page_id, bool root, const std::optional<std::string>& low,
                  const std::optional<std::string>& high) {
    const LeafView leaf = LeafView::FromVerified(page_);
    report_.leaf_pages++;
    report_.entries += leaf.size();
    if (!root && leaf.size() == 0) problem(absl::StrFormat("page %d: empty leaf", page_id));
    std::vector<std::string> keys;
    std::vector<std::pair<PageId, uint64_t>> overflows;
    for (size_t index = 0; index < leaf.size(); index++) {
      keys.emplace_back(leaf.key(index));
      report_.leaf_bytes_used += LeafCellBytes(leaf.cell(index));
      if (leaf.is_overflow(index)) {
        overflows.emplace_back(leaf.overflow_page(index), leaf.value_size_bytes(index));
      }
    }
    check_bounds(page_id, keys, low, high);
    for (const auto& [first, size_bytes] : overflows) check_overflow(page_id, first, size_bytes);
  }

  void check_overflow(PageId leaf_id, PageId first, uint64_t value_size_bytes) {
    const uint64_t pages = OverflowPagesFor(meta_.page_size_bytes, value_size_bytes);
    uint64_t seen_bytes = 0;
    for (uint64_t index = 0; index < pages; index++) {
      const PageId page_id = first + index;
      if (!claim(page_id, "overflow") || !read(page_id)) return;
      report_.overflow_pages++;
      absl::StatusOr<OverflowView> view = ParseOverflow(page_, page_id);
      if (!view.ok()) return problem(std::string(view.status().message()));
      const PageId expected_next = index + 1 == pages ? kNoPage : page_id + 1;
      if (view->next != expected_next) {
        return problem(absl::StrFormat("overflow page %d (from leaf %d): next %d, expected %d",
                                       page_id, leaf_id, view->next, expected_next));
      }
      seen_bytes += view->chunk.size();
    }
    if (seen_bytes != value_size_bytes) {
      problem(absl::StrFormat("overflow run at page %d (from leaf %d): %d bytes, expected %d",
                              first, leaf_id, seen_bytes, value_size_bytes));
    }
  }

  void check_free_list() {
    uint64_t chain_length = 0;
    for (PageId page_id = meta_.freelist_head; page_id != kNoPage; chain_length++) {
      if (chain_length >= meta_.page_count || !claim(page_id, "free-list page") || !read(page_id)) {
        return problem(absl::StrFormat("free-list chain broken at page %d", page_id));
      }
      report_.freelist_pages++;
      absl::StatusOr<FreeListView> view = ParseFreeList(page_, page_id);
      if (!view.ok()) return problem(std::string(view.status().message()));
      for (size_t index = 0; index < view->size(); index++) {
        if (claim(view->id(index), "free")) report_.free_pages++;
      }
      page_id = view->next;
    }
  }

  Pager& pager_;
  ValidationReport& report_;
  const Meta meta_;
  std::vector<const char*> owner_;  // Role of each page, nullptr while unclaimed.
  std::vector<uint8_t> page_;
};

}  // namespace

absl::StatusOr<ValidationReport> Validate(vfs::FileSystem& fs, const std::string& path) {
  NS_ASSIGN_OR_RETURN(std::unique_ptr<Pager> pager, Pager::open(fs, path));
  ValidationReport report;
  report.meta = pager->meta();
  {
    NS_ASSIGN_OR_RETURN(auto file, fs.open(path, {}));
    std::vector<uint8_t> page(report.meta.page_size_bytes);
    for (PageId slot : {kMetaPageA, kMetaPageB}) {
      const bool valid =
          vfs::ReadExact(*file, slot * page.size(), page).ok() && DecodeMeta(page, slot).ok();
      (slot == kMetaPageA ? report.meta_a_valid : report.meta_b_valid) = valid;
      if (!valid) {
        report.problems.push_back(absl::StrFormat("meta %s: not valid (open uses the other one)",
                                                  slot == kMetaPageA ? "A" : "B"));
      }
    }
  }
  Validator(*pager, report).run();
  return report;
}

std::string FormatProblems(const ValidationReport& report) {
  if (report.ok()) return "ok";
  return absl::StrJoin(report.problems, "\n");
}

}  // namespace northstar::engine
