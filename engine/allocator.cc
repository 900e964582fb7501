#include "engine/allocator.h"

#include <algorithm>

#include "util/assert.h"

namespace northstar::engine {

PageAllocator::PageAllocator(uint64_t page_count, std::set<PageId> free_pages)
    : free_(std::move(free_pages)), page_count_(page_count) {
  NS_ASSERT(page_count_ >= kFirstDataPage && page_count_ <= kPageCountMax);
  NS_ASSERT(free_.empty() || (*free_.begin() >= kFirstDataPage && *free_.rbegin() < page_count_));
}

void PageAllocator::begin(TxnId txn_id) {
  NS_ASSERT(!in_txn_);
  NS_ASSERT(allocated_.empty() && freed_.empty() && freed_volatile_.empty());
  in_txn_ = true;
  txn_id_ = txn_id;
  page_count_at_begin_ = page_count_;
  free_at_begin_ = free_;
}

PageId PageAllocator::allocate() {
  PageId page_id;
  if (!free_.empty()) {
    page_id = *free_.begin();
    free_.erase(free_.begin());
  } else {
    NS_ASSERT_MSG(page_count_ < kPageCountMax, "database reached kPageCountMax pages");
    page_id = page_count_++;
  }
  allocated_.insert(page_id);
  return page_id;
}

PageId PageAllocator::allocate_run(uint64_t count) {
  NS_ASSERT(count >= 1);
  if (count == 1) return allocate();
  // First fit over the free set: look for `count` consecutive ids.
  PageId run_first = kNoPage;
  uint64_t run_length = 0;
  for (PageId page_id : free_) {
    if (run_length > 0 && page_id == run_first + run_length) {
      run_length++;
    } else {
      run_first = page_id;
      run_length = 1;
    }
    if (run_length == count) break;
  }
  if (run_length < count) {
    NS_ASSERT_MSG(page_count_ + count <= kPageCountMax, "database reached kPageCountMax pages");
    run_first = page_count_;
    page_count_ += count;
  } else {
    for (uint64_t index = 0; index < count; index++) free_.erase(run_first + index);
  }
  for (uint64_t index = 0; index < count; index++) allocated_.insert(run_first + index);
  return run_first;
}

void PageAllocator::free_committed(PageId page_id) {
  NS_ASSERT(page_id >= kFirstDataPage && page_id < page_count_);
  NS_ASSERT(!allocated_.contains(page_id));
  if (auto found = volatile_.find(page_id); found != volatile_.end()) {
    freed_volatile_.push_back({page_id, found->second});
    volatile_.erase(found);
  } else {
    freed_.push_back(page_id);
  }
}

void PageAllocator::free_scratch(PageId page_id) {
  NS_ASSERT(allocated_.contains(page_id));
  allocated_.erase(page_id);
  free_.insert(page_id);
}

void PageAllocator::rollback() {
  if (!in_txn_) return;
  in_txn_ = false;
  free_ = std::move(free_at_begin_);
  free_at_begin_.clear();
  page_count_ = page_count_at_begin_;
  allocated_.clear();
  freed_.clear();
  for (const VolatileFree& freed : freed_volatile_) volatile_[freed.page_id] = freed.allocated_by;
  freed_volatile_.clear();
}

void PageAllocator::commit() {
  if (!in_txn_) return;
  in_txn_ = false;
  if (!freed_.empty()) {
    std::vector<PageId>& pending = pending_[txn_id_];
    pending.insert(pending.end(), freed_.begin(), freed_.end());
  }
  if (!freed_volatile_.empty()) {
    std::vector<VolatileFree>& pending = pending_volatile_[txn_id_];
    pending.insert(pending.end(), freed_volatile_.begin(), freed_volatile_.end());
  }
  for (PageId page_id : allocated_) volatile_[page_id] = txn_id_;
  allocated_.clear();
  freed_.clear();
  freed_volatile_.clear();
  free_at_begin_.clear();
}

void PageAllocator::release_pending(TxnId oldest_visible_txn) {
  NS_ASSERT(!in_txn_);  // Between transactions only.
  while (!pending_.empty() && pending_.begin()->first <= oldest_visible_txn) {
    for (PageId page_id : pending_.begin()->second) free_.insert(page_id);
    pending_.erase(pending_.begin());
  }
}

std::vector<PageId> PageAllocator::release_volatile(std::span<const TxnId> snapshots) {
  NS_ASSERT(!in_txn_);  // Between transactions only.
  NS_ASSERT(std::is_sorted(snapshots.begin(), snapshots.end()));
  // Whether a snapshot in [allocated_by, freed_by) is open.
  auto visible = [&](TxnId allocated_by, TxnId freed_by) {
    auto snapshot = std::lower_bound(snapshots.begin(), snapshots.end(), allocated_by);
    return snapshot != snapshots.end() && *snapshot < freed_by;
  };
  std::vector<PageId> released;
  for (auto group = pending_volatile_.begin(); group != pending_volatile_.end();) {
    const TxnId freed_by = group->first;
    std::erase_if(group->second, [&](const VolatileFree& freed) {
      if (visible(freed.allocated_by, freed_by)) return false;
      free_.insert(freed.page_id);
      released.push_back(freed.page_id);
      return true;
    });
    group = group->second.empty() ? pending_volatile_.erase(group) : std::next(group);
  }
  return released;
}

std::vector<PageId> PageAllocator::persistent_free_pages() const {
  std::set<PageId> pages = free_;
  for (const auto& [txn_id, freed] : pending_) pages.insert(freed.begin(), freed.end());
  for (const auto& [txn_id, freed] : pending_volatile_) {
    for (const VolatileFree& entry : freed) pages.insert(entry.page_id);
  }
  pages.insert(freed_.begin(), freed_.end());
  for (const VolatileFree& entry : freed_volatile_) pages.insert(entry.page_id);
  return {pages.begin(), pages.end()};
}

std::vector<PageId> PageAllocator::pending_pages() const {
  std::vector<PageId> pages;
  for (const auto& [txn_id, freed] : pending_)
    pages.insert(pages.end(), freed.begin(), freed.end());
  for (const auto& [txn_id, freed] : pending_volatile_) {
    for (const VolatileFree& entry : freed) pages.push_back(entry.page_id);
  }
  return pages;
}

uint64_t PageAllocator::pending_count() const {
  uint64_t count = 0;
  for (const auto& [txn_id, freed] : pending_) count += freed.size();
  for (const auto& [txn_id, freed] : pending_volatile_) count += freed.size();
  return count;
}

}  // namespace northstar::engine
